package dev.hupd.template;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.template.TemplateProblem.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example fleet template passes; each kind of mistake made in a copy of it is reported with its
 * location; real public templates are judged only on what hupd needs.
 */
class TemplateCheckTest {

  private static final String HOOKS =
      "Resources.AgentLaunchTemplate.Metadata.AWS::CloudFormation::Init.hupd.files./etc/cfn/hooks.d/";

  private static String example;

  @BeforeAll
  static void load() throws Exception {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path t = dir.resolve("examples/agent-fleet/template.yaml");
      if (Files.isRegularFile(t)) {
        example = Files.readString(t);
        return;
      }
    }
    throw new IllegalStateException("examples/agent-fleet/template.yaml not found");
  }

  private static TemplateCheck.Report check(String template) throws Exception {
    return TemplateCheck.check(TemplateReader.parse(template, "t.yaml"), Optional.empty());
  }

  /** The example with {@code from} replaced by {@code to} (which must be there once). */
  private static String exampleWith(String from, String to) {
    assertThat(example).containsOnlyOnce(from);
    return example.replace(from, to);
  }

  private static List<TemplateProblem> errors(TemplateCheck.Report r) {
    return r.problems().stream().filter(p -> p.severity() == Severity.ERROR).toList();
  }

  @Test
  void theExampleFleetTemplatePasses_withEveryHupdPartChecked() throws Exception {
    TemplateCheck.Report r = check(example);

    assertThat(errors(r)).isEmpty();
    // its two toolchain images are placeholders on registry.example.com, and say so
    assertThat(r.problems())
        .filteredOn(p -> p.severity() == Severity.WARNING)
        .extracting(TemplateProblem::where)
        .containsExactly(
            "Resources.AgentLaunchTemplate.Metadata.Toolchains.jdk17",
            "Resources.AgentLaunchTemplate.Metadata.Toolchains.node20");
    assertThat(String.join("\n", r.lines()))
        .contains("resource: AgentLaunchTemplate (AWS::EC2::LaunchTemplate)")
        .contains("hook cfn-auto-reloader-hook: path=")
        .contains("hook bamboo-capabilities: path=")
        .contains("toolchains: 2 (Resources.AgentLaunchTemplate.Metadata.Toolchains)")
        .contains("rollout: policy at Resources.AgentLaunchTemplate.Metadata.Rollout")
        .contains("iam: cloudformation:DescribeStackResource allowed by")
        .contains("iam: ssm:DeleteParameters allowed by");
  }

  @Test
  void aCfnInitRestartTriggerOnHupd_isAWarningNamingTheTriggerAndTheQueuedRestart()
      throws Exception {
    TemplateCheck.Report r =
        check(
            exampleWith(
                "              hupd:\n                enabled: true\n                ensureRunning: true\n",
                "              hupd:\n                enabled: true\n                ensureRunning: true\n"
                    + "                files:\n                  - /etc/hupd/hupd.conf\n"));

    assertThat(errors(r)).isEmpty();
    assertThat(r.problems())
        .filteredOn(p -> p.severity() == Severity.WARNING && p.where().contains(".services."))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where())
                  .isEqualTo(
                      "Resources.AgentLaunchTemplate.Metadata.AWS::CloudFormation::Init.hupd"
                          + ".services.sysvinit.hupd.files");
              assertThat(p.message()).contains("waits up to stop-timeout");
              assertThat(p.expected()).contains("systemctl --no-block try-restart hupd.service");
            });
  }

  @Test
  void placeholderRegistries_areReservedExampleAndTestDomainsOnly() {
    assertThat(TemplateCheck.placeholderRegistry("registry.example.com/ci/x@sha256:00")).isTrue();
    assertThat(TemplateCheck.placeholderRegistry("EXAMPLE.org:5000/x:1")).isTrue();
    assertThat(TemplateCheck.placeholderRegistry("registry.corp.test/x:1")).isTrue();
    assertThat(TemplateCheck.placeholderRegistry("123.dkr.ecr.eu-west-1.amazonaws.com/x:1"))
        .isFalse();
    assertThat(TemplateCheck.placeholderRegistry("myexample.com/x:1")).isFalse();
    assertThat(TemplateCheck.placeholderRegistry("busybox:1")).isFalse();
  }

  @Test
  void aTypoInTheHupdConfEntry_isOneErrorWithoutFalseWarningsOrAHalfIamCheck() throws Exception {
    TemplateCheck.Report r =
        check(
            exampleWith(
                "toolchains-path = Resources.AgentLaunchTemplate.Metadata.Toolchains",
                "toolchain-path = Resources.AgentLaunchTemplate.Metadata.Toolchains"));

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).contains("toolchain-path");
              assertThat(p.message()).isEqualTo("unknown key");
            });
    assertThat(r.problems()).noneMatch(p -> p.message().contains("no /etc/hupd/hupd.conf entry"));
    assertThat(String.join("\n", r.lines()))
        .contains("iam: the calls hupd makes depend on /etc/hupd/hupd.conf")
        .doesNotContain("iam: cloudformation:DescribeStackResource");
  }

  @Test
  void aBrokenHookFile_isAnErrorAtItsEntryAndLine() throws Exception {
    TemplateCheck.Report r =
        check(exampleWith("triggers=post.add,post.update,post.remove", "triggers=post.chnage"));

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo(HOOKS + "bamboo-capabilities.conf");
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.key()).isEqualTo("[bamboo-capabilities] triggers");
              assertThat(p.message()).contains("post.chnage");
            });
  }

  @Test
  void aHookPathToAMissingKey_isAnError() throws Exception {
    TemplateCheck.Report r =
        check(
            exampleWith(
                "path=Resources.AgentLaunchTemplate.Metadata.Bamboo.Capabilities",
                "path=Resources.AgentLaunchTemplate.Metadata.Bamboo.Capabilites"));

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo(HOOKS + "bamboo-capabilities.conf");
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.key()).isEqualTo("[bamboo-capabilities] path");
              assertThat(p.message()).contains("has no key 'Capabilites'");
            });
  }

  @Test
  void aHookPathToAMissingResource_isAnError() throws Exception {
    TemplateCheck.Report r =
        check(
            exampleWith(
                "path=Resources.AgentLaunchTemplate.Metadata.Bamboo.Capabilities",
                "path=Resources.AgentTemplate.Metadata.Bamboo.Capabilities"));

    assertThat(errors(r))
        .singleElement()
        .extracting(TemplateProblem::message)
        .asString()
        .contains("no resource AgentTemplate");
  }

  @Test
  void anInvalidManifest_isAnErrorAtTheManifest() throws Exception {
    TemplateCheck.Report r = check(exampleWith("  - name: node20", "  - name: Node20"));

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo("Resources.AgentLaunchTemplate.Metadata.Toolchains");
              assertThat(p.message()).startsWith("toolchains[1] (Node20).name:");
            });
  }

  @Test
  void anInvalidPolicy_isAnErrorAtThePolicy() throws Exception {
    TemplateCheck.Report r = check(exampleWith("canaries: {count: 1,", "canaries: {count: 9,"));

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo("Resources.AgentLaunchTemplate.Metadata.Rollout");
              assertThat(p.message()).contains("canaries: 9 seats");
            });
  }

  @Test
  void aMissingIamAction_isAnErrorNamingRoleActionAndResource() throws Exception {
    TemplateCheck.Report r = check(exampleWith("                  - ssm:DeleteParameters\n", ""));

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo("Resources.AgentRole.Properties.Policies");
              assertThat(p.message())
                  .contains("role AgentRole does not allow ssm:DeleteParameters");
              assertThat(p.expected()).contains(":parameter/hupd/${AWS::StackName}/*");
            });
  }

  @Test
  void aWildcardGrant_isAWarningNotAnError() throws Exception {
    TemplateCheck.Report r =
        check(
            exampleWith(
                "Action: cloudformation:DescribeStackResource", "Action: cloudformation:*"));

    assertThat(errors(r)).isEmpty();
    assertThat(r.problems())
        .anySatisfy(
            p -> {
              assertThat(p.severity()).isEqualTo(Severity.WARNING);
              assertThat(p.where()).endsWith("Policies[0].PolicyDocument.Statement[0]");
              assertThat(p.message()).contains("only through a wildcard");
            });
  }

  @Test
  void ssmBambooSecrets_needGetParameterAndDecrypt() throws Exception {
    TemplateCheck.Report r =
        check(
            exampleWith(
                "                store = ssm\n",
                "                store = ssm\n"
                    + "                bamboo-url = https://ci.example.com\n"
                    + "                bamboo-token = ssm:/ci/bamboo/token\n"));

    assertThat(errors(r))
        .extracting(TemplateProblem::message)
        .anyMatch(m -> m.contains("does not allow ssm:GetParameter,"))
        .anyMatch(m -> m.contains("does not allow kms:Decrypt"));
  }

  @Test
  void placeholdersAreNotesNotErrors() throws Exception {
    TemplateCheck.Report r = check(example);

    assertThat(r.problems())
        .anySatisfy(
            p -> {
              assertThat(p.severity()).isEqualTo(Severity.NOTE);
              assertThat(p.where()).endsWith("files./etc/cfn/cfn-hup.conf");
              assertThat(p.message()).contains("${AWS::Region}");
            });
  }

  private static TemplateCheck.Report input(String name) throws Exception {
    Path t =
        Path.of(TemplateCheckTest.class.getResource("/inputs/" + name + "/template.yaml").toURI());
    return TemplateCheck.check(TemplateReader.read(t), Optional.empty());
  }

  @Test
  void input03_gitlabRunners_passes_itsProfileIsOutsideTheTemplate() throws Exception {
    TemplateCheck.Report r = input("03-aws-samples-gitlab-runner");

    assertThat(errors(r)).isEmpty();
    assertThat(r.lines()).anyMatch(l -> l.startsWith("hook cfn-auto-reloader-hook: path="));
    assertThat(r.problems())
        .filteredOn(p -> p.severity() == Severity.WARNING)
        .singleElement()
        .extracting(TemplateProblem::message)
        .asString()
        .contains("instance profile is not defined in this template");
  }

  @Test
  void input07_subPathHook_passes() throws Exception {
    TemplateCheck.Report r = input("07-awscfn-cloudwatch-agent-subpath");

    assertThat(errors(r)).isEmpty();
    assertThat(r.lines())
        .anyMatch(
            l ->
                l.contains(
                    "path=Resources.EC2Instance.Metadata.AWS::CloudFormation::Init."
                        + "02_config-amazon-cloudwatch-agent"));
  }

  @Test
  void input06_rollingUpdates_failsOnlyOnTheRoleHupdWouldUse() throws Exception {
    TemplateCheck.Report r = input("06-awscfn-asg-rolling-updates");

    assertThat(errors(r))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo("Resources.DescribeHealthRole.Properties.Policies");
              assertThat(p.message())
                  .contains("cloudformation:DescribeStackResource")
                  .contains("cfn-hup can do without it, hupd cannot");
            });
    assertThat(r.problems()).noneMatch(p -> p.where().contains("Toolchains"));
  }

  @Test
  void aNamedResourceWithoutInit_isAnError() throws Exception {
    TemplateCheck.Report r =
        TemplateCheck.check(TemplateReader.parse(example, "t.yaml"), Optional.of("AgentRole"));

    assertThat(errors(r))
        .singleElement()
        .satisfies(p -> assertThat(p.where()).isEqualTo("Resources.AgentRole.Metadata"));
  }
}
