package dev.hupd.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActionRunnerTest {

  @TempDir Path dir;

  private static Map<String, String> env() {
    return new HashMap<>(System.getenv());
  }

  private ActionResult run(
      ActionRunner runner, String action, Map<String, String> extra, Duration timeout) {
    return runner.run(new ActionRequest("test-hook", action, Optional.empty(), extra, timeout));
  }

  @Test
  void whileAnActionRunsTheCallerHearsItIsStillWaitingAndNotOnceItEnded() throws Exception {
    ActionRunner runner = new ActionRunner(env(), 022);
    java.util.concurrent.atomic.AtomicInteger beats =
        new java.util.concurrent.atomic.AtomicInteger();
    ActionResult r =
        runner.run(
            new ActionRequest(
                "test-hook", "sleep 0.6", Optional.empty(), Map.of(), Duration.ofSeconds(10)),
            beats::incrementAndGet);
    assertThat(r.outcome()).isEqualTo(ActionResult.Outcome.SUCCEEDED);
    int during = beats.get();
    assertThat(during).as("one beat per 100 ms wait slice").isGreaterThanOrEqualTo(3);
    Thread.sleep(300);
    assertThat(beats.get()).as("nothing beats once the action ended").isEqualTo(during);
  }

  @Test
  void runsThroughShellAndReportsExitCode() {
    ActionRunner runner = new ActionRunner(env(), 022);
    assertThat(run(runner, "exit 0", Map.of(), Duration.ofSeconds(10)).outcome())
        .isEqualTo(ActionResult.Outcome.SUCCEEDED);
    ActionResult failed = run(runner, "echo out; exit 3", Map.of(), Duration.ofSeconds(10));
    assertThat(failed.outcome()).isEqualTo(ActionResult.Outcome.FAILED);
    assertThat(failed.exitCode()).isEqualTo(3);
  }

  @Test
  void metadataArrivesOnlyThroughEnvironmentNeverAsShellText() throws IOException {
    Path out = dir.resolve("out");
    Path pwned = dir.resolve("pwned");
    // A hostile value: if it were pasted into the command line it would create a file.
    String hostile = "$(touch " + pwned + "); `touch " + pwned + "`";
    ActionRunner runner = new ActionRunner(env(), 022);
    ActionResult r =
        run(
            runner,
            "printf '%s' \"$CFN_NEW_METADATA\" > " + out,
            Map.of("CFN_NEW_METADATA", hostile),
            Duration.ofSeconds(10));
    assertThat(r.succeeded()).isTrue();
    assertThat(Files.readString(out)).isEqualTo(hostile);
    assertThat(pwned).doesNotExist();
  }

  @Test
  void emptyPathGetsSaneDefault() throws IOException {
    Map<String, String> env = env();
    env.put("PATH", "");
    Path out = dir.resolve("path");
    ActionResult r =
        run(
            new ActionRunner(env, 022),
            "echo \"$PATH\" > " + out,
            Map.of(),
            Duration.ofSeconds(10));
    assertThat(r.succeeded()).isTrue();
    assertThat(Files.readString(out).strip()).isEqualTo(ActionRunner.DEFAULT_PATH);
  }

  @Test
  void umaskFromConfigurationApplies() throws IOException {
    Path out = dir.resolve("umask");
    run(new ActionRunner(env(), 077), "umask > " + out, Map.of(), Duration.ofSeconds(10));
    assertThat(Files.readString(out).strip()).isEqualTo("0077");
  }

  @Test
  void timeoutKillsTheWholeProcessGroup() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    // The shell starts a background grandchild that would outlive a plain kill of the shell.
    String action = "sleep 300 & echo $! > " + pidFile + "; wait";
    long started = System.nanoTime();
    ActionResult r = run(new ActionRunner(env(), 022), action, Map.of(), Duration.ofSeconds(1));
    assertThat(r.outcome()).isEqualTo(ActionResult.Outcome.TIMED_OUT);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    long grandchild = Long.parseLong(Files.readString(pidFile).strip());
    // give the kernel a moment to reap
    for (int i = 0;
        i < 50 && ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false);
        i++) {
      Thread.sleep(100);
    }
    assertThat(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void stopWithinAbortsARunningActionAfterGrace() {
    ActionRunner runner = new ActionRunner(env(), 022);
    runner.stopWithin(Duration.ofMillis(300));
    ActionResult r = run(runner, "sleep 30", Map.of(), Duration.ofMinutes(5));
    assertThat(r.outcome()).isEqualTo(ActionResult.Outcome.ABORTED);
    assertThat(r.duration()).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void unknownRunasUserIsNotStarted() {
    ActionResult r =
        new ActionRunner(env(), 022)
            .run(
                new ActionRequest(
                    "h",
                    "true",
                    Optional.of("no-such-user-hupd"),
                    Map.of(),
                    Duration.ofSeconds(5)));
    assertThat(r.outcome()).isEqualTo(ActionResult.Outcome.NOT_STARTED);
    assertThat(r.detail()).contains("no-such-user-hupd");
  }

  @Test
  void runasSwitchesToANologinAccountWithItsHome() throws Exception {
    // Only root can switch users; the CI machine runs the suite as root.
    assertThat(System.getProperty("user.name")).as("this test needs root").isEqualTo("root");
    Account nobody = Account.lookup("nobody").orElseThrow();
    Path out = dir.resolve("who");
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    ActionResult r =
        new ActionRunner(env(), 0)
            .run(
                new ActionRequest(
                    "h",
                    "echo \"$(id -u) $(id -g) $HOME $USER\" > " + out,
                    Optional.of("nobody"),
                    Map.of(),
                    Duration.ofSeconds(10)));
    assertThat(r.outcome()).as(r.detail()).isEqualTo(ActionResult.Outcome.SUCCEEDED);
    assertThat(Files.readString(out).strip())
        .isEqualTo(nobody.uid() + " " + nobody.gid() + " " + nobody.home() + " nobody");
  }
}
