package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.testing.FakeBambooModel.Capability;
import dev.hupd.testing.FakeBambooModel.CapabilitySource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FakeBambooAgent} through its real {@code bamboo-agent.sh}: the agent JVMs run detached, so
 * every test stops them with the script and, as a safety net, by pid (checked to be an agent of
 * this test's home) in {@link #stopAgents}.
 */
class FakeBambooAgentTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String TOKEN = "s3cret-agent-token";
  private static final String CAPABILITIES =
      "system.jdk.JDK\\ 17=/opt/jdk-17.0.8\nsystem.docker.executable=/usr/bin/docker\n";

  @TempDir Path dir;

  private final FakeBambooModel model = new FakeBambooModel();
  private final FakeBamboo fake = FakeBamboo.start(model, 0);
  private final List<Long> pids = new ArrayList<>();
  private Path home;
  private Path script;

  @BeforeEach
  void install() throws IOException {
    home = dir.resolve("agent-home");
    script = FakeBambooAgent.installScript(home, fake.baseUrl(), "host-a", "10.0.0.7");
    Files.writeString(home.resolve(FakeBambooAgent.CAPABILITIES_FILE), CAPABILITIES);
  }

  @AfterEach
  void stopAgents() throws Exception {
    try {
      script("stop", Map.of());
    } finally {
      for (long pid : pids) {
        ProcessHandle.of(pid).filter(this::isOurAgent).ifPresent(ProcessHandle::destroyForcibly);
      }
      fake.close();
    }
  }

  @Test
  void start_pendingUntilApproved_thenRegisteredWithFileCapabilities_stopDisconnects()
      throws Exception {
    model.setManualApproval(true);

    assertThat(script("start", Map.of())).isZero();
    awaitTrue(() -> !model.pending().isEmpty());
    String uuid = model.pending().keySet().iterator().next();
    assertThat(model.pending()).containsEntry(uuid, "10.0.0.7");
    assertThat(Files.readString(home.resolve(FakeBambooAgent.UUID_FILE)))
        .contains("agentUuid=" + uuid);
    assertThat(home.resolve(FakeBambooAgent.CFG_FILE)).doesNotExist();
    assertThat(model.allAgents()).isEmpty();

    model.approve(uuid);
    awaitTrue(() -> Files.exists(home.resolve(FakeBambooAgent.CFG_FILE)));
    long id = model.findAgentByUuid(uuid).orElseThrow().id();
    String cfg = Files.readString(home.resolve(FakeBambooAgent.CFG_FILE));
    assertThat(cfg)
        .contains("<agentUuid>" + uuid + "</agentUuid>")
        .contains("<id>" + id + "</id>")
        .contains("<name>host-a</name>")
        .contains("<description>Remote agent on host host-a</description>");
    assertThat(home.resolve(FakeBambooAgent.UUID_FILE)).doesNotExist();
    assertThat(model.capabilities(id, false))
        .containsExactly(
            new Capability("system.docker.executable", "/usr/bin/docker", CapabilitySource.FILE),
            new Capability("system.jdk.JDK 17", "/opt/jdk-17.0.8", CapabilitySource.FILE));
    awaitTrue(() -> model.requestCount("POST /_fake/agents/heartbeat") >= 2);
    assertThat(script("status", Map.of())).isZero();

    assertThat(script("stop", Map.of())).isZero();

    assertThat(model.agent(id).active()).as("disconnected on SIGTERM").isFalse();
    assertThat(model.requestCount("POST /_fake/agents/disconnect")).isEqualTo(1);
    assertThat(script("status", Map.of())).isEqualTo(1);
    assertThat(home.resolve(FakeBambooAgent.PID_FILE)).doesNotExist();
    assertThat(script("stop", Map.of())).as("stop when stopped").isZero();
  }

  @Test
  void restart_comesBackAsTheSameAgent_withoutAnotherApproval() throws Exception {
    model.setManualApproval(true);
    script("start", Map.of());
    awaitTrue(() -> !model.pending().isEmpty());
    String uuid = model.pending().keySet().iterator().next();
    model.approve(uuid);
    awaitTrue(() -> model.findAgentByUuid(uuid).isPresent());
    long id = model.findAgentByUuid(uuid).orElseThrow().id();

    assertThat(script("restart", Map.of())).isZero();
    awaitTrue(() -> model.restarts(id) == 1 && model.agent(id).active());
    assertThat(script("stop", Map.of())).isZero();
    assertThat(script("start", Map.of())).isZero();
    awaitTrue(() -> model.restarts(id) == 2 && model.agent(id).active());

    assertThat(model.allAgents()).hasSize(1);
    assertThat(model.approvals(uuid)).isEqualTo(1);
    assertThat(model.restartsWhileBusy(id)).isZero();
    assertThat(model.pending()).isEmpty();
  }

  @Test
  void restartWhileBusy_isCountedAsAKilledBuild() throws Exception {
    script("start", Map.of());
    awaitTrue(() -> model.allAgents().size() == 1 && model.allAgents().get(0).active());
    long id = model.allAgents().get(0).id();
    model.setBusy(id, true);

    script("restart", Map.of());
    awaitTrue(() -> model.restarts(id) == 1);

    assertThat(model.restartsWhileBusy(id)).isEqualTo(1);
    assertThat(model.agent(id).busy()).isFalse();
  }

  @Test
  void tokenVerification_withoutSecurityToken_agentIsRejectedAndLeavesNoTrace() throws Exception {
    model.setManualApproval(true).setSecurityToken(Optional.of(TOKEN));

    assertThat(script("start", Map.of())).isZero();
    awaitTrue(() -> script("status", Map.of()) == 1);

    Path log = home.resolve(FakeBambooAgent.LOG_FILE);
    assertThat(Files.readString(log)).contains("rejected");
    assertThat(model.requestCount("POST /_fake/agents/connect")).isEqualTo(1);
    assertThat(model.pending()).isEmpty();
    assertThat(model.allAgents()).isEmpty();

    assertThat(script("start", Map.of("SECURITY_TOKEN", TOKEN))).isZero();
    awaitTrue(() -> !model.pending().isEmpty());
    assertThat(Files.readString(log)).doesNotContain(TOKEN);
  }

  @Test
  void deletedAgent_stopsAtItsNextHeartbeat_andCannotComeBackWithItsOldId() throws Exception {
    script("start", Map.of());
    awaitTrue(() -> model.allAgents().size() == 1);
    long id = model.allAgents().get(0).id();

    model.delete(id);
    awaitTrue(() -> script("status", Map.of()) == 1);
    script("start", Map.of());
    awaitTrue(() -> script("status", Map.of()) == 1);

    assertThat(Files.readString(home.resolve(FakeBambooAgent.LOG_FILE)))
        .contains("Heartbeat answered unknown-id")
        .contains("Server does not know agent id");
    assertThat(model.allAgents()).isEmpty();
  }

  @Test
  void installScript_refusesANonLoopbackServer() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                FakeBambooAgent.installScript(
                    dir.resolve("other"),
                    java.net.URI.create("http://bamboo.example.com/bamboo"),
                    "n",
                    "1.2.3.4"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void installCommand_writesTheScriptForThisJvm_andRefusesBadArguments() throws Exception {
    Path other = dir.resolve("cli-home");
    var out = new java.io.ByteArrayOutputStream();
    var err = new java.io.ByteArrayOutputStream();

    int status =
        FakeBambooAgent.install(
            new String[] {
              "install", other.toString(), fake.baseUrl().toString(), "cli", "127.0.0.1"
            },
            new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
            new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));

    Path written = other.resolve(FakeBambooAgent.SCRIPT);
    assertThat(status).isZero();
    assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8).trim())
        .isEqualTo(written.toAbsolutePath().toString());
    assertThat(Files.isExecutable(written)).isTrue();
    assertThat(Files.readString(written))
        .contains("SERVER='" + fake.baseUrl() + "'")
        .contains("NAME='cli'")
        .contains(FakeBambooAgent.class.getName());

    var ignored = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true);
    assertThat(FakeBambooAgent.install(new String[] {"install", "x"}, ignored, ignored))
        .isEqualTo(FakeBambooAgent.EXIT_USAGE);
    assertThat(
            FakeBambooAgent.install(
                new String[] {
                  "install",
                  dir.resolve("far").toString(),
                  "http://bamboo.example.com/bamboo",
                  "n",
                  "1.2.3.4"
                },
                ignored,
                ignored))
        .isEqualTo(FakeBambooAgent.EXIT_USAGE);
    assertThat(dir.resolve("far")).doesNotExist();
  }

  // ---- helpers

  /** Runs the script with a bounded wait; records the agent's pid after a start. */
  private int script(String command, Map<String, String> extraEnv) {
    try {
      ProcessBuilder builder =
          new ProcessBuilder(script.toString(), command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("script.out").toFile()));
      Map<String, String> env = builder.environment();
      env.remove("SECURITY_TOKEN");
      env.put("FAKE_AGENT_HEARTBEAT_MS", "150");
      env.put("FAKE_AGENT_GIVE_UP_MS", "15000");
      env.putAll(new HashMap<>(extraEnv));
      Process process = builder.start();
      if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("bamboo-agent.sh " + command + " did not finish in " + WAIT);
      }
      Path pidFile = home.resolve(FakeBambooAgent.PID_FILE);
      if (Files.exists(pidFile)) {
        pids.add(Long.parseLong(Files.readString(pidFile).trim()));
      }
      return process.exitValue();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private boolean isOurAgent(ProcessHandle process) {
    return process.isAlive()
        && process
            .info()
            .arguments()
            .map(args -> List.of(args).contains(home.toAbsolutePath().toString()))
            .orElse(false);
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(50);
    }
  }
}
