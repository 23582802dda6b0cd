package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.testing.FakeCloudFormation;
import dev.hupd.testing.HupdProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hupd as a real process against the fake CloudFormation endpoint serving the agent-fleet example,
 * configured by the example's own cfn-hup files (plus {@code url=} pointing at the fake). Also
 * field cases C04 (no Python anywhere) and C05 (stays in the foreground, ready fast).
 */
class DaemonProcessIT {

  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;
  FakeCloudFormation cfn;
  Path example = HupdProcess.repoRoot().resolve("examples/agent-fleet");

  @BeforeEach
  void setUp() throws IOException {
    cfn = FakeCloudFormation.start().stack("agents-stack");
    cfn.loadMetadataDir(example.resolve("metadata"));
    copyTree(example.resolve("cfn"), work.resolve("cfn"));
    copyTree(example.resolve("bin"), work.resolve("bin"));
    Path conf = work.resolve("cfn/cfn-hup.conf");
    Files.writeString(conf, Files.readString(conf) + "url=" + cfn.endpoint() + "\n");
    settings("");
  }

  @AfterEach
  void tearDown() {
    cfn.close();
  }

  void settings(String extra) throws IOException {
    Files.writeString(
        work.resolve("hupd.conf"),
        "[hupd]\nstate-dir = state\npoll-seconds = 1\nfirst-poll-splay = 0\n"
            + "import-cfn-hup-state = none\nimds-endpoint = http://127.0.0.1:1\n"
            + extra);
  }

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", work.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", work.toString());
    env.put("AWS_ACCESS_KEY_ID", "AKIDE2ETEST");
    env.put("AWS_SECRET_ACCESS_KEY", "e2e-secret-not-real");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", work.resolve("no-aws-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-aws-credentials").toString());
    return env;
  }

  HupdProcess hupd(String... args) throws IOException {
    String[] all = new String[args.length + 4];
    all[0] = "--config";
    all[1] = work.resolve("cfn").toString();
    all[2] = "--settings";
    all[3] = work.resolve("hupd.conf").toString();
    System.arraycopy(args, 0, all, 4, args.length);
    return HupdProcess.start(env(), all);
  }

  String exampleMetadata() throws IOException {
    return Files.readString(example.resolve("metadata/AgentLaunchTemplate.json"));
  }

  @Test
  void metadataUpdateRunsTheHookAndARestartDoesNotRepeatIt() throws Exception {
    JsonNode changedInit;
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLine("event=daemon.ready", WAIT);
      assertThat(
              hupd.count(l -> l.contains("hook=bamboo-capabilities | Bamboo capabilities changed")))
          .as("post.add on first start")
          .isEqualTo(1);
      assertThat(work.resolve(".state/applied-init.json")).doesNotExist();

      ObjectNode metadata = (ObjectNode) JSON.readTree(exampleMetadata());
      String updated = metadata.toString().replace("agentServer/", "agentServer/v2/");
      assertThat(updated).isNotEqualTo(metadata.toString());
      cfn.resource("AgentLaunchTemplate").metadata(updated);
      changedInit = JSON.readTree(updated).get("AWS::CloudFormation::Init");

      hupd.awaitLine("hook=cfn-auto-reloader-hook event=action.succeeded", WAIT);
      assertThat(JSON.readTree(Files.readString(work.resolve(".state/applied-init.json"))))
          .isEqualTo(changedInit);
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
      assertThat(hupd.lines()).anyMatch(l -> l.contains("event=daemon.stopped exit=0"));
    }
    long appliedAt = Files.getLastModifiedTime(work.resolve(".state/applied-init.json")).toMillis();
    int callsBefore = cfn.describeCalls("AgentLaunchTemplate");
    try (HupdProcess again = hupd("--verbose", "run")) {
      again.awaitLines(
          l -> l.contains("event=hook.unchanged") && l.contains("AWS::CloudFormation::Init"),
          3,
          WAIT);
      assertThat(again.count(l -> l.contains("event=action.start")))
          .as("nothing re-fires after a restart")
          .isZero();
      again.signal("TERM");
      assertThat(again.awaitExit(WAIT)).isZero();
    }
    assertThat(cfn.describeCalls("AgentLaunchTemplate")).isGreaterThanOrEqualTo(callsBefore + 3);
    assertThat(Files.getLastModifiedTime(work.resolve(".state/applied-init.json")).toMillis())
        .isEqualTo(appliedAt);
  }

  void slowHook(String action) throws IOException {
    Files.writeString(
        work.resolve("cfn/hooks.d/slow.conf"),
        "[slow]\ntriggers=post.add\npath=Resources.AgentLaunchTemplate.Metadata.Bamboo\naction="
            + action
            + "\n");
  }

  @Test
  void sigtermMidActionWaitsUpToStopTimeoutThenKillsTheGroupAndTheChangeIsRetried()
      throws Exception {
    Path started = work.resolve("started");
    Path finished = work.resolve("finished");
    Path childPid = work.resolve("child.pid");
    slowHook(
        "touch " + started + "; sleep 120 & echo $! > " + childPid + "; wait; touch " + finished);
    settings("stop-timeout = 2s\n");
    try (HupdProcess hupd = hupd("run")) {
      awaitFile(started);
      long t0 = System.nanoTime();
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
      assertThat(hupd.lines()).anyMatch(l -> l.contains("hook=slow event=action.aborted"));
    }
    assertThat(finished).doesNotExist();
    long pid = Long.parseLong(Files.readString(childPid).strip());
    for (int i = 0;
        i < 100 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        i++) {
      Thread.sleep(50); // the kernel and init need a moment to reap it
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("the action's group is gone")
        .isFalse();
    Files.delete(started);
    try (HupdProcess again = hupd("run")) {
      again.awaitLine("hook=slow event=action.start trigger=post.add", WAIT);
      awaitFile(started);
    }
  }

  @Test
  void sigtermLetsAShortActionFinishAndRecordsIt() throws Exception {
    Path started = work.resolve("started");
    Path finished = work.resolve("finished");
    slowHook("touch " + started + "; sleep 2; touch " + finished);
    settings("stop-timeout = 60s\n");
    try (HupdProcess hupd = hupd("run")) {
      awaitFile(started);
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
      assertThat(hupd.lines()).anyMatch(l -> l.contains("hook=slow event=action.succeeded"));
    }
    assertThat(finished).exists();
    Files.delete(started);
    try (HupdProcess again = hupd("--verbose", "run")) {
      again.awaitLines(l -> l.contains("hook=slow event=hook.unchanged"), 2, WAIT);
      assertThat(started).doesNotExist();
      again.signal("INT");
      assertThat(again.awaitExit(WAIT)).isEqualTo(130);
    }
  }

  @Test
  void secondInstanceIsRefusedAndBadConfigurationHasItsOwnExitCode() throws Exception {
    try (HupdProcess first = hupd("run")) {
      first.awaitLine("event=daemon.ready", WAIT);
      try (HupdProcess second = hupd("run")) {
        assertThat(second.awaitExit(WAIT)).isEqualTo(75);
        assertThat(second.lines()).anyMatch(l -> l.contains("pid " + first.pid()));
      }
    }
    Files.writeString(
        work.resolve("cfn/hooks.d/broken.conf"),
        "[broken]\ntriggers=post.add\npath=Outputs.Foo\naction=date +%s\n");
    try (HupdProcess check = hupd("check")) {
      assertThat(check.awaitExit(WAIT)).isEqualTo(78);
      String log = String.join("\n", check.lines());
      assertThat(log)
          .contains("broken.conf:3: [broken] path")
          .contains("broken.conf:4: [broken] action")
          .contains("%%");
    }
    try (HupdProcess run = hupd("run")) {
      assertThat(run.awaitExit(WAIT)).isEqualTo(78);
    }
  }

  @Test
  void sighupReloadsAValidConfigurationAndKeepsTheOldOneOtherwise() throws Exception {
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLine("event=daemon.ready", WAIT);
      Path marker = work.resolve("physical-id");
      Files.writeString(
          work.resolve("cfn/hooks.d/physical.conf"),
          "[physical]\ntriggers=post.add\npath=Resources.AgentLaunchTemplate.PhysicalResourceId\naction=echo \"$CFN_NEW_PHYSICAL_RESOURCE_ID\" > "
              + marker
              + "\n");
      hupd.signal("HUP");
      hupd.awaitLine("event=config.reloaded hooks=3", WAIT);
      awaitFile(marker);
      assertThat(Files.readString(marker).strip())
          .isEqualTo(cfn.resource("AgentLaunchTemplate").physicalId());
      Files.writeString(work.resolve("cfn/hooks.d/zz-bad.conf"), "no section header\n");
      hupd.signal("HUP");
      hupd.awaitLine("event=config.reload-rejected", WAIT);
      assertThat(hupd.process().isAlive()).isTrue();
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
    }
  }

  @Test
  void c04_runsAPassOnAHostWithoutAnyPython() throws Exception {
    Path bin = work.resolve("nopython-bin");
    Files.createDirectories(bin);
    Files.createSymbolicLink(bin.resolve("sh"), Path.of("/bin/sh"));
    Path marker = work.resolve("python-check");
    Files.writeString(
        work.resolve("cfn/hooks.d/python.conf"),
        "[python]\ntriggers=post.add\npath=Resources.AgentLaunchTemplate.Metadata.Bamboo\n"
            + "action=if command -v python3 || command -v python || command -v python2; then echo found > "
            + marker
            + "; else echo none > "
            + marker
            + "; fi\n");
    Map<String, String> env = env();
    env.put("PATH", bin.toString());
    String[] args = {
      "--config",
      work.resolve("cfn").toString(),
      "--settings",
      work.resolve("hupd.conf").toString(),
      "--no-daemon"
    };
    try (HupdProcess once = HupdProcess.start(env, args)) {
      assertThat(once.awaitExit(WAIT)).as(String.join("\n", once.lines())).isZero();
    }
    assertThat(Files.readString(marker).strip()).isEqualTo("none");
  }

  @Test
  void c05_runStaysInTheForegroundAndIsReadyWithinSeconds() throws Exception {
    long t0 = System.nanoTime();
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLine("event=daemon.ready", Duration.ofSeconds(5));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      ProcessHandle handle = ProcessHandle.of(hupd.pid()).orElseThrow();
      assertThat(handle.isAlive()).as("the process we started is the daemon: no fork").isTrue();
      assertThat(handle.parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
      assertThat(hupd.lines()).anyMatch(l -> l.contains("event=daemon.started pid=" + hupd.pid()));
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
    }
  }

  @Test
  void aSignalDuringStartUpIsNeverFatal() throws Exception {
    try (HupdProcess hupd = hupd("run")) {
      // The JVM needs ~50 ms to reach main; hupd needs ~250 ms more before it starts polling.
      // Signals in between must be deferred, not fatal.
      Thread.sleep(120);
      hupd.signal("HUP");
      hupd.signal("TERM");
      assertThat(hupd.lines()).noneMatch(l -> l.contains("event=daemon.ready"));
      assertThat(hupd.awaitExit(WAIT)).isZero();
    }
  }

  static void awaitFile(Path p) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Files.exists(p)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(p + " did not appear within " + WAIT);
      }
      Thread.sleep(20);
    }
  }

  /**
   * {@code hupd run} on the agent-fleet example's local files copied into {@code work} (file
   * source, 1 s polls, status server on an ephemeral loopback port), with {@code extraEnv}.
   */
  static HupdProcess runExample(Path work, Map<String, String> extraEnv) throws IOException {
    Path example = HupdProcess.repoRoot().resolve("examples/agent-fleet");
    copyTree(example.resolve("cfn"), work.resolve("cfn"));
    copyTree(example.resolve("bin"), work.resolve("bin"));
    copyTree(example.resolve("metadata"), work.resolve("metadata"));
    Files.writeString(
        work.resolve("hupd.conf"),
        "[hupd]\nsource = file:metadata\nstate-dir = state\npoll-seconds = 1\n"
            + "first-poll-splay = 0\nimport-cfn-hup-state = none\n"
            + "imds-endpoint = http://127.0.0.1:1\nstatus-listen = 127.0.0.1:0\n");
    Map<String, String> env = new java.util.HashMap<>();
    env.put("PATH", work.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", work.toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.putAll(extraEnv);
    return HupdProcess.start(
        env,
        "--config",
        work.resolve("cfn").toString(),
        "--settings",
        work.resolve("hupd.conf").toString(),
        "run");
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
