package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.hupd.apply.PassContext;
import dev.hupd.apply.PassGate;
import dev.hupd.config.BambooSettings;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.poll.Sleeper;
import dev.hupd.testing.FakeBamboo;
import dev.hupd.testing.FakeBambooModel;
import dev.hupd.testing.LogCapture;
import dev.hupd.testing.ManualClock;
import dev.hupd.toolchain.Manifest;
import dev.hupd.toolchain.ToolchainStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent lifecycle against the stateful fake master (over HTTP, through the real client), with
 * an in-process agent and a virtual clock: registration, approval, the drain around a switch,
 * invariant E (never enabled unverified), capabilities in both modes, failures of the master and
 * stop. Field cases C18, C19, C21 and C22 are pinned here.
 */
class AgentLifecycleTest {

  static final String NAME = "ip-10-0-0-7";
  static final String DIGEST_A = "127.0.0.1:5000/ci/jdk@sha256:" + "a".repeat(64);
  static final String DIGEST_B = "127.0.0.1:5000/ci/jdk@sha256:" + "b".repeat(64);
  static final String DIGEST_M = "127.0.0.1:5000/ci/mvn@sha256:" + "c".repeat(64);

  @TempDir Path tmp;
  FakeBamboo master;
  FakeBambooModel model;
  StateStore state;
  ModelAgent agent;
  Path docker;
  Path home;
  final ManualClock clock = new ManualClock();
  final List<AgentLifecycle> opened = new ArrayList<>();

  /** Settings under test, defaults as in production except the short polls. */
  static final class Knobs {
    boolean approve = true;
    BambooSettings.CapabilityMode mode = BambooSettings.CapabilityMode.AUTO;
    Duration drainTimeout = Duration.ofMinutes(30);
    BambooSettings.DrainExpired expired = BambooSettings.DrainExpired.PROCEED;
    BambooSettings.Unreachable unreachable = BambooSettings.Unreachable.DEFER;
    BambooSettings.StopMode stop = BambooSettings.StopMode.KEEP;
    BambooSettings.Remove remove = BambooSettings.Remove.NEVER;
    BambooSettings.Identity identity = BambooSettings.Identity.AUTO;
    Optional<String> agentToken = Optional.empty();
  }

