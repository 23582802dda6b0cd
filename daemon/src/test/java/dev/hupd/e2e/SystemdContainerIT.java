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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RPM and {@code hupd.service} under a real systemd: {@code systemd/container-check.sh} boots
 * Debian bookworm's systemd 252 as PID 1 in a Docker container (no network, a noexec {@code /tmp},
 * the host's JDK bind-mounted), installs the RPM with rpm(8) so that its scriptlets act on that
 * systemd, and runs hupd as the unit. It proves: the preset enables it and the install does not
 * start it; the unit stays "activating" while the first pass cannot read the metadata and turns
 * "active" only after hupd's READY=1 (with Netty's epoll library loaded despite the noexec {@code
 * /tmp}, also when a drop-in sets {@code HUPD_JAVA_OPTS}); {@code systemctl reload} makes the same
 * process re-read {@code /etc/hupd/hupd.conf}, and an invalid one is rejected (same process,
 * "reload rejected" in the unit's status, the old configuration still applied); an invalid {@code
 * hupd.conf} at start fails with exit status 78 and is not restarted; a first pass longer than
 * {@code TimeoutStartSec} and a pass of two actions longer than {@code WatchdogSec} are neither
 * timed out nor restarted, while a SIGSTOPped JVM is killed for the watchdog and restarted; {@code
 * systemctl stop} ends with exit status 0, also while an action runs, which it lets finish; the
 * installed unit has the shipped values (Type, NotifyAccess, WatchdogSec, the timeouts, KillMode,
 * Restart, RestartPreventExitStatus, SuccessExitStatus); {@code rpm -U} to release N+1 keeps it
 * enabled, restarts it and keeps the edited configuration and the state, leaves a stopped unit
 * stopped and a disabled one disabled; {@code rpm -e} stops and disables it and keeps the state.
 *
 * <p>A second run on an RPM whose unit is {@code Type=simple} shows that the check fails when
 * systemd calls hupd active before READY=1. Both runs must leave no container behind.
 *
 * <p>Needs root, dockerd ({@code .ci/docker-up}) and rpmbuild; the first run also needs debootstrap
 * ({@code .ci/setup}) and Debian's mirror to build the image {@code hupd-test/systemd-bookworm:1}
 * (about a minute), hence the long bound.
 */
class SystemdContainerIT {

  static final Duration TIMEOUT = Duration.ofMinutes(10);
  static final Pattern CONTAINER = Pattern.compile("is PID 1 in (hupd-systemd-check-\\d+) ");

  @TempDir Path work;

  ScriptRun check(Path rpm) throws IOException, InterruptedException {
    return ScriptRun.of(
        work,
        TIMEOUT,
        HupdProcess.repoRoot().resolve("systemd/container-check.sh").toString(),
        rpm.toString());
  }

  /** The container the run started (named in its first OK: line) no longer exists. */
  static void assertContainerRemoved(ScriptRun r) throws IOException, InterruptedException {
    Matcher m = CONTAINER.matcher(r.output());
    assertThat(m.find()).as("the run names its container:\n" + r.output()).isTrue();
    Process ps =
        new ProcessBuilder("docker", "ps", "-a", "-q", "--filter", "name=^/" + m.group(1) + "$")
            .redirectErrorStream(true)
            .start();
    assertThat(ps.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ps.exitValue()).as(out).isZero();
    assertThat(out.strip()).as("container " + m.group(1) + " left behind").isEmpty();
  }

