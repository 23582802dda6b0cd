package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.testing.HupdProcess;
import dev.hupd.testing.ScriptRun;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaging checks as CI runs them: {@code systemd/check.sh} (the unit verifies with no output
 * at all; its exposure score is printed and capped) and {@code rpm/check.sh} on the RPM that the
 * {@code rpm} profile built in {@code package} (rpmlint, queries, install, upgrade N→N+1 keeping an
 * edited config, erase, in scratch roots). Both need what {@code .ci/setup} installs (systemd, rpm,
 * rpmlint, busybox-static).
 */
class PackagingIT {

  static final long TIMEOUT_SECONDS = 300;

  @TempDir Path work;

  ScriptRun run(String... command) throws IOException, InterruptedException {
    return ScriptRun.of(work, Duration.ofSeconds(TIMEOUT_SECONDS), command);
  }

  @Test
  void unitVerifiesWithNoOutputAndPrintsItsExposure() throws Exception {
    ScriptRun r = run(HupdProcess.repoRoot().resolve("systemd/check.sh").toString());

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("OK: systemd-analyze verify hupd.service: no output")
        .containsPattern("Overall exposure level for hupd\\.service: \\d+\\.\\d")
        .containsPattern("OK: exposure \\d+\\.\\d \\(limit \\d+\\.\\d\\)")
        .doesNotContain("FAIL:");
  }

  @Test
  void rpmLintsInstallsUpgradesKeepingTheEditedConfigAndErases() throws Exception {
    // The newest: the one this build's `package` phase just wrote.
    ScriptRun r =
        run(
            HupdProcess.repoRoot().resolve("rpm/check.sh").toString(),
            HupdProcess.newestRpm().toString());

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("OK: rpmlint: 0 errors")
        .contains("OK: files: launcher, hupd.jar")
        .contains("OK: modes: /var/lib/hupd 0700, /etc/hupd/hupd.conf %config(noreplace)")
        .contains("OK: scriptlets: post preset (first install)")
        .contains("OK: install: files in place, systemctl daemon-reload + preset hupd.service")
        .contains("OK: the installed launcher runs: hupd ")
        .contains("edited hupd.conf kept, hupd.conf.rpmnew written, unit and state kept")
        .contains("OK: erase: files gone, state kept")
        .contains("OK: systemctl absent: install, upgrade, erase succeed")
        .contains("OK: systemd not running: install, upgrade, erase succeed")
        .contains("rpm/check.sh: all checks passed")
        .doesNotContain("FAIL:");
  }
}
