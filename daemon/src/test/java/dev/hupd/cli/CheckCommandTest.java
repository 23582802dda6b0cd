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
}
