package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.testing.HupdProcess;
import dev.hupd.testing.ScriptRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent AMI recipe as CI checks it: {@code ami/check.sh} runs {@code packer validate} (Debian's
 * Packer 1.6.6, installed by {@code .ci/setup}; never {@code packer build}, nothing contacts AWS)
 * and the static checks of the wipe step. Broken copies of the recipe show that the check can fail:
 * a syntax error, a variable left without a value, and a wipe step that forgot an identity file.
 */
class AmiTemplateIT {

  static final long TIMEOUT_SECONDS = 120;

  @TempDir Path work;

  ScriptRun run(String... command) throws IOException, InterruptedException {
    return ScriptRun.of(work, Duration.ofSeconds(TIMEOUT_SECONDS), command);
  }

  Path checkScript() {
    return HupdProcess.repoRoot().resolve("ami/check.sh");
  }

  /** A copy of {@code ami/} (template, scripts, files) that a test may break. */
  Path copyOfAmi() throws IOException {
    Path source = HupdProcess.repoRoot().resolve("ami");
    Path target = work.resolve("ami");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : files.toList()) {
        Path to = target.resolve(source.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return target;
  }

  static void replace(Path file, String from, String to) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text).as(file + " contains " + from).contains(from);
    Files.writeString(file, text.replace(from, to), StandardCharsets.UTF_8);
  }

  @Test
  void theTemplateValidatesAndTheWipeStepNamesEveryIdentityFile() throws Exception {
    ScriptRun r = run(checkScript().toString());

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .containsPattern("Packer v1\\.\\d+\\.\\d+")
        .contains("OK: packer validate hupd-agent.pkr.hcl: the configuration is valid (exit 0)")
        .contains("OK: packer fmt -check hupd-agent.pkr.hcl")
        .contains("OK: scripts parse:")
        .contains("OK: the wipe step is the last provisioner")
        .contains(
            "OK: wipe step names bamboo-agent.cfg.xml, uuid-temp.properties, /var/lib/hupd,"
                + " /var/lib/cfn-hup/data, /etc/machine-id (truncated), /var/lib/cloud,"
                + " /etc/ssh/ssh_host_*")
        .contains("OK: files/bamboo-agent.service is README.md's unit")
        .contains("OK: files/hupd.conf.in:")
        .contains("ami/check.sh: all checks passed")
        .doesNotContain("FAIL:")
        .doesNotContain("Error:");
  }

  @Test
  void aSyntaxErrorFailsValidation() throws Exception {
    Path ami = copyOfAmi();
    Path template = ami.resolve("hupd-agent.pkr.hcl");
    // The source block loses its closing brace.
    replace(template, "    BaseImage          = \"al2023-ami-2023.*-x86_64\"\n  }\n}\n", "  }\n");

    ScriptRun r = run(checkScript().toString(), "--template", template.toString());

    assertThat(r.exit()).as(r.output()).isEqualTo(1);
    assertThat(r.output())
        .contains("Error:")
        .contains("FAIL: packer validate hupd-agent.pkr.hcl: exit 1")
        .doesNotContain("all checks passed");
  }

  @Test
  void aVariableWithoutValueFailsValidation() throws Exception {
    Path ami = copyOfAmi();
    Path template = ami.resolve("hupd-agent.pkr.hcl");
    // instance_type loses its default, and check.sh passes no value for it.
    replace(template, "  default     = \"t3.medium\"\n", "");

    ScriptRun r = run(checkScript().toString(), "--template", template.toString());

    assertThat(r.exit()).as(r.output()).isEqualTo(1);
    assertThat(r.output())
        .contains("Unset variable \"instance_type\"")
        .contains("FAIL: packer validate hupd-agent.pkr.hcl: exit 1");
  }

  @Test
  void aWipeStepThatForgetsAnIdentityFileFails() throws Exception {
    Path ami = copyOfAmi();
    Path wipe = ami.resolve("scripts/90-wipe.sh");
    // uuid-temp.properties stays in the image (it survives only in a comment).
    replace(
        wipe,
        "rm -f \"$AGENT_HOME/bamboo-agent.cfg.xml\" \"$AGENT_HOME/uuid-temp.properties\"",
        "rm -f \"$AGENT_HOME/bamboo-agent.cfg.xml\"");

    ScriptRun r =
        run(checkScript().toString(), "--template", ami.resolve("hupd-agent.pkr.hcl").toString());

    assertThat(r.exit()).as(r.output()).isEqualTo(1);
    assertThat(r.output())
        .contains("OK: packer validate hupd-agent.pkr.hcl")
        .contains("FAIL: wipe step (scripts/90-wipe.sh) does not wipe: uuid-temp.properties");
  }
}
