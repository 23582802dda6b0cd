package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.hupd.apply.PassGate;
import dev.hupd.config.BambooSettings;
import dev.hupd.metadata.StateStore;
import dev.hupd.testing.FakeBambooModel;
import dev.hupd.testing.LogCapture;
import dev.hupd.toolchain.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults found in the second review of the Bamboo lifecycle: identity trust, ambiguous disables,
 * capability modes, removal at stop. Reuses the harness of {@link AgentLifecycleTest} (in-process
 * {@link ModelAgent}, the fake master over HTTP through the real client, a virtual clock) by
 * composition, so that its own tests are not run again here.
 */
class AgentLifecycleEdgeCasesTest {

  @TempDir Path tmp;
  AgentLifecycleTest h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentLifecycleTest();
    h.tmp = tmp;
    h.setUp();
  }

  @AfterEach
  void tearDown() {
    h.tearDown();
  }

  static final String NAME = AgentLifecycleTest.NAME;

  Manifest jdk(String digest, String path) throws Exception {
    return h.manifest(digest, path);
  }

  // ------------------------------------------------------------------ identity

  /**
   * A build (the agent's account owns the agent home) rewriting agentDefinition/id cannot move hupd
   * onto another host's agent: an id is learned once.
   */
  @Test
  void aRewrittenAgentIdInTheIdentityFileDoesNotMoveHupdOntoAnotherAgent() throws Exception {
    AgentLifecycle l = h.online(new AgentLifecycleTest.Knobs());
    long own = h.agentId();
    long victim = h.model.addAgent("ip-10-0-0-99", "REMOTE"); // another host's agent
    h.model.disable(victim); // an operator took it out
    // the build (agent account) rewrites the identity file, keeping the uuid
    Path cfg = h.home.resolve("bamboo-agent.cfg.xml");
    Files.writeString(
        cfg, Files.readString(cfg).replace("<id>" + own + "</id>", "<id>" + victim + "</id>"));
    h.clock.advance(Duration.ofSeconds(31));
    l.tick();
    h.model.setBusy(own, true); // this host's agent runs a build
    Manifest b = jdk(AgentLifecycleTest.DIGEST_B, "/opt/jdk-17.0.10");
    h.pass(l, b, true, h.activating(b));
    var v = h.model.findAgent(victim).orElseThrow();
    assertThat(l.record().agentId)
        .as(
            "hupd now manages agent %d (not its own %d); victim caps %s, victim enabled=%s",
            victim, own, v.capabilities().keySet(), v.enabled())
        .isEqualTo(own);
    assertThat(h.model.requests())
        .as("the drain disabled this host's own agent, never the other")
        .anyMatch(c -> c.rawPath().contains("/agent/" + own + "/disable"))
        .noneMatch(c -> c.rawPath().contains("/agent/" + victim + "/"));
    assertThat(v.enabled()).as("the other host's agent is left as its operator left it").isFalse();
    assertThat(v.capabilities())
        .as("this host's capabilities published on another agent")
        .doesNotContainKey("hupd.toolchain.jdk");
  }

  /**
   * A fresh host never adopts another host's live agent that carries the same name: it starts its
   * own.
   */
  @Test
  void aFreshHostNeverAdoptsAnotherHostsLiveAgentOfTheSameName() throws Exception {
    h.online(new AgentLifecycleTest.Knobs()); // host A, agent NAME
    long a = h.agentId();
    // host B: own home, own state, own agent process, same name
    h.home = tmp.resolve("b-home");
    Files.createDirectories(h.home.resolve("bin"));
    h.state = StateStore.open(tmp.resolve("b-state"), Optional.empty());
    ModelAgent agentB = new ModelAgent(h.model, h.home, NAME);
    agentB.ip = "10.0.0.8";
    h.agent = agentB;
    AgentLifecycle b = h.lifecycle(new AgentLifecycleTest.Knobs(), h.virtual());
    Manifest mb = jdk(AgentLifecycleTest.DIGEST_B, "/opt/jdk-17.0.10"); // B runs another image
    h.activate(mb);
    b.tick();
    h.pass(b, mb, false, () -> {});
    for (int i = 0; i < 3; i++) {
      h.clock.advance(Duration.ofSeconds(31));
      b.tick();
      agentB.retry();
    }
    assertThat(b.record().agentId)
        .as(
            "host B's state %s (%s), agent B starts=%d, host A's agent now advertises %s",
            b.current(),
            b.record().reason,
            agentB.starts,
            h.model.findAgent(a).orElseThrow().capabilities().get("hupd.toolchain.jdk").value())
        .isNotEqualTo(a);
    assertThat(h.model.findAgent(a).orElseThrow().capabilities().get("hupd.toolchain.jdk").value())
        .as("host A's agent advertises host B's image")
        .isEqualTo(AgentLifecycleTest.DIGEST_A);
  }

  /**
   * An unparsable identity file (or one with a DOCTYPE: XXE refused) at start never re-enables an
   * agent an operator disabled.
   */
  @Test
  void anUnparsableIdentityFileAtStartNeverReEnablesAnOperatorsDisable() throws Exception {
    h.online(new AgentLifecycleTest.Knobs());
    long id = h.agentId();
    h.model.disable(id); // operator
    Path cfg = h.home.resolve("bamboo-agent.cfg.xml");
    String good = Files.readString(cfg);
    Files.writeString(
        cfg,
        "<?xml version=\"1.0\"?><!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + good.replace("<name>", "<name>&x;"));
    AgentLifecycle restarted = h.lifecycle(new AgentLifecycleTest.Knobs(), h.virtual());
    restarted.tick();
    Files.writeString(cfg, good); // the agent rewrote it / the build is gone
    Manifest a = jdk(AgentLifecycleTest.DIGEST_A, "/opt/jdk-17.0.8");
    h.pass(restarted, a, false, () -> {});
    h.clock.advance(Duration.ofSeconds(31));
    restarted.tick();
    assertThat(restarted.record().name).doesNotContain("root:"); // XXE did not resolve (held)
    assertThat(h.onMaster().enabled())
        .as(
            "operator's disable undone; state %s (%s)",
            restarted.current(), restarted.record().reason)
        .isFalse();
  }

  // ------------------------------------------------------------------ the fixes themselves

  /**
   * A disable whose answer is lost is settled by a re-read at once, so an operator's later disable
   * stands (E).
   */
  @Test
  void aLostDisableIsSettledAtOnceSoAnOperatorsLaterDisableStands() throws Exception {
    AgentLifecycle l = h.online(new AgentLifecycleTest.Knobs());
    long id = h.agentId();
    h.model.dropNext("/agent/" + id + "/disable", 1);
    PassGate.Decision d = h.pass(l, jdk(AgentLifecycleTest.DIGEST_B, "/opt/b"), true, () -> {});
    assertThat(d).isInstanceOf(PassGate.Decision.Skip.class);
    assertThat(h.onMaster().enabled()).as("the dropped disable never reached the master").isTrue();
    assertThat(l.record().disableInFlight).as("settled at once by a re-read").isFalse();
    assertThat(l.record().disabledByHupd).isFalse();
    h.model.disable(id); // operator, for an investigation
    h.clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(h.onMaster().enabled())
        .as(
            "E: someone else's disable undone (record disabledByHupd=%s)",
            l.record().disabledByHupd)
        .isFalse();
  }

  /**
   * A transient 404 on the first capability read on a 7.1+ master is retried, not taken for "no
   * capability REST".
   */
  @Test
  void aTransient404OnTheCapabilityProbeDoesNotPinFileMode() throws Exception {
    h.model.failNext("/agent/" + FakeBambooModel.FIRST_AGENT_ID + "/capability", 1, 404);
    AgentLifecycle l = h.lifecycle(new AgentLifecycleTest.Knobs(), h.virtual());
    Manifest a = jdk(AgentLifecycleTest.DIGEST_A, "/opt/a");
    h.activate(a);
    h.pass(l, a, false, () -> {});
    h.agent.retry();
    for (int i = 0; i < 3; i++) {
      h.clock.advance(Duration.ofSeconds(31));
      l.tick();
    }
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    assertThat(h.model.version()).startsWith("9.");
    assertThat(l.record().publishedMode).as("capability mode on a 9.x master").isEqualTo("rest");
  }

  /** A 404 on /disable from a 9.x master is the agent gone, not an unsupported server. */
  @Test
  void anAgentDeletedBetweenReadAndDisableIsNotUnsupportedServer() throws Exception {
    AgentLifecycle l = h.online(new AgentLifecycleTest.Knobs());
    long id = h.agentId();
    h.model.failNext("/agent/" + id + "/disable", 1, 404); // what the race answers
    try (LogCapture logs = new LogCapture()) {
      h.pass(l, jdk(AgentLifecycleTest.DIGEST_B, "/opt/b"), true, () -> {});
      assertThat(l.current())
          .as("reason: %s", l.record().reason)
          .isNotEqualTo(AgentState.UNSUPPORTED_SERVER);
      assertThat(logs.lines(Level.ERROR)).noneMatch(s -> s.contains("8.0 or later"));
    }
  }

  // ------------------------------------------------------------------ file mode, restarts

  /**
   * File mode: a capability-only change while busy disables the agent (no build on stale
   * capabilities) and restarts it once idle.
   */
  @Test
  void fileModeCapabilityChangeWhileBusyDisablesThenRestartsWhenIdle() throws Exception {
    AgentLifecycleTest.Knobs k = new AgentLifecycleTest.Knobs();
    k.mode = BambooSettings.CapabilityMode.FILE;
    AgentLifecycle l = h.online(k);
    long id = h.agentId();
    int restarts = h.agent.restarts;
    h.model.setBusy(id, true);
    Manifest a2 = jdk(AgentLifecycleTest.DIGEST_A, "/opt/jdk-17.0.9"); // same image, new path
    h.pass(l, a2, false, () -> {});
    assertThat(h.onMaster().enabled())
        .as("no new build on stale capabilities: disabled until the restart")
        .isFalse();
    assertThat(h.agent.restarts).as("never restarted while busy").isEqualTo(restarts);
    h.model.setBusy(id, false); // the build ends
    h.clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(h.agent.restarts).isEqualTo(restarts + 1);
    assertThat(h.capability("system.jdk.JDK 17")).isEqualTo("/opt/jdk-17.0.9");
    assertThat(h.onMaster().enabled()).isTrue();
    assertThat(h.model.restartsWhileBusy(id)).isZero();
  }

  /**
   * bamboo-remove = always with a build outlasting the stop timeout keeps the agent (disabled)
   * instead of killing the build.
   */
  @Test
  void removeAlwaysDoesNotKillARunningBuild() throws Exception {
    AgentLifecycleTest.Knobs k = new AgentLifecycleTest.Knobs();
    k.remove = BambooSettings.Remove.ALWAYS;
    h.online(k);
    long id = h.agentId();
    h.model.setBusy(id, true);
    boolean[] busyAtStop = {false};
    boolean[] deletedWhileBusy = {false};
    AgentProcess p =
        new AgentProcess() {
          @Override
          public void start() throws java.io.IOException {
            h.agent.start();
          }

          @Override
          public void stop() {
            busyAtStop[0] = h.model.findAgent(id).map(a -> a.busy()).orElse(false);
            h.agent.stop();
          }

          @Override
          public void restart() throws java.io.IOException {
            h.agent.restart();
          }

          @Override
          public boolean running() {
            return h.agent.running();
          }

          @Override
          public void setSecurityToken(String token) {
            h.agent.setSecurityToken(token);
          }
        };
    AgentLifecycle l =
        h.lifecycle(k, h.virtual(), Secret.of("file:/etc/hupd/bamboo.token", "test-token"), p);
    l.stop(
        false,
        d -> {
          h.clock.advance(d);
          return true;
        });
    assertThat(h.model.findAgent(id)).as("kept: a build still runs").isPresent();
    assertThat(busyAtStop[0])
        .as("the agent process was stopped (and its record deleted) under a running build")
        .isFalse();
  }

  // ------------------------------------------------------------------ what held (regressions)

  /** A disable applied after the client gave up reads as someone else's: E wins over capacity. */
  @Test
  void aDisableTheMasterAppliesAfterTheTimeoutIsNotUndone() throws Exception {
    AgentLifecycle l = h.online(new AgentLifecycleTest.Knobs());
    long id = h.agentId();
    h.model.delay("/agent/" + id + "/disable", Duration.ofSeconds(6)); // client timeout 5 s
    PassGate.Decision d = h.pass(l, jdk(AgentLifecycleTest.DIGEST_B, "/opt/b"), true, () -> {});
    assertThat(d).isInstanceOf(PassGate.Decision.Skip.class);
    h.model.clearFaults();
    for (int i = 0; i < 40 && h.onMaster().enabled(); i++) {
      Thread.sleep(100); // the fake acts once its 6 s delay is over
    }
    assertThat(h.onMaster().enabled()).isFalse();
    h.clock.advance(Duration.ofSeconds(31));
    l.tick();
    // when in doubt, never undo a disable that may be an operator's (E): it stays, and says so
    assertThat(h.onMaster().enabled()).isFalse();
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_BY_OPERATOR);
  }

  /** A crash after the disable, mid-drain: the new process finishes the switch and enables. */
  @Test
  void aCrashMidDrainResumesTheSwitch() throws Exception {
    AgentLifecycleTest.Knobs k = new AgentLifecycleTest.Knobs();
    AgentLifecycle l = h.online(k);
    long id = h.agentId();
    h.model.setBusy(id, true);
    AgentLifecycle crashing =
        h.lifecycle(
            k,
            d -> {
              throw new IllegalStateException("crash");
            });
    Manifest b = jdk(AgentLifecycleTest.DIGEST_B, "/opt/b");
    try {
      h.pass(crashing, b, true, h.activating(b));
    } catch (IllegalStateException expected) {
      // the process died while draining
    }
    assertThat(h.onMaster().enabled()).isFalse();
    h.model.setBusy(id, false);
    AgentLifecycle again = h.lifecycle(k, h.virtual());
    again.tick();
    assertThat(h.onMaster().enabled()).as("nothing enabled before the first pass").isFalse();
    h.pass(again, b, true, h.activating(b));
    assertThat(h.onMaster().enabled()).isTrue();
    assertThat(h.capability("hupd.toolchain.jdk")).isEqualTo(AgentLifecycleTest.DIGEST_B);
  }

  /** The agent deleted on the master mid-drain: identity reset, registers anew, first-enabled. */
  @Test
  void anAgentDeletedMidDrainRegistersAnew() throws Exception {
    AgentLifecycleTest.Knobs k = new AgentLifecycleTest.Knobs();
    h.online(k);
    long id = h.agentId();
    h.model.setBusy(id, true);
    AgentLifecycle l =
        h.lifecycle(
            k,
            h.virtual(
                n -> {
                  if (n == 1) {
                    h.model.delete(id);
                  }
                }));
    Manifest b = jdk(AgentLifecycleTest.DIGEST_B, "/opt/b");
    h.pass(l, b, true, h.activating(b));
    assertThat(l.current()).isEqualTo(AgentState.NOT_REGISTERED);
    for (int i = 0; i < 4; i++) {
      h.clock.advance(Duration.ofSeconds(31));
      l.tick();
      h.agent.retry();
    }
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    assertThat(h.agentId()).isNotEqualTo(id);
    assertThat(h.onMaster().enabled()).isTrue();
  }

  /** Token rotation while an operator disabled the agent: restarted when idle, left disabled. */
  @Test
  void aTokenRotationWhileAnOperatorDisabledItKeepsItDisabled() throws Exception {
    h.model.setSecurityToken(Optional.of("agent-secret-1"));
    AgentLifecycleTest.Knobs k = new AgentLifecycleTest.Knobs();
    k.agentToken = Optional.of("configured");
    AgentLifecycle l = h.online(k);
    long id = h.agentId();
    h.model.disable(id);
    h.agentTokenValue = "agent-secret-2";
    h.model.setSecurityToken(Optional.of("agent-secret-2"));
    try (LogCapture logs = new LogCapture()) {
      h.clock.advance(Duration.ofHours(1));
      l.tick();
      h.clock.advance(Duration.ofSeconds(31));
      l.tick();
      assertThat(logs.all()).doesNotContain("agent-secret-2").doesNotContain("agent-secret-1");
    }
    assertThat(h.agent.restarts).isEqualTo(1);
    assertThat(h.onMaster().enabled()).isFalse();
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_BY_OPERATOR);
    assertThat(Files.readString(h.state.file()))
        .doesNotContain("agent-secret")
        .doesNotContain("test-token");
  }
}
