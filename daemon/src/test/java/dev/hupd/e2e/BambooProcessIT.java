package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.testing.DockerFixture;
import dev.hupd.testing.FakeBamboo;
import dev.hupd.testing.FakeBambooAgent;
import dev.hupd.testing.FakeBambooModel;
import dev.hupd.testing.FakeCloudFormation;
import dev.hupd.testing.HupdProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 end to end: a {@code hupd run} process, the fake CloudFormation serving a toolchain
 * manifest, the fake Bamboo master (in this JVM, over loopback HTTP), a fake remote agent process
 * that hupd starts through its control script, and the real dockerd with the local registry.
 */
class BambooProcessIT {

  static final Duration WAIT = Duration.ofSeconds(120);
  static DockerFixture docker;
  static String v1;
  static String v2;
  static String broken;

  @TempDir Path work;
  FakeCloudFormation cfn;
  FakeBamboo master;
  FakeBambooModel model;
  Path home;
  String name;
  ObjectNode metadata;

  @BeforeAll
  static void images() throws Exception {
    docker = DockerFixture.start();
    v1 = docker.publish("bjdk", "v1", "RUN echo 1 > /version");
    v2 = docker.publish("bjdk", "v2", "RUN echo 2 > /version");
    broken = docker.publish("bjdk", "v3", "RUN echo broken > /version");
  }