  @BeforeEach
  void setUp() throws Exception {
    model = new FakeBambooModel(() -> clock.instant().toEpochMilli());
    model.setManualApproval(true);
    model.heartbeatTimeout(Duration.ofDays(365)); // the in-process agent does not heartbeat
    master = FakeBamboo.start(model, 0);
    state = StateStore.open(tmp.resolve("state"), Optional.empty());
    home = tmp.resolve("agent-home");
    Files.createDirectories(home.resolve("bin"));
    agent = new ModelAgent(model, home, NAME);
    docker = tmp.resolve("docker");
    Files.writeString(docker, "#!/bin/sh\n");
    Files.setPosixFilePermissions(docker, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterEach
  void tearDown() {
    opened.forEach(AgentLifecycle::close);
    master.close();
  }

  BambooSettings settings(Knobs k) {
    return new BambooSettings(
        master.baseUrl(),
        "file:/etc/hupd/bamboo.token",
        Optional.empty(),
        Optional.of(BambooSettings.NO_PROXY),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        home,
        NAME,
        "command:" + home.resolve("bin/bamboo-agent.sh"),
        Optional.empty(),
        k.agentToken.map(t -> "file:/etc/hupd/agent.token"),
        Duration.ofHours(1),
        k.identity,
        k.approve,
        Duration.ofMinutes(5),
        k.mode,
        docker,
        k.drainTimeout,
        k.expired,
        Duration.ofSeconds(15),
        k.unreachable,
        k.stop,
        Duration.ofMinutes(10),
        k.remove);
  }

  AgentLifecycle lifecycle(Knobs k, Sleeper sleeper) {
    return lifecycle(k, sleeper, Secret.of("file:/etc/hupd/bamboo.token", "test-token"));
  }

  AgentLifecycle lifecycle(Knobs k, Sleeper sleeper, Secret token) {
    return lifecycle(k, sleeper, token, agent);
  }

  AgentLifecycle lifecycle(Knobs k, Sleeper sleeper, Secret token, AgentProcess process) {
    BambooClient client =
        BambooClient.create(
            master.baseUrl(),
            token,
            Optional.of(BambooSettings.NO_PROXY),
            Optional.empty(),
            Duration.ofSeconds(5));
    Optional<Secret> agentToken =
        k.agentToken.map(t -> new Secret("file:/etc/hupd/agent.token", () -> agentTokenValue));
    AgentLifecycle l =
        new AgentLifecycle(
            settings(k),
            client,
            new AgentHome(home),
            process,
            agentToken,
            state,
            tmp.resolve("state"),
            "i-0123456789abcdef0",
            true,
            clock,
            sleeper,
            () -> false,
            new LogLimiter());
    opened.add(l);
    return l;
  }

  String agentTokenValue = "agent-secret-1";

  /** A sleeper that advances the virtual clock and runs {@code each} on every nap. */
  Sleeper virtual(Consumer<Integer> each) {
    int[] naps = {0};
    return d -> {
      clock.advance(d);
      each.accept(++naps[0]);
      return true;
    };
  }

  Sleeper virtual() {
    return virtual(n -> {});
  }

  // ---------------------------------------------------------------- a manifest and its state

  Manifest manifest(String image, String jdkPath) throws Exception {
    return Manifest.parse(
        Json.parse(
            "{\"toolchains\":[{\"name\":\"jdk\",\"image\":\""
                + image
                + "\",\"verify\":{\"command\":[\"java\",\"-version\"]},"
                + "\"capabilities\":{\"system.jdk.JDK 17\":\""
                + jdkPath
                + "\"}}]}"));
  }

  /** Records the manifest's toolchain as activated (what ToolchainStep writes after verify). */
  void activate(Manifest m) throws Exception {
    var t = m.toolchains().get(0);
    state.putDocument(
        "toolchain/jdk",
        Json.parse(
            "{\"name\":\"jdk\",\"active\":{\"image\":\""
                + t.image()
                + "\",\"imageId\":\"sha256:"
                + t.image().substring(t.image().length() - 64)
                + "\",\"digest\":\""
                + t.image()
                + "\",\"fingerprint\":\""
                + ToolchainStep.fingerprint(t)
                + "\"}}"));
  }

  /** One pass as the pipeline runs it: before (with the step's answer), the steps, after. */
  PassGate.Decision pass(AgentLifecycle l, Manifest m, boolean disruptive, Runnable steps) {
    PassContext context = new PassContext(null, state, () -> false);
    PassGate.Decision d = l.before(context, disruptive);
    if (d instanceof PassGate.Decision.Skip) {
      return d;
    }
    steps.run();
    context.attach(Manifest.class, m);
    l.after(context, context.report());
    return d;
  }

  long agentId() {
    return agent.id.orElseThrow();
  }

  FakeBambooModel.Agent onMaster() {
    return model.findAgent(agentId()).orElseThrow();
  }

  String capability(String key) {
    var c = onMaster().capabilities().get(key);
    return c == null ? null : c.value();
  }

  /** Boot to online: first pass verifies image A, the agent registers, is approved and enabled. */
  AgentLifecycle online(Knobs k) throws Exception {
    AgentLifecycle l = lifecycle(k, virtual());
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    l.tick();
    pass(l, a, false, () -> {});
    agent.retry(); // approved: the agent's next connect registers it
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    return l;
  }

  // ---------------------------------------------------------------- registration

  @Test
  void bootStartsTheAgentOnlyAfterTheFirstPassApprovesItOnceAndEnablesItWithItsCapabilities()
      throws Exception {
    AgentLifecycle l = lifecycle(new Knobs(), virtual());
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    l.tick();
    assertThat(agent.starts).as("no agent before the toolchains' first pass").isZero();
    assertThat(l.current()).isEqualTo(AgentState.STARTING);

    pass(l, a, false, () -> {});
    assertThat(agent.starts).isEqualTo(1);
    assertThat(agent.last).isEqualTo(FakeBambooModel.Outcome.PENDING);
    assertThat(model.approved()).hasSize(1);
    String uuid = model.approved().keySet().iterator().next();
    assertThat(model.approvals(uuid)).as("approved within the same cycle").isEqualTo(1);

    agent.retry();
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(31));
      l.tick();
    }
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    assertThat(onMaster().enabled()).isTrue();
    assertThat(capability("hupd.toolchain.jdk")).isEqualTo(DIGEST_A);
    assertThat(capability("system.jdk.JDK 17")).isEqualTo("/opt/jdk-17.0.8");
    assertThat(capability(CapabilitySet.DOCKER_KEY)).isEqualTo(docker.toString());
    assertThat(onMaster().capabilities().get("hupd.toolchain.jdk").source())
        .isEqualTo(FakeBambooModel.CapabilitySource.REST);
    assertThat(model.approvals(uuid)).as("C19: once, not every cycle").isEqualTo(1);
    assertThat(AgentRecord.load(state).state).isEqualTo("online");

    // a restarted hupd (same state) does not approve again
    AgentLifecycle again = lifecycle(new Knobs(), virtual());
    again.tick();
    assertThat(model.approvals(uuid)).isEqualTo(1);
    assertThat(again.current()).isEqualTo(AgentState.ONLINE);
  }