  @Test
  void rpmAndUnitBehaveUnderARealSystemd() throws Exception {
    ScriptRun r = check(HupdProcess.newestRpm());

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .containsPattern("OK: systemd \\d+ is PID 1 in hupd-systemd-check-\\d+")
        .contains(
            "OK: install: %post preset enabled hupd.service (multi-user.target.wants) and did not"
                + " start it")
        .containsPattern(
            "OK: a\\. activating for \\d+s \\(MainPID \\d+\\) while the metadata was invalid JSON;"
                + " active \\d+ ms after event=daemon\\.ready \\(READY=1\\), hook marker written;"
                + " StatusText=(Ready: first pass done, 1 actions|Last pass )")
        .contains("OK: a. /tmp is noexec, yet Netty's epoll library loaded")
        .containsPattern(
            "OK: b\\. systemctl reload: same MainPID \\d+ re-read hupd\\.conf"
                + " \\(event=config\\.reloaded source=/srv/hupd-test/meta2")
        .containsPattern(
            "OK: b\\. systemctl reload with an unknown key in hupd\\.conf: rejected"
                + " \\(event=config\\.reload-rejected, the journal names the file and key\\), same"
                + " MainPID \\d+, active, StatusText=Ready: reload rejected \\.\\.\\.; the previous"
                + " configuration still applied a change")
        .containsPattern(
            "OK: b\\. hupd\\.conf fixed, systemctl reload: event=config\\.reloaded,"
                + " StatusText=Ready: configuration reloaded, same MainPID \\d+")
        .contains(
            "OK: c. a drop-in Environment=HUPD_JAVA_OPTS=-Xmx80m: active (READY=1),"
                + " event=systemd.notify, the JVM has -Xmx80m and"
                + " -Dio.netty.native.workdir=/var/lib/hupd; drop-in removed")
        .containsPattern(
            "OK: d\\. an invalid hupd\\.conf \\(stop-timeout = soon\\): systemctl start failed,"
                + " exit status 78, failed and not restarted for \\d+s \\(RestartSec=5s, NRestarts"
                + " \\d+\\), the journal names /etc/hupd/hupd\\.conf and stop-timeout")
        .containsPattern(
            "OK: e\\. TimeoutStartSec=6s and a 12 s action in the first pass: MainPID \\d+"
                + " activating for \\d+ ms, then active after the action ended; no start timeout,"
                + " NRestarts unchanged")
        .containsPattern("OK: f\\. WatchdogSec=4s: WATCHDOG=1 every 2 s kept MainPID \\d+ active")
        .containsPattern(
            "OK: f\\. WatchdogSec=4s and one pass of two 5 s actions \\(\\d+ ms\\): both"
                + " succeeded, same MainPID \\d+, no watchdog timeout, NRestarts unchanged")
        .containsPattern(
            "OK: f\\. SIGSTOP of \\d+: systemd killed it for the watchdog .* started MainPID \\d+,"
                + " active")
        .contains("OK: g. systemctl stop: Result=success, exited with status 0")
        .containsPattern(
            "OK: g\\. systemctl stop while an 8 s action ran: the action was not killed"
                + " \\(linger\\.end written \\d+ ms after the stop began, hook=linger"
                + " event=action\\.succeeded\\), Result=success, exited with status 0")
        .containsPattern(
            "OK: i\\. rpm -U to hupd-\\S+-\\S+\\.noarch: still enabled, try-restarted \\(MainPID"
                + " \\d+ -> \\d+\\), active, edited hupd\\.conf kept \\(\\.rpmnew written\\), state"
                + " kept")
        .containsPattern(
            "OK: i\\. rpm -U --oldpackage to hupd-\\S+ while disabled: still disabled \\(no wants"
                + " symlink\\), still inactive")
        .containsPattern(
            "OK: i\\. rpm -U to hupd-\\S+ while stopped: still inactive, still enabled")
        .containsPattern(
            "OK: j\\. rpm -e: stopped \\(process \\d+ gone\\), disabled \\(no wants symlink\\),"
                + " unit file gone, /var/lib/hupd/state\\.json kept")
        .containsPattern("MEASURE: idle RSS of the hupd JVM under systemd .*: \\d+ kB")
        .containsPattern("MEASURE: the long first pass took \\d+ ms")
        .containsPattern("MEASURE: systemctl start to active \\(READY=1\\) took \\d+ ms")
        .containsPattern("MEASURE: systemctl stop took \\d+ ms")
        .containsPattern("MEASURE: systemctl stop with the action running took \\d+ ms")
        .contains("systemd/container-check.sh: all checks passed")
        .doesNotContain("FAIL:");
    // h: the shipped values, in whatever order systemctl show prints them.
    String unit =
        r.output()
            .lines()
            .filter(l -> l.startsWith("OK: h. the installed unit (no drop-ins): "))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no OK: h. line:\n" + r.output()));
    assertThat(List.of(unit.split(" ")))
        .contains(
            "Type=notify",
            "NotifyAccess=main",
            "WatchdogUSec=35min",
            "TimeoutStartUSec=5min",
            "TimeoutStopUSec=12min",
            "KillMode=mixed",
            "Restart=on-failure",
            "RestartUSec=5s",
            "SuccessExitStatus=143");
    assertThat(unit).containsPattern("RestartPreventExitStatus=(64 78|78 64)( |$)");
    assertContainerRemoved(r);
  }

  @Test
  void aUnitThatIsActiveBeforeReadyFailsTheCheck() throws Exception {
    // The package's own build script and files, in a scratch copy whose unit says Type=simple:
    // systemd then calls hupd active as soon as the JVM is started, before any pass.
    Path repo = HupdProcess.repoRoot();
    Path copy = work.resolve("repo");
    Files.createDirectories(copy.resolve("rpm"));
    Files.createDirectories(copy.resolve("systemd"));
    for (String f : List.of("rpm/build.sh", "rpm/hupd.spec", "rpm/hupd", "rpm/hupd.conf")) {
      Files.copy(repo.resolve(f), copy.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
    }
    Files.copy(repo.resolve("README.md"), copy.resolve("README.md"));
    String unit = Files.readString(repo.resolve("systemd/hupd.service"), StandardCharsets.UTF_8);
    assertThat(unit).contains("\nType=notify\n");
    Files.writeString(
        copy.resolve("systemd/hupd.service"),
        unit.replace("\nType=notify\n", "\nType=simple\n"),
        StandardCharsets.UTF_8);
    String version =
        Files.readString(
                repo.resolve("daemon/target/maven-archiver/pom.properties"), StandardCharsets.UTF_8)
            .lines()
            .filter(l -> l.startsWith("version="))
            .findFirst()
            .orElseThrow()
            .substring("version=".length());
    ScriptRun build =
        ScriptRun.of(
            work,
            Duration.ofMinutes(2),
            copy.resolve("rpm/build.sh").toString(),
            "--version",
            version,
            "--release",
            "1",
            "--target",
            repo.resolve("daemon/target").toString(),
            "--out",
            work.resolve("broken").toString());
    assertThat(build.exit()).as(build.output()).isZero();
    Path broken = Path.of(build.output().strip().lines().reduce((a, b) -> b).orElseThrow());

    ScriptRun r = check(broken);

    assertThat(r.exit()).as(r.output()).isEqualTo(1);
    assertThat(r.output())
        .contains("OK: install: %post preset enabled hupd.service")
        .contains("FAIL: active (not activating) while the metadata is unreadable")
        .contains("---- journalctl -u hupd (last 60 lines) ----")
        .doesNotContain("OK: a. activating")
        .doesNotContain("all checks passed");
    assertContainerRemoved(r);
  }
}
