package dev.hupd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hupd check}: what it prints about the settings. */
class CheckCommandTest {

  @TempDir Path dir;

  @Test
  void bambooSettings_arePrintedInOneLine_withSecretsOnlyByTheirSource() throws Exception {
    Path cfn = Files.createDirectories(dir.resolve("cfn"));
    Files.writeString(cfn.resolve("cfn-hup.conf"), "[main]\nstack=demo\nregion=eu-west-1\n");
    Files.writeString(
        cfn.resolve("hooks.conf"),
        "[reloader]\ntriggers=post.update\npath=Resources.LT.Metadata.Config\naction=true\n");
    Path settings = dir.resolve("hupd.conf");
    Files.writeString(
        settings,
        "[hupd]\n"
            + "bamboo-url=https://ci.example.com/bamboo\n"
            + "bamboo-token=ssm:/ci/bamboo/token\n"
            + "bamboo-agent-name=agent-7\n"
            + "bamboo-agent-home=/srv/agent\n"
            + "bamboo-approve=on\n");

    CliRun run =
        CliRun.of(Map.of(), "check", "-c", cfn.toString(), "--settings", settings.toString());

    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains(
            "bamboo: https://ci.example.com/bamboo token=ssm:/ci/bamboo/token"
                + " agent-home=/srv/agent agent-name=agent-7"
                + " agent-process=systemd:bamboo-agent.service approve=on capabilities=auto");
  }

  CliRun checkWith(String bambooLines) throws Exception {
    Path cfn = Files.createDirectories(dir.resolve("cfn"));
    Files.writeString(cfn.resolve("cfn-hup.conf"), "[main]\nstack=demo\nregion=eu-west-1\n");
    Files.writeString(
        cfn.resolve("hooks.conf"),
        "[reloader]\ntriggers=post.update\npath=Resources.LT.Metadata.Config\naction=true\n");
    Path settings = dir.resolve("hupd.conf");
    Files.writeString(settings, "[hupd]\nbamboo-url=https://ci.example.com\n" + bambooLines);
    return CliRun.of(Map.of(), "check", "-c", cfn.toString(), "--settings", settings.toString());
  }

  @Test
  void aTokenFileThatRunWouldRefuseFailsCheckTooNamingKeyLineAndFix() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "secret-value\n");
    Files.setPosixFilePermissions(
        token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    CliRun run = checkWith("bamboo-token=file:" + token + "\n");
    assertThat(run.code()).as(run.toString()).isEqualTo(78);
    assertThat(run.err())
        .contains("hupd.conf:3")
        .contains("[hupd] bamboo-token")
        .contains("chmod 600")
        .doesNotContain("secret-value");

    Files.setPosixFilePermissions(
        token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    run = checkWith("bamboo-token=file:" + token + "\n");
    assertThat(run.code()).as(run.toString()).isZero();
  }

  @Test
  void aMissingCaFileOrAgentAccountFailsCheck_aMissingAgentScriptWarns() throws Exception {
    CliRun run =
        checkWith(
            "bamboo-token=ssm:/ci/token\nbamboo-ca-file="
                + dir.resolve("none.pem")
                + "\nbamboo-agent-user=no-such-account-hupd\n"
                + "bamboo-agent-process=command:"
                + dir.resolve("bin/bamboo-agent.sh")
                + "\n");
    assertThat(run.code()).as(run.toString()).isEqualTo(78);
    assertThat(run.err())
        .contains("[hupd] bamboo-ca-file")
        .contains("[hupd] bamboo-agent-user")
        .contains("no account 'no-such-account-hupd'")
        .contains("warning:")
        .contains("[hupd] bamboo-agent-process");
  }

  private static Path exampleTemplate() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path t = d.resolve("examples/agent-fleet/template.yaml");
      if (Files.isRegularFile(t)) {
        return t;
      }
    }
    throw new IllegalStateException("examples/agent-fleet/template.yaml not found");
  }

  @Test
  void template_theExampleFleetPasses_withoutAnyCfnHupConfigurationOnThisHost() throws Exception {
    CliRun run =
        CliRun.of(
            Map.of(),
            "check",
            "-c",
            dir.resolve("absent").toString(),
            "--template",
            exampleTemplate().toString());

    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("resource: AgentLaunchTemplate (AWS::EC2::LaunchTemplate)")
        .contains("iam: ssm:PutParameter allowed by")
        .contains("OK: ");
    assertThat(run.err()).doesNotContain("error:").contains("note: ");
  }

  @Test
  void template_aBrokenHookExits78_namingTheTemplatePathAndTheLineInTheFile() throws Exception {
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(
        broken,
        Files.readString(exampleTemplate())
            .replace("triggers=post.add,post.update,post.remove", "triggers=post.chnage"));

    CliRun run =
        CliRun.of(
            Map.of(),
            "check",
            "--template",
            broken.toString(),
            "--resource",
            "AgentLaunchTemplate");

    assertThat(run.code()).as(run.toString()).isEqualTo(78);
    assertThat(run.err())
        .contains(
            "error: "
                + broken
                + ": Resources.AgentLaunchTemplate.Metadata.AWS::CloudFormation::Init.hupd.files."
                + "/etc/cfn/hooks.d/bamboo-capabilities.conf:2: [bamboo-capabilities] triggers:"
                + " unknown trigger 'post.chnage'")
        .contains("1 problem(s) found.");
  }

  @Test
  void template_anUnreadableTemplateExits78_andResourceAloneIsAUsageError() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "Resources: [unclosed\n");

    assertThat(CliRun.of(Map.of(), "check", "--template", bad.toString()).code()).isEqualTo(78);
    assertThat(CliRun.of(Map.of(), "check", "--resource", "X").code()).isEqualTo(64);
  }
}