  @Test
  void c19_withoutApprovalThePendingStateIsShownWithinOneCycleAndNoApprovalIsSent()
      throws Exception {
    Knobs k = new Knobs();
    k.approve = false;
    AgentLifecycle l = lifecycle(k, virtual());
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    pass(l, a, false, () -> {});
    assertThat(l.current()).isEqualTo(AgentState.PENDING_AUTHENTICATION);
    assertThat(l.record().reason).contains("10.0.0.7").contains("bamboo-approve = off");
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(31));
      l.tick();
    }
    assertThat(model.requestCount("PUT /agent/authentication/{uuid}")).isZero();
    assertThat(l.current()).isEqualTo(AgentState.PENDING_AUTHENTICATION);
  }

  @Test
  void c19_anIpChangeNeedsOneMoreApprovalAndGetsExactlyOne() throws Exception {
    AgentLifecycle l = online(new Knobs());
    String uuid = onMaster().uuid();
    agent.ip = "10.0.9.9";
    agent.restart(); // the new address is pending again
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofSeconds(31));
      l.tick();
      agent.retry();
    }
    assertThat(model.approvals(uuid)).isEqualTo(2);
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
  }

  @Test
  void c22_anAgentRefusedForItsSecurityTokenIsReportedNotRegisteredNamingTheSecretNotItsValue()
      throws Exception {
    model.setManualApproval(false);
    model.setSecurityToken(Optional.of("agent-secret-1"));
    Knobs k = new Knobs();
    k.agentToken = Optional.of("configured");
    agentTokenValue = "agent-secret-wrong";
    try (LogCapture logs = new LogCapture()) {
      AgentLifecycle l = lifecycle(k, virtual());
      Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
      activate(a);
      pass(l, a, false, () -> {});
      assertThat(agent.last).isEqualTo(FakeBambooModel.Outcome.REJECTED);
      assertThat(model.allAgents()).as("refused: no trace on the master").isEmpty();
      clock.advance(Duration.ofMinutes(6));
      l.tick();
      assertThat(l.current()).isEqualTo(AgentState.NOT_REGISTERED);
      assertThat(l.record().reason).contains("file:/etc/hupd/agent.token");
      assertThat(logs.lines(Level.ERROR))
          .anyMatch(line -> line.contains("not-registered") && line.contains("agent.token"));

      // the right token (rotated in the secret store) registers it at the next start
      agentTokenValue = "agent-secret-1";
      clock.advance(Duration.ofHours(1));
      l.tick();
      clock.advance(Duration.ofSeconds(31));
      l.tick();
      assertThat(agent.last).isEqualTo(FakeBambooModel.Outcome.REGISTERED);
      clock.advance(Duration.ofSeconds(31));
      l.tick();
      assertThat(l.current()).isEqualTo(AgentState.ONLINE);
      assertThat(logs.all()).doesNotContain("agent-secret-1").doesNotContain("agent-secret-wrong");
      assertThat(Files.readString(state.file()))
          .doesNotContain("agent-secret-1")
          .doesNotContain("test-token");
    }
  }

  @Test
  void c22_aRotatedTokenRestartsTheAgentOnceAndOnlyWhenIdle() throws Exception {
    model.setSecurityToken(Optional.of("agent-secret-1"));
    Knobs k = new Knobs();
    k.agentToken = Optional.of("configured");
    AgentLifecycle l = online(k);
    model.setBusy(agentId(), true);
    agentTokenValue = "agent-secret-2";
    model.setSecurityToken(Optional.of("agent-secret-2"));
    clock.advance(Duration.ofHours(1));
    l.tick();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(agent.restarts).as("never while busy").isZero();
    model.setBusy(agentId(), false);
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(agent.restarts).isEqualTo(1);
    assertThat(model.restartsWhileBusy(agentId())).isZero();
    assertThat(onMaster().active()).isTrue();
  }

  @Test
  void anIdentityBakedIntoTheImageIsQuarantinedAndTheAgentRegistersAsItself() throws Exception {
    Files.writeString(
        home.resolve("bamboo-agent.cfg.xml"),
        "<configuration><agentUuid>11111111-2222-3333-4444-555555555555</agentUuid>"
            + "<agentDefinition><id>4242</id><name>ip-10-9-9-9</name></agentDefinition>"
            + "</configuration>");
    AgentLifecycle l = lifecycle(new Knobs(), virtual());
    l.tick();
    assertThat(home.resolve("bamboo-agent.cfg.xml")).doesNotExist();
    try (var q = Files.list(tmp.resolve("state/bamboo/quarantine"))) {
      Path moved = q.findFirst().orElseThrow();
      assertThat(Files.readString(moved.resolve("bamboo-agent.cfg.xml"))).contains("4242");
    }
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    pass(l, a, false, () -> {});
    agent.retry();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(onMaster().uuid()).isNotEqualTo("11111111-2222-3333-4444-555555555555");
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
  }

  @Test
  void anIdentityThisHostRegisteredItselfIsKept() throws Exception {
    model.setManualApproval(false);
    var known =
        model.connect(
            FakeBambooModel.Connect.of("11111111-2222-3333-4444-555555555555", NAME, "10.0.0.7"));
    long id = known.id().orElseThrow();
    model.disconnect(id);
    Files.writeString(
        home.resolve("bamboo-agent.cfg.xml"),
        "<configuration><agentUuid>11111111-2222-3333-4444-555555555555</agentUuid>"
            + "<agentDefinition><id>"
            + id
            + "</id><name>"
            + NAME
            + "</name></agentDefinition></configuration>");
    AgentLifecycle l = lifecycle(new Knobs(), virtual());
    l.tick();
    assertThat(home.resolve("bamboo-agent.cfg.xml")).exists();
    assertThat(l.record().uuid).isEqualTo("11111111-2222-3333-4444-555555555555");
    assertThat(l.record().agentId).isEqualTo(id);
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    pass(l, a, false, () -> {});
    assertThat(agent.id).hasValue(id);
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    assertThat(model.allAgents()).hasSize(1);
  }

  // ---------------------------------------------------------------- drain (C18)

  @Test
  void c18_anAgentThatDiedIsOfflineAndStartedAgainThenOnline() throws Exception {
    AgentLifecycle l = online(new Knobs());
    agent.stop(); // e.g. the agent exited after a heartbeat timeout
    int starts = agent.starts;
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(agent.starts).isEqualTo(starts + 1);
    assertThat(onMaster().active()).isTrue();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
  }

  @Test
  void anAgentThatIsNotInstalledSaysSoInsteadOfWaitingForever() throws Exception {
    AgentLifecycle l = lifecycle(new Knobs(), virtual());
    agent.failStart = "cannot run " + home.resolve("bin/bamboo-agent.sh") + ": No such file";
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    pass(l, a, false, () -> {});
    assertThat(l.current()).isEqualTo(AgentState.OFFLINE);
    assertThat(l.record().reason).contains("No such file").contains("installed");
  }

  @Test
  void c18_aSwitchWaitsForTheRunningBuildThenSwitchesPublishesAndEnables() throws Exception {
    Knobs k = new Knobs();
    AgentLifecycle l = lifecycle(k, virtual(n -> {}));
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    l.tick();
    pass(l, a, false, () -> {});
    agent.retry();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    model.setBusy(agentId(), true);

    List<String> order = new ArrayList<>();
    int[] ran = {0};
    AgentLifecycle draining =
        lifecycle(
            k,
            virtual(
                n -> {
                  order.add("nap enabled=" + onMaster().enabled());
                  if (n == 3) {
                    model.setBusy(agentId(), false);
                  }
                }));
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    PassGate.Decision d =
        pass(
            draining,
            b,
            true,
            () -> {
              ran[0]++;
              order.add("switch busy=" + onMaster().busy() + " enabled=" + onMaster().enabled());
              try {
                activate(b);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(d).isInstanceOf(PassGate.Decision.Proceed.class);
    assertThat(ran[0]).isEqualTo(1);
    assertThat(order)
        .containsExactly(
            "nap enabled=false",
            "nap enabled=false",
            "nap enabled=false",
            "switch busy=false enabled=false");
    assertThat(onMaster().enabled()).isTrue();
    assertThat(capability("hupd.toolchain.jdk")).isEqualTo(DIGEST_B);
    assertThat(capability("system.jdk.JDK 17")).isEqualTo("/opt/jdk-17.0.10");
    assertThat(model.requestCount("PUT /agent/{id}/capability/{key}")).isEqualTo(2);
    assertThat(draining.current()).isEqualTo(AgentState.ONLINE);
    assertThat(model.restartsWhileBusy(agentId())).isZero();
  }

  @Test
  void aPassThatChangesNothingDoesNotDisableTheAgent() throws Exception {
    AgentLifecycle l = online(new Knobs());
    int disables = model.requestCount("PUT /agent/{id}/disable");
    pass(l, manifest(DIGEST_A, "/opt/jdk-17.0.8"), false, () -> {});
    assertThat(model.requestCount("PUT /agent/{id}/disable")).isEqualTo(disables);
    assertThat(onMaster().enabled()).isTrue();
  }

  @Test
  void aBuildOutlastingTheDrainTimeoutDefersTheSwitchWhenTold_orProceedsWithoutNewBuilds()
      throws Exception {
    Knobs k = new Knobs();
    k.drainTimeout = Duration.ofMinutes(1);
    k.expired = BambooSettings.DrainExpired.DEFER;
    online(k);
    model.setBusy(agentId(), true);
    AgentLifecycle defer = lifecycle(k, virtual());
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    int[] ran = {0};
    PassGate.Decision d = pass(defer, b, true, () -> ran[0]++);
    assertThat(d).isInstanceOf(PassGate.Decision.Skip.class);
    assertThat(((PassGate.Decision.Skip) d).reason()).contains("still building after 1m");
    assertThat(ran[0]).isZero();

    k.expired = BambooSettings.DrainExpired.PROCEED;
    AgentLifecycle proceed = lifecycle(k, virtual());
    d = pass(proceed, b, true, () -> ran[0]++);
    assertThat(d).isInstanceOf(PassGate.Decision.Proceed.class);
    assertThat(ran[0]).isEqualTo(1);
    assertThat(onMaster().enabled()).as("still disabled: no new build until verified").isFalse();
  }

  // ---------------------------------------------------------------- invariant E

  @Test
  void anAgentWhoseToolchainFailedVerificationStaysDisabledUntilAVerifiedPass() throws Exception {
    AgentLifecycle l = online(new Knobs());
    Manifest broken = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    pass(l, broken, true, () -> {}); // the switch ran, but image B never became active
    assertThat(onMaster().enabled()).isFalse();
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_UNVERIFIED);
    assertThat(l.record().reason).contains("toolchain jdk").contains(DIGEST_B);
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(31));
      l.tick();
      pass(l, broken, false, () -> {});
    }
    assertThat(onMaster().enabled()).as("never enabled unverified").isFalse();
    assertThat(model.requestCount("PUT /agent/{id}/enable")).isEqualTo(1); // the boot's only

    Manifest back = manifest(DIGEST_A, "/opt/jdk-17.0.8"); // operator reverts
    pass(l, back, false, () -> {});
    assertThat(onMaster().enabled()).isTrue();
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
  }

  @Test
  void anAgentAnOperatorDisabledStaysDisabledAcrossSwitches() throws Exception {
    AgentLifecycle l = online(new Knobs());
    model.disable(agentId());
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_BY_OPERATOR);
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    pass(l, b, true, activating(b));
    assertThat(onMaster().enabled()).isFalse();
    assertThat(capability("hupd.toolchain.jdk"))
        .as("capabilities still follow")
        .isEqualTo(DIGEST_B);
    assertThat(l.health()).as("an operator's disable does not fail a rollout").isEmpty();
  }

  // ---------------------------------------------------------------- master failures

  @Test
  void aMasterDownBeforeTheDisableDefersTheSwitchAndLeavesTheAgentAsItWas() throws Exception {
    AgentLifecycle l = online(new Knobs());
    model.failAlways("", 503);
    int[] ran = {0};
    PassGate.Decision d = pass(l, manifest(DIGEST_B, "/x"), true, () -> ran[0]++);
    assertThat(d).isInstanceOf(PassGate.Decision.Skip.class);
    assertThat(ran[0]).isZero();
    assertThat(l.current()).isEqualTo(AgentState.MASTER_UNAVAILABLE);
    assertThat(l.record().reason).contains("503");
    model.clearFaults();
    assertThat(onMaster().enabled()).isTrue();
  }

  @Test
  void aMasterLostAfterTheDisableKeepsTheAgentDisabledAndEnablesItWhenBack() throws Exception {
    AgentLifecycle l = online(new Knobs());
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    pass(
        l,
        b,
        true,
        () -> {
          activating(b).run();
          model.failAlways("", 500);
        });
    model.clearFaults();
    assertThat(onMaster().enabled()).isFalse();
    assertThat(AgentRecord.load(state).pendingEnable).isTrue();
    assertThat(l.current()).isEqualTo(AgentState.MASTER_UNAVAILABLE);

    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(onMaster().enabled()).isTrue();
    assertThat(capability("hupd.toolchain.jdk")).isEqualTo(DIGEST_B);
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
  }

  @Test
  void aMasterLostWhileDrainingSkipsTheSwitchAndKeepsTheAgentDisabledUntilTheSwitchRuns()
      throws Exception {
    Knobs k = new Knobs();
    online(k);
    model.setBusy(agentId(), true);
    AgentLifecycle l = lifecycle(k, virtual(n -> model.failAlways("", 503)));
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    int[] ran = {0};
    PassGate.Decision d = pass(l, b, true, () -> ran[0]++);
    assertThat(d).isInstanceOf(PassGate.Decision.Skip.class);
    assertThat(ran[0]).isZero();
    model.clearFaults();
    assertThat(onMaster().enabled()).isFalse();
    model.setBusy(agentId(), false);
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(onMaster().enabled()).as("the switch has not run yet").isFalse();
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_UNVERIFIED);
    assertThat(l.record().reason).contains("first pass");
    pass(l, b, true, activating(b));
    assertThat(onMaster().enabled()).isTrue();
    assertThat(capability("hupd.toolchain.jdk")).isEqualTo(DIGEST_B);
  }

  @Test
  void aRefusedTokenIsAuthFailedAndNeverEnablesAnything() throws Exception {
    AgentLifecycle l = online(new Knobs());
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    pass(
        l,
        b,
        true,
        () -> {
          activating(b).run();
          model.removeToken(FakeBambooModel.DEFAULT_TOKEN);
        });
    assertThat(l.current()).isEqualTo(AgentState.AUTH_FAILED);
    assertThat(l.record().reason).contains("file:/etc/hupd/bamboo.token");
    assertThat(onMaster().enabled()).isFalse();
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(31));
      l.tick();
    }
    assertThat(onMaster().enabled()).isFalse();
    assertThat(l.current()).isEqualTo(AgentState.AUTH_FAILED);
  }

  @Test
  void aMasterWithoutRestEnableIsUnsupportedServer() throws Exception {
    model.setVersion("7.2.4"); // enable/disable came with 8.0
    AgentLifecycle l = lifecycle(new Knobs(), virtual());
    Manifest a = manifest(DIGEST_A, "/x");
    activate(a);
    pass(l, a, false, () -> {});
    agent.retry();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.UNSUPPORTED_SERVER);
    assertThat(l.record().reason).contains("8.0");
  }

  @Test
  void aPausedMasterIsWaitedForWithoutWrites() throws Exception {
    AgentLifecycle l = online(new Knobs());
    model.setServerState(FakeBambooModel.ServerState.PAUSED);
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.WAITING_FOR_MASTER);
    assertThat(l.record().reason).contains("PAUSED");
  }

  // ---------------------------------------------------------------- capabilities, C21

  @Test
  void c21_fileModeWritesTheEscapedSortedFileRestartsOnlyWhenIdleAndVerifiesItOnTheMaster()
      throws Exception {
    Knobs k = new Knobs();
    k.mode = BambooSettings.CapabilityMode.FILE;
    AgentLifecycle l = online(k);
    Path file = home.resolve("bin/bamboo-capabilities.properties");
    byte[] first = Files.readAllBytes(file);
    assertThat(AgentRecord.load(state).publishedMode).isEqualTo("file");
    assertThat(new String(first)).contains("system.jdk.JDK\\ 17=/opt/jdk-17.0.8");
    assertThat(capability("system.jdk.JDK 17")).isEqualTo("/opt/jdk-17.0.8");
    assertThat(onMaster().capabilities().get("system.jdk.JDK 17").source())
        .isEqualTo(FakeBambooModel.CapabilitySource.FILE);

    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    int restartsBefore = agent.restarts;
    pass(l, b, true, activating(b));
    byte[] second = Files.readAllBytes(file);
    assertThat(new String(second)).contains("system.jdk.JDK\\ 17=/opt/jdk-17.0.10");
    assertThat(agent.restarts).isEqualTo(restartsBefore + 1);
    assertThat(capability("system.jdk.JDK 17")).isEqualTo("/opt/jdk-17.0.10");
    assertThat(onMaster().enabled()).isTrue();
    assertThat(model.restartsWhileBusy(agentId())).isZero();

    // deterministic: the same set written again is byte-identical and needs no restart
    pass(l, b, false, () -> {});
    assertThat(Files.readAllBytes(file)).isEqualTo(second);
    assertThat(agent.restarts).isEqualTo(restartsBefore + 1);
  }

  @Test
  void c21_aValueSetOnTheMasterThatHidesTheFileIsWarnedAboutAndKeepsTheAgentDisabled()
      throws Exception {
    Knobs k = new Knobs();
    k.mode = BambooSettings.CapabilityMode.FILE;
    AgentLifecycle l = online(k);
    model.updateCapability(agentId(), "system.jdk.JDK 17", "/opt/old-jdk"); // set in the UI
    try (LogCapture logs = new LogCapture()) {
      Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
      pass(l, b, true, activating(b));
      assertThat(logs.lines(Level.WARN))
          .anyMatch(line -> line.contains("capability-overridden") && line.contains("JDK 17"));
    }
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_UNVERIFIED);
    assertThat(onMaster().enabled()).isFalse();
  }

  @Test
  void c21_fileModeNeverRestartsABusyAgent() throws Exception {
    Knobs k = new Knobs();
    k.mode = BambooSettings.CapabilityMode.FILE;
    k.drainTimeout = Duration.ofMinutes(1);
    AgentLifecycle l = online(k);
    model.setBusy(agentId(), true);
    int restartsBefore = agent.restarts;
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    pass(l, b, true, activating(b));
    assertThat(agent.restarts).isEqualTo(restartsBefore);
    assertThat(onMaster().enabled()).isFalse();
    model.setBusy(agentId(), false);
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(agent.restarts).isEqualTo(restartsBefore + 1);
    assertThat(onMaster().enabled()).isTrue();
    assertThat(capability("system.jdk.JDK 17")).isEqualTo("/opt/jdk-17.0.10");
    assertThat(model.restartsWhileBusy(agentId())).isZero();
  }

  @Test
  void restModeLeavesKeysItDoesNotOwnAndDropsKeysItNoLongerPublishes() throws Exception {
    AgentLifecycle l = online(new Knobs());
    model.createCapability(agentId(), "os", "linux"); // an operator's key
    Manifest none = Manifest.parse(Json.parse("{\"toolchains\":[]}"));
    pass(
        l,
        none,
        true,
        () -> {
          try {
            state.removeDocument("toolchain/jdk");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    assertThat(capability("os")).isEqualTo("linux");
    assertThat(capability("hupd.toolchain.jdk")).isNull();
    assertThat(capability("system.jdk.JDK 17")).isNull();
    assertThat(capability(CapabilitySet.DOCKER_KEY)).isEqualTo(docker.toString());
  }

  // ---------------------------------------------------------------- stop, health

  @Test
  void stopWithDrainWaitsForTheBuildAndLeavesTheAgentDisabled_removeDeletesTheRecord()
      throws Exception {
    Knobs k = new Knobs();
    k.stop = BambooSettings.StopMode.DRAIN;
    k.remove = BambooSettings.Remove.SCALE_IN;
    AgentLifecycle l = online(k);
    long id = agentId();
    model.setBusy(id, true);
    int[] naps = {0};
    l.stop(
        false,
        d -> {
          clock.advance(d);
          if (++naps[0] == 2) {
            model.setBusy(id, false);
          }
          return true;
        });
    assertThat(naps[0]).isEqualTo(2);
    assertThat(onMaster().enabled()).isFalse();
    assertThat(model.findAgent(id)).as("not a scale-in: kept").isPresent();

    AgentLifecycle again = lifecycle(k, virtual());
    again.stop(true, d -> true);
    assertThat(model.findAgent(id)).isEmpty();
    assertThat(again.current()).isEqualTo(AgentState.REMOVED);
    assertThat(home.resolve("bamboo-agent.cfg.xml")).doesNotExist();
  }

  @Test
  void healthIsOnlineAndEnabled() throws Exception {
    AgentLifecycle l = online(new Knobs());
    assertThat(l.health()).isEmpty();
    model.disconnect(agentId());
    assertThat(l.health()).get().asString().contains("offline");
  }

  // ---------------------------------------------------------------- faults found in review

  Manifest two(String jdkCaps, String mvnCaps) throws Exception {
    return Manifest.parse(
        Json.parse(
            "{\"toolchains\":["
                + "{\"name\":\"jdk\",\"image\":\""
                + DIGEST_A
                + "\","
                + "\"verify\":{\"command\":[\"java\",\"-version\"]},\"capabilities\":"
                + jdkCaps
                + "},"
                + "{\"name\":\"mvn\",\"image\":\""
                + DIGEST_M
                + "\","
                + "\"verify\":{\"command\":[\"mvn\",\"-v\"]},\"capabilities\":"
                + mvnCaps
                + "}]}"));
  }

  void activateAll(Manifest m) throws Exception {
    for (var t : m.toolchains()) {
      state.putDocument(
          "toolchain/" + t.name(),
          Json.parse(
              "{\"name\":\""
                  + t.name()
                  + "\",\"active\":{\"image\":\""
                  + t.image()
                  + "\",\"imageId\":\"sha256:"
                  + t.image().substring(t.image().length() - 64)
                  + "\",\"digest\":\""
                  + t.image()
                  + "\",\"fingerprint\":\""
                  + ToolchainStep.fingerprint(t)
                  + "\"}}"));
    }
  }

  Runnable activating(Manifest m) {
    return () -> {
      try {
        activate(m);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /** A disable the master refused is not hupd's: a later operator disable is never undone (E). */
  @Test
  void aFailedDisableClaimsNothingSoAnOperatorsLaterDisableStands() throws Exception {
    AgentLifecycle l = online(new Knobs());
    long id = agentId();
    model.failNext("/agent/" + id + "/disable", 1, 503);
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    PassGate.Decision d = pass(l, b, true, () -> {});
    assertThat(d).isInstanceOf(PassGate.Decision.Skip.class);
    assertThat(onMaster().enabled()).as("the disable never happened").isTrue();
    // the operator takes the agent out for an investigation
    model.disable(id);
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    pass(l, b, true, activating(b));
    assertThat(onMaster().enabled())
        .as(
            "invariant E: someone else's disable is never undone (record: disabledByHupd=%s)",
            l.record().disabledByHupd)
        .isFalse();
  }

  /** After a refused disable, status does not say disabled while the master has it enabled. */
  @Test
  void afterARefusedDisableStatusDoesNotClaimTheAgentDisabled() throws Exception {
    AgentLifecycle l = online(new Knobs());
    long id = agentId();
    model.failNext("/agent/" + id + "/disable", 1, 503);
    pass(l, manifest(DIGEST_B, "/opt/jdk-17.0.10"), true, () -> {});
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(onMaster().enabled()).isTrue();
    assertThat(l.current())
        .as(
            "status %s (%s) while the master shows the agent enabled",
            l.current(), l.record().reason)
        .isNotEqualTo(AgentState.DISABLED_UNVERIFIED);
  }

  /**
   * bamboo-unreachable = apply: a switch that ran undrained and failed verify still disables (E).
   */
  @Test
  void withUnreachableApplyAFailedVerifyStillDisablesTheAgent() throws Exception {
    Knobs k = new Knobs();
    k.unreachable = BambooSettings.Unreachable.APPLY;
    AgentLifecycle l = online(k);
    long id = agentId();
    model.failNext("/agent/" + id, 1, 503);
    Manifest broken = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    PassGate.Decision d = pass(l, broken, true, () -> {}); // image B never becomes active
    assertThat(d).isInstanceOf(PassGate.Decision.Proceed.class);
    assertThat(l.current()).isEqualTo(AgentState.DISABLED_UNVERIFIED);
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(31));
      l.tick();
      pass(l, broken, false, () -> {});
    }
    assertThat(onMaster().enabled())
        .as("unverified toolchain, status '%s', yet the master has it enabled", l.current())
        .isFalse();
  }

  /** Two toolchains giving one key two values: nothing published, the agent disabled (E). */
  @Test
  void aCapabilityConflictDisablesTheAgent() throws Exception {
    AgentLifecycle l = lifecycle(new Knobs(), virtual());
    Manifest m1 = two("{\"system.jdk.JDK 17\":\"/opt/a\"}", "{\"maven\":\"3.9\"}");
    activateAll(m1);
    l.tick();
    pass(l, m1, false, () -> {});
    agent.retry();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    Manifest m2 = two("{\"system.jdk.JDK 17\":\"/opt/a\"}", "{\"system.jdk.JDK 17\":\"/opt/b\"}");
    assertThat(ToolchainStep.fingerprint(m2.toolchains().get(1)))
        .as("capabilities are not part of the fingerprint: the pass is not disruptive")
        .isEqualTo(ToolchainStep.fingerprint(m1.toolchains().get(1)));
    pass(l, m2, false, () -> {});
    assertThat(l.record().reason).contains("system.jdk.JDK 17");
    assertThat(onMaster().enabled())
        .as("status %s (conflict) but the agent is enabled", l.current())
        .isFalse();
  }

  /**
   * An operator enabling the agent mid-drain defers the switch instead of running it enabled (D).
   */
  @Test
  void anOperatorsEnableDuringADrainDefersTheSwitch() throws Exception {
    Knobs k = new Knobs();
    online(k);
    long id = agentId();
    model.setBusy(id, true);
    AgentLifecycle l =
        lifecycle(
            k,
            virtual(
                n -> {
                  if (n == 1) {
                    model.enable(id); // operator
                  }
                  if (n == 2) {
                    model.setBusy(id, false);
                  }
                }));
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    boolean[] enabledDuringSwitch = {false};
    pass(
        l,
        b,
        true,
        () -> {
          enabledDuringSwitch[0] = onMaster().enabled();
          activating(b).run();
        });
    assertThat(enabledDuringSwitch[0]).as("agent enabled while the switch ran").isFalse();
  }

  /** A master PAUSED mid-drain gets no writes and shows waiting-for-master. */
  @Test
  void aMasterPausedMidDrainGetsNoWritesAndShowsWaitingForMaster() throws Exception {
    Knobs k = new Knobs();
    online(k);
    long id = agentId();
    model.setBusy(id, true);
    AgentLifecycle l =
        lifecycle(
            k,
            virtual(
                n -> {
                  if (n == 1) {
                    model.setBusy(id, false);
                    model.setServerState(FakeBambooModel.ServerState.PAUSED);
                  }
                }));
    model.clearRequests();
    Manifest b = manifest(DIGEST_B, "/opt/jdk-17.0.10");
    pass(l, b, true, activating(b));
    int writes =
        model.requestCounts().entrySet().stream()
            .filter(e -> !e.getKey().startsWith("GET") && !e.getKey().contains("_fake"))
            // the disable went out while the master was still RUNNING
            .filter(e -> !e.getKey().equals("PUT /agent/{id}/disable"))
            .mapToInt(java.util.Map.Entry::getValue)
            .sum();
    assertThat(l.current()).isEqualTo(AgentState.WAITING_FOR_MASTER);
    assertThat(writes).as("writes sent to a PAUSED master").isZero();
  }

  /** An agent token with a control character is a clear error, never a crash. */
  @Test
  void anAgentTokenWithAControlCharacterIsAClearErrorNotACrash() throws Exception {
    Knobs k = new Knobs();
    k.agentToken = Optional.of("configured");
    agentTokenValue = "agent\tsecret";
    AgentLifecycle l = lifecycleWith(k, new Wrapped());
    Throwable thrown = null;
    try {
      l.tick();
    } catch (RuntimeException e) {
      thrown = e;
    }
    assertThat(thrown).as("tick() must report, not throw (Daemon.loop does not catch)").isNull();
  }

  /** A pass that cannot read the manifest keeps the last verification: unknown is not failed. */
  @Test
  void aManifestReadErrorKeepsTheLastVerification() throws Exception {
    AgentLifecycle l = online(new Knobs());
    PassContext context = new PassContext(null, state, () -> false);
    l.before(context, false);
    context.report().readError(); // CloudFormation throttled: no manifest this pass
    l.after(context, context.report());
    assertThat(onMaster().enabled()).isTrue();
    assertThat(l.current())
        .as("status %s (%s) for an enabled agent", l.current(), l.record().reason)
        .isNotEqualTo(AgentState.DISABLED_UNVERIFIED);
  }

  /** Delegates to the in-process agent as the real processes do (token checked), with a hook. */
  final class Wrapped implements AgentProcess {
    Runnable beforeRestart = () -> {};

    @Override
    public void start() throws java.io.IOException {
      agent.start();
    }

    @Override
    public void stop() {
      agent.stop();
    }

    @Override
    public void restart() throws java.io.IOException {
      beforeRestart.run();
      agent.restart();
    }

    @Override
    public boolean running() {
      return agent.running();
    }

    @Override
    public void setSecurityToken(String token) {
      agent.setSecurityToken(AgentProcess.checkedToken(token));
    }
  }

  AgentLifecycle lifecycleWith(Knobs k, AgentProcess p) {
    return lifecycle(k, virtual(), Secret.of("file:/etc/hupd/bamboo.token", "test-token"), p);
  }

  /**
   * A restart outside a drain (token rotation) disables the agent first, so no build can land (D).
   */
  @Test
  void aRestartOutsideADrainDisablesTheAgentFirst() throws Exception {
    model.setSecurityToken(Optional.of("agent-secret-1"));
    Knobs k = new Knobs();
    k.agentToken = Optional.of("configured");
    Wrapped w = new Wrapped();
    AgentLifecycle l = lifecycleWith(k, w);
    Manifest a = manifest(DIGEST_A, "/opt/jdk-17.0.8");
    activate(a);
    l.tick();
    pass(l, a, false, () -> {});
    agent.retry();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(l.current()).isEqualTo(AgentState.ONLINE);
    long id = agentId();
    boolean[] enabledAtRestart = {false};
    w.beforeRestart =
        () -> {
          enabledAtRestart[0] = model.findAgent(id).orElseThrow().enabled();
          if (enabledAtRestart[0]) {
            model.setBusy(id, true); // the master dispatched a build just now (it may: enabled)
          }
        };
    agentTokenValue = "agent-secret-2";
    model.setSecurityToken(Optional.of("agent-secret-2"));
    clock.advance(Duration.ofHours(1));
    l.tick();
    clock.advance(Duration.ofSeconds(31));
    l.tick();
    assertThat(agent.restarts).isEqualTo(1);
    assertThat(enabledAtRestart[0])
        .as("restarted while enabled (a build may be dispatched)")
        .isFalse();
  }
}