  @AfterAll
  static void cleanUp() throws Exception {
    docker.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    name = "bj" + docker.id() + "-" + Long.toHexString(System.nanoTime() & 0xffff);
    for (String tag : new String[] {"active", "previous", "candidate"}) {
      docker.removeAtEnd("hupd/" + name + ":" + tag);
    }
    Path example = HupdProcess.repoRoot().resolve("examples/agent-fleet");
    cfn = FakeCloudFormation.start().stack("agents-stack");
    metadata =
        (ObjectNode)
            Json.parse(Files.readString(example.resolve("metadata/AgentLaunchTemplate.json")));
    DaemonProcessIT.copyTree(example.resolve("cfn"), work.resolve("cfn"));
    DaemonProcessIT.copyTree(example.resolve("bin"), work.resolve("bin"));
    Path conf = work.resolve("cfn/cfn-hup.conf");
    Files.writeString(conf, Files.readString(conf) + "url=" + cfn.endpoint() + "\n");

    model = new FakeBambooModel();
    model.setManualApproval(true);
    master = FakeBamboo.start(model, 0);
    home = work.resolve("agent-home");
    FakeBambooAgent.installScript(home, master.baseUrl(), "e2e-agent", "127.0.0.1");
    Path token = work.resolve("bamboo.token");
    Files.writeString(token, FakeBambooModel.DEFAULT_TOKEN + "\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    writeSettings("");
  }

  void writeSettings(String extra) throws IOException {
    Files.writeString(
        work.resolve("hupd.conf"),
        "[hupd]\nstate-dir = state\npoll-seconds = 1\nfirst-poll-splay = 0\n"
            + "import-cfn-hup-state = none\nimds-endpoint = http://127.0.0.1:1\n"
            + "toolchains-path = Resources.AgentLaunchTemplate.Metadata.Toolchains\n"
            + "docker-config = none\n"
            + "bamboo-url = "
            + master.baseUrl()
            + "\nbamboo-token = file:"
            + work.resolve("bamboo.token")
            + "\nbamboo-agent-home = "
            + home
            + "\nbamboo-agent-name = e2e-agent\n"
            + "bamboo-agent-process = command:"
            + home.resolve(FakeBambooAgent.SCRIPT)
            + "\nbamboo-approve = on\nbamboo-poll = 5s\nbamboo-busy-poll = 1s\n"
            + "bamboo-docker-executable = /bin/sh\n"
            + extra);
  }

  @AfterEach
  void tearDown() throws Exception {
    Path script = home.resolve(FakeBambooAgent.SCRIPT);
    if (Files.exists(script)) {
      Process stop = new ProcessBuilder(script.toString(), "stop").inheritIO().start();
      if (!stop.waitFor(30, TimeUnit.SECONDS)) {
        stop.destroyForcibly();
      }
    }
    cfn.close();
    master.close();
  }

  void manifest(String image) {
    String tool =
        "{\"name\":\""
            + name
            + "\",\"image\":\""
            + image
            + "\",\"verify\":{\"command\":[\"cat\",\"/version\"],"
            + "\"outputPattern\":\"^[0-9]+\\\\s*$\",\"timeoutSeconds\":30,\"memoryMb\":64},"
            + "\"capabilities\":{\"system.jdk.JDK 17\":\"/opt/"
            + image.substring(image.length() - 8)
            + "\"}}";
    metadata.set("Toolchains", Json.parse("{\"toolchains\":[" + tool + "]}"));
    cfn.resource("AgentLaunchTemplate").metadata(metadata.toString());
  }

  HupdProcess hupd(String... args) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", work.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", work.toString());
    env.put("AWS_ACCESS_KEY_ID", "AKIDE2ETEST");
    env.put("AWS_SECRET_ACCESS_KEY", "e2e-secret-not-real");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", work.resolve("none").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("none").toString());
    String[] all = new String[args.length + 4];
    all[0] = "--config";
    all[1] = work.resolve("cfn").toString();
    all[2] = "--settings";
    all[3] = work.resolve("hupd.conf").toString();
    System.arraycopy(args, 0, all, 4, args.length);
    return HupdProcess.start(env, all);
  }

  String status() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            HupdProcess.repoRoot().resolve("daemon/target/hupd.jar").toString(),
            "--config",
            work.resolve("cfn").toString(),
            "--settings",
            work.resolve("hupd.conf").toString(),
            "status");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  Optional<FakeBambooModel.Agent> agent() {
    return model.allAgents().stream().findFirst();
  }

  String capability(String key) {
    var c = agent().orElseThrow().capabilities().get(key);
    return c == null ? null : c.value();
  }

  static String sha(String reference) {
    return reference.substring(reference.indexOf("sha256:"));
  }

  /** Boots to online: first pass verifies v1, the agent starts, is approved and enabled. */
  long bootOnline(HupdProcess hupd) throws Exception {
    await(
        "the agent online, enabled, with v1's capability",
        () ->
            agent().isPresent()
                && agent().get().active()
                && agent().get().enabled()
                && capability("hupd.toolchain." + name) != null
                && capability("hupd.toolchain." + name).contains(sha(v1)));
    long id = agent().get().id();
    assertThat(model.approvals(agent().get().uuid())).isEqualTo(1);
    assertThat(capability("system.docker.executable")).isEqualTo("/bin/sh");
    hupd.awaitLine("event=bamboo.state from=publishing to=online", WAIT);
    return id;
  }

  static int indexOf(List<String> lines, String fragment, int from) {
    for (int i = from; i < lines.size(); i++) {
      if (lines.get(i).contains(fragment)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void aToolchainChangeWhileBuildingWaitsForIdleThenSwitchesPublishesAndEnables() throws Exception {
    manifest(v1);
    try (HupdProcess hupd = hupd("run")) {
      long id = bootOnline(hupd);
      assertThat(status()).contains("bamboo: online").contains("agent " + id);

      model.setBusy(id, true);
      manifest(v2);
      hupd.awaitLine("event=bamboo.disabled agent_id=" + id, WAIT);
      await("the agent disabled on the master", () -> !agent().get().enabled());
      hupd.awaitLine("to=draining", WAIT);
      Thread.sleep(3_000); // a build that runs on for a while
      assertThat(status()).contains("bamboo: draining").contains("waiting for the running build");
      assertThat(docker.imageId("hupd/" + name + ":active")).isEqualTo(docker.imageId(v1));
      assertThat(capability("hupd.toolchain." + name)).contains(sha(v1));
      assertThat(hupd.count(l -> l.contains("event=toolchain.activated name=" + name)))
          .isEqualTo(1);

      model.setBusy(id, false); // the build ends
      await(
          "v2's capability and the agent enabled again",
          () ->
              agent().get().enabled()
                  && capability("hupd.toolchain." + name).contains(sha(v2))
                  && hupd.count(l -> l.contains("event=bamboo.enabled")) >= 2);
      assertThat(docker.imageId("hupd/" + name + ":active")).isEqualTo(docker.imageId(v2));
      assertThat(capability("system.jdk.JDK 17"))
          .isEqualTo("/opt/" + v2.substring(v2.length() - 8));
      assertThat(model.requestCount("PUT /agent/{id}/capability/{key}")).isGreaterThanOrEqualTo(2);
      assertThat(model.restartsWhileBusy(id)).isZero();

      List<String> lines = hupd.lines();
      int disabled = indexOf(lines, "event=bamboo.disabled", 0);
      int switching = indexOf(lines, "to=switching", disabled);
      int activated = indexOf(lines, "event=toolchain.activated name=" + name + " image=" + v2, 0);
      int published = indexOf(lines, "event=bamboo.capabilities-published", activated);
      int enabled = indexOf(lines, "event=bamboo.enabled", published);
      assertThat(List.of(disabled, switching, activated, published, enabled))
          .as("disable < idle < activate < publish < enable")
          .doesNotContain(-1)
          .isSorted();
      await("status online", () -> statusContains("bamboo: online"));

      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
      assertThat(agent().get().enabled()).as("bamboo-stop = keep").isTrue();
    }
  }

  boolean statusContains(String text) {
    try {
      return status().contains(text);
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void aBrokenImageOrALostMasterLeavesTheAgentDisabledWithAClearStatus() throws Exception {
    manifest(v1);
    try (HupdProcess hupd = hupd("run")) {
      long id = bootOnline(hupd);

      manifest(broken); // verify fails: the agent must not be enabled on it
      hupd.awaitLine("event=toolchain.failed name=" + name, WAIT);
      await("status disabled-unverified", () -> statusContains("bamboo: disabled-unverified"));
      assertThat(agent().get().enabled()).isFalse();
      Thread.sleep(3_000);
      assertThat(agent().get().enabled()).as("never enabled unverified").isFalse();
      assertThat(status()).contains(broken);

      manifest(v1); // the operator reverts: verified again, enabled again
      await("enabled after the revert", () -> agent().get().enabled());

      // the master goes away while hupd drains for the next change
      model.setBusy(id, true);
      manifest(v2);
      await("the agent disabled for the switch", () -> !agent().get().enabled());
      int port = master.port();
      master.close();
      await("status master-unavailable", () -> statusContains("bamboo: master-unavailable"));
      assertThat(docker.imageId("hupd/" + name + ":active"))
          .as("no switch while the master cannot say the build ended")
          .isEqualTo(docker.imageId(v1));
      Thread.sleep(3_000);
      master = FakeBamboo.start(model, port);
      assertThat(agent().get().enabled()).as("still disabled while the master was away").isFalse();
      model.setBusy(id, false);
      await(
          "v2 published and enabled once the master is back",
          () -> agent().get().enabled() && capability("hupd.toolchain." + name).contains(sha(v2)));
    }
  }

  @Test
  void inAFleetTheCanaryIsHealthyOnlyWithItsAgentOnlineAndEnabled_aMasterErrorFailsIt()
      throws Exception {
    metadata.set(
        "Rollout",
        Json.parse(
            "{\"canaries\":{\"count\":1,\"role\":\"canary\"},\"bake\":\"3s\",\"maxParallel\":1,"
                + "\"turnLease\":\"60s\",\"health\":{\"bamboo\":true,\"timeout\":\"20s\","
                + "\"interval\":\"1s\"}}"));
    manifest(v1);
    writeSettings(
        "store = dir:"
            + work.resolve("store")
            + "\nfleet = bamboo\nagent-id = a1\nroles = canary\n"
            + "rollout-path = Resources.AgentLaunchTemplate.Metadata.Rollout\n"
            + "register-every = 1s\n");
    String rev2 = "/hupd/bamboo/rev/2/seat/0/0";
    String rev3 = "/hupd/bamboo/rev/3/seat/0/0";
    try (HupdProcess hupd = hupd("run")) {
      long id = bootOnline(hupd);

      manifest(v2);
      hupd.awaitLine("what=\"verdict ok " + rev2, WAIT);
      assertThat(capability("hupd.toolchain." + name)).contains(sha(v2));
      assertThat(agent().get().enabled()).isTrue();
      // the health check read the agent on the master after the switch
      List<String> lines = hupd.lines();
      assertThat(indexOf(lines, "event=bamboo.enabled", indexOf(lines, "claimed " + rev2, 0)))
          .isPositive();

      model.failAlways("/agent", 503); // the master errs: hupd cannot drain, so no switch
      manifest(v1);
      hupd.awaitLine("what=\"failed " + rev3, WAIT);
      assertThat(hupd.lines())
          .anyMatch(
              l -> l.contains("failed " + rev3) && l.contains("could not drain the Bamboo agent"));
      assertThat(docker.imageId("hupd/" + name + ":active"))
          .as("the change never ran on the canary")
          .isEqualTo(docker.imageId(v2));
      model.clearFaults();
      assertThat(agent().get().id()).isEqualTo(id);
    }
  }

  @Test
  void aRefusedTokenNeverStartsTheAgentAndSaysAuthFailed_stopDrainWaitsForTheBuild()
      throws Exception {
    model.removeToken(FakeBambooModel.DEFAULT_TOKEN);
    manifest(v1);
    try (HupdProcess hupd = hupd("run")) {
      await("status auth-failed", () -> statusContains("bamboo: auth-failed"));
      assertThat(status()).contains("bamboo.token").doesNotContain(FakeBambooModel.DEFAULT_TOKEN);
      assertThat(model.allAgents()).as("no agent started on a master that refuses us").isEmpty();
      assertThat(Files.exists(home.resolve(FakeBambooAgent.PID_FILE))).isFalse();
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
    }

    model.addToken(FakeBambooModel.DEFAULT_TOKEN);
    writeSettings("bamboo-stop = drain\nbamboo-stop-timeout = 2m\n");
    try (HupdProcess hupd = hupd("run")) {
      long id = bootOnline(hupd);
      model.setBusy(id, true);
      long sent = System.nanoTime();
      hupd.signal("TERM");
      await("disabled for shutdown", () -> !agent().get().enabled());
      Thread.sleep(2_000);
      assertThat(hupd.process().isAlive()).as("waits for the running build").isTrue();
      model.setBusy(id, false);
      assertThat(hupd.awaitExit(WAIT)).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofMinutes(2));
      assertThat(agent().get().enabled()).isFalse();
    }
    assertThat(String.join("\n", Files.readAllLines(work.resolve("state/state.json"))))
        .doesNotContain(FakeBambooModel.DEFAULT_TOKEN);
  }
}
