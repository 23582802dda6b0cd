package dev.hupd.template;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Static resolution of intrinsic functions, with placeholders for what only a deploy knows. */
class IntrinsicsTest {

  private static JsonNode yaml(String text) throws Exception {
    return TemplateReader.parse(text, "t.yaml");
  }

  @Test
  void subAndJoinResolveLiteralsAndMarkPlaceholders() throws Exception {
    JsonNode t =
        yaml(
            "Mappings: {M: {eu: {k: mapped}}}\n"
                + "a: !Sub 'x=${AWS::Region} y=${!Literal} z=${Role.Arn} w=${V}'\n"
                + "b: !Join ['-', [one, !Ref Param, !FindInMap [M, eu, k], !Select [1, [p, q]]]]\n"
                + "c: !Sub ['${V}', {V: fixed}]\n");
    Intrinsics in = Intrinsics.placeholders(t);

    Intrinsics.Resolved a = in.text(t.get("a"));
    assertThat(a.text()).isEqualTo("x=${AWS::Region} y=${Literal} z=${Role.Arn} w=${V}");
    assertThat(a.placeholders()).containsExactlyInAnyOrder("${AWS::Region}", "${Role.Arn}", "${V}");
    assertThat(in.text(t.get("b")).text()).isEqualTo("one-${Param}-mapped-q");
    assertThat(in.text(t.get("c")).text()).isEqualTo("fixed");
    assertThat(in.text(t.get("c")).complete()).isTrue();
  }

  @Test
  void theStackIdIsSpelledOutAsAnArn() throws Exception {
    JsonNode t = yaml("a: !Ref AWS::StackId\n");

    assertThat(Intrinsics.placeholders(t).text(t.get("a")).text())
        .isEqualTo(
            "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/"
                + "${AWS::StackName}/${AWS::StackId}");
  }

  @Test
  void input04_cfnHupFilesResolveToExactlyWhatCfnInitWrote() throws Exception {
    Path dir =
        Path.of(getClass().getResource("/inputs/04-awscfn-asg-multiaz-launchtemplate").toURI());
    JsonNode t = TemplateReader.read(dir.resolve("template.yaml"));
    Map<String, String> pseudo =
        Map.of(
            "AWS::StackName", "agents-stack",
            "AWS::StackId",
                "arn:aws:cloudformation:eu-west-1:123456789012:stack/agents-stack/"
                    + "00000000-0000-0000-0000-000000000000",
            "AWS::Region", "eu-west-1",
            "AWS::AccountId", "123456789012",
            "AWS::Partition", "aws");
    Intrinsics in = new Intrinsics(t, pseudo, n -> "<" + n + ">");
    JsonNode files =
        t.at("/Resources/LaunchTemplate/Metadata")
            .get(TemplateCheck.INIT)
            .path("config")
            .path("files");
    Path rendered = dir.resolve("rendered/LaunchTemplate");

    for (String f :
        new String[] {"/etc/cfn/cfn-hup.conf", "/etc/cfn/hooks.d/cfn-auto-reloader.conf"}) {
      assertThat(in.text(files.path(f).path("content")).text())
          .as(f)
          .isEqualTo(Files.readString(rendered.resolve(f.substring(1))));
    }
  }

  @Test
  void iamPatternsTreatPlaceholdersAsOneUnknownSegment() {
    String sample = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/hupd/f/x";

    assertThat(ArnPatterns.covers("arn:aws:ssm:*:*:parameter/hupd/f/*", sample)).isTrue();
    assertThat(ArnPatterns.covers("*", sample)).isTrue();
    assertThat(
            ArnPatterns.covers(
                "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/hupd/f/*",
                sample))
        .isTrue();
    assertThat(ArnPatterns.covers("arn:aws:ssm:*:*:parameter/other/*", sample)).isFalse();
    assertThat(ArnPatterns.actionCovers("ssm:Get*", "ssm:GetParameters")).isTrue();
    assertThat(ArnPatterns.actionCovers("SSM:getparameters", "ssm:GetParameters")).isTrue();
    assertThat(ArnPatterns.actionCovers("ssm:GetParameter", "ssm:GetParameters")).isFalse();
  }
}
