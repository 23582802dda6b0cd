package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.testing.FakeBambooModel.Access;
import dev.hupd.testing.FakeBambooModel.Authentication;
import dev.hupd.testing.FakeBambooModel.Beat;
import dev.hupd.testing.FakeBambooModel.Capability;
import dev.hupd.testing.FakeBambooModel.CapabilitySource;
import dev.hupd.testing.FakeBambooModel.Connect;
import dev.hupd.testing.FakeBambooModel.Connected;
import dev.hupd.testing.FakeBambooModel.Outcome;
import dev.hupd.testing.FakeBambooModel.ServerState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The rules of {@link FakeBambooModel}, driven directly on a virtual clock. */
class FakeBambooModelTest {

  private static final long FIRST = FakeBambooModel.FIRST_AGENT_ID;
  private static final String UUID_A = "11111111-1111-1111-1111-111111111111";
  private static final String UUID_B = "22222222-2222-2222-2222-222222222222";

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final FakeBambooModel model = new FakeBambooModel(clock::get);

  @Test
  void manualApproval_keepsANewAgentPendingAndInvisible_untilApproved() {
    model.setManualApproval(true);
    Connect hello = Connect.of(UUID_A, "ip-10-0-0-1", "10.0.0.1");

    Outcome first = model.connect(hello).outcome();
    List<Authentication> pending = model.authentications(Optional.of(true));
    List<FakeBambooModel.Agent> visible = model.agents(Optional.empty());
    model.approve(UUID_A);
    Connected second = model.connect(hello);

    assertThat(first).isEqualTo(Outcome.PENDING);
    assertThat(pending).containsExactly(new Authentication(UUID_A, "10.0.0.1", false));
    assertThat(visible).isEmpty();
    assertThat(second.outcome()).isEqualTo(Outcome.REGISTERED);
    assertThat(second.id()).hasValue(FIRST);
    assertThat(model.authentications(Optional.of(true))).isEmpty();
    assertThat(model.authentications(Optional.empty()))
        .containsExactly(new Authentication(UUID_A, "10.0.0.1", true));
    assertThat(model.approvals(UUID_A)).isEqualTo(1);
  }

  @Test
  void ipChange_needsApprovalAgain_thenTheSameRecordComesBack() {
    model.setManualApproval(true);
    Connect hello = Connect.of(UUID_A, "agent", "10.0.0.1");
    model.connect(hello);
    model.approve(UUID_A);
    long id = model.connect(hello).id().orElseThrow();

    Outcome moved = model.connect(hello.withId(id).withIp("10.0.0.2")).outcome();
    Map<String, String> pendingAfterMove = model.pending();
    model.approve(UUID_A);
    Connected back = model.connect(hello.withId(id).withIp("10.0.0.2"));

    assertThat(moved).isEqualTo(Outcome.PENDING);
    assertThat(pendingAfterMove).containsExactly(Map.entry(UUID_A, "10.0.0.2"));
    assertThat(back.id()).hasValue(id);
    assertThat(model.approved()).containsExactly(Map.entry(UUID_A, "10.0.0.2"));
    assertThat(model.agent(id).ip()).isEqualTo("10.0.0.2");
    assertThat(model.approvals(UUID_A)).isEqualTo(2);
  }

  @Test
  void approvalOff_registersAtOnce_andStoresNoAuthenticationRows() {
    Connected connected = model.connect(Connect.of(UUID_A, "agent", "10.0.0.1"));

    assertThat(connected.outcome()).isEqualTo(Outcome.REGISTERED);
    assertThat(model.authentications(Optional.empty())).isEmpty();
    assertThat(status(() -> model.approve(UUID_A))).isEqualTo(404);
  }

  @Test
  void switchingApprovalOn_approvesTheAgentsConnectedNow() {
    model.connect(Connect.of(UUID_A, "agent", "10.0.0.1"));

    model.setManualApproval(true);

    assertThat(model.approved()).containsExactly(Map.entry(UUID_A, "10.0.0.1"));
    assertThat(model.connect(Connect.of(UUID_B, "other", "10.0.0.2")).outcome())
        .isEqualTo(Outcome.PENDING);
  }

  @ParameterizedTest(name = "token {0}")
  @CsvSource({"missing,", "wrong,nope", "empty-string,''"})
  void securityToken_wrongOrMissing_isRejectedAndLeavesNoTrace(String label, String token) {
    model.setManualApproval(true).setSecurityToken(Optional.of("s3cret"));
    Connect hello = Connect.of(UUID_A, "agent", "10.0.0.1");
    Connect sent = token == null ? hello : hello.withToken(token);

    Outcome outcome = model.connect(sent).outcome();

    assertThat(outcome).isEqualTo(Outcome.REJECTED);
    assertThat(model.pending()).isEmpty();
    assertThat(model.allAgents()).isEmpty();
    assertThat(model.authentications(Optional.empty())).isEmpty();
    assertThat(model.connect(hello.withToken("s3cret")).outcome()).isEqualTo(Outcome.PENDING);
  }

  @Test
  void takenName_getsASuffix_two_thenThree() {
    Connected a = model.connect(Connect.of(UUID_A, "build-agent", "10.0.0.1"));
    Connected b = model.connect(Connect.of(UUID_B, "build-agent", "10.0.0.2"));
    Connected c = model.connect(Connect.of("c", "build-agent", "10.0.0.3"));

    assertThat(a.name()).hasValue("build-agent");
    assertThat(b.name()).hasValue("build-agent (2)");
    assertThat(c.name()).hasValue("build-agent (3)");
    assertThat(model.allAgents())
        .extracting(FakeBambooModel.Agent::id)
        .containsExactly(FIRST, FIRST + 1, FIRST + 2);
  }

  @Test
  void delete_dropsRecordAndApproval_theOldIdIsUnknown_theUuidGetsANewId() {
    model.setManualApproval(true);
    Connect hello = Connect.of(UUID_A, "agent", "10.0.0.1");
    model.connect(hello);
    model.approve(UUID_A);
    long id = model.connect(hello).id().orElseThrow();

    model.delete(id);
    Outcome withOldIdBeforeApproval = model.connect(hello.withId(id)).outcome();
    model.approve(UUID_A);
    Outcome withOldId = model.connect(hello.withId(id)).outcome();
    Connected fresh = model.connect(hello);

    assertThat(withOldIdBeforeApproval)
        .as("approval went with the record")
        .isEqualTo(Outcome.PENDING);
    assertThat(withOldId).isEqualTo(Outcome.UNKNOWN_ID);
    assertThat(fresh.outcome()).isEqualTo(Outcome.REGISTERED);
    assertThat(fresh.id()).hasValue(id + 1);
    assertThat(model.findAgent(id)).isEmpty();
    assertThat(status(() -> model.agent(id))).isEqualTo(404);
  }

  @Test
  void capabilities_restBeatsFileBeatsAuto_andRestSurvivesAReconnect() {
    Connect hello =
        Connect.of(UUID_A, "agent", "10.0.0.1")
            .withFileCapabilities(Map.of("system.jdk.JDK 17", "/opt/jdk-17.0.8", "os", "linux"))
            .withAutoCapabilities(Map.of("system.jdk.JDK 17", "/usr/lib/jvm/17", "auto", "x"));
    long id = model.connect(hello).id().orElseThrow();
    List<Capability> initial = model.capabilities(id, false);

    model.updateCapability(id, "system.jdk.JDK 17", "/opt/manual");
    model.connect(
        hello.withId(id).withFileCapabilities(Map.of("system.jdk.JDK 17", "/opt/jdk-17.0.10")));
    List<Capability> afterReconnect = model.capabilities(id, false);
    model.deleteCapability(id, "system.jdk.JDK 17");
    List<Capability> afterRestDelete = model.capabilities(id, false);

    assertThat(initial)
        .containsExactly(
            new Capability("auto", "x", CapabilitySource.AUTO),
            new Capability("os", "linux", CapabilitySource.FILE),
            new Capability("system.jdk.JDK 17", "/opt/jdk-17.0.8", CapabilitySource.FILE));
    assertThat(afterReconnect)
        .as("os left the file; the REST value still wins")
        .containsExactly(
            new Capability("auto", "x", CapabilitySource.AUTO),
            new Capability("system.jdk.JDK 17", "/opt/manual", CapabilitySource.REST));
    assertThat(afterRestDelete)
        .contains(new Capability("system.jdk.JDK 17", "/opt/jdk-17.0.10", CapabilitySource.FILE));
  }

  @Test
  void deletingAFileCapability_lastsUntilTheNextConnect() {
    Connect hello =
        Connect.of(UUID_A, "agent", "10.0.0.1").withFileCapabilities(Map.of("os", "linux"));
    long id = model.connect(hello).id().orElseThrow();

    model.deleteCapability(id, "os");
    List<Capability> deleted = model.capabilities(id, false);
    model.connect(hello.withId(id));

    assertThat(deleted).isEmpty();
    assertThat(model.capabilities(id, false))
        .containsExactly(new Capability("os", "linux", CapabilitySource.FILE));
  }

  @Test
  void capabilityWrites_createTwiceIs400_updateOrDeleteOfUnknownKeyIs404_missingKeyIs400() {
    long id = model.connect(Connect.of(UUID_A, "agent", "10.0.0.1")).id().orElseThrow();
    model.createCapability(id, "toolchain.jdk", "img@sha256:1");

    assertThat(status(() -> model.createCapability(id, "toolchain.jdk", "other"))).isEqualTo(400);
    assertThat(status(() -> model.createCapability(id, " ", "v"))).isEqualTo(400);
    assertThat(status(() -> model.updateCapability(id, "nope", "v"))).isEqualTo(404);
    assertThat(status(() -> model.deleteCapability(id, "nope"))).isEqualTo(404);
    assertThat(status(() -> model.capabilities(id + 7, false))).isEqualTo(404);
  }

  @Test
  void sharedCapabilities_areListedOnlyWhenAsked_andAnAgentKeyOverridesThem() {
    model.setSharedCapability("shared.key", "s").setSharedCapability("os", "shared-os");
    long id =
        model
            .connect(
                Connect.of(UUID_A, "agent", "1.1.1.1").withFileCapabilities(Map.of("os", "linux")))
            .id()
            .orElseThrow();

    model.deleteCapabilities(id);
    model.connect(
        Connect.of(UUID_A, "agent", "1.1.1.1")
            .withId(id)
            .withFileCapabilities(Map.of("os", "linux")));

    assertThat(model.capabilities(id, false)).extracting(Capability::key).containsExactly("os");
    assertThat(model.capabilities(id, true))
        .containsExactly(
            new Capability("os", "linux", CapabilitySource.FILE),
            new Capability("shared.key", "s", CapabilitySource.SHARED));
  }

  @Test
  void disableWhileBusy_buildKeepsRunning_butNoNewBuildStarts() {
    long id = model.connect(Connect.of(UUID_A, "agent", "10.0.0.1")).id().orElseThrow();
    model.setBusy(id, true);

    FakeBambooModel.Agent disabled = model.disable(id);
    model.setBusy(id, false);

    assertThat(disabled.enabled()).isFalse();
    assertThat(disabled.busy()).isTrue();
    assertThatThrownBy(() -> model.setBusy(id, true)).isInstanceOf(IllegalStateException.class);
    assertThat(model.enable(id).enabled()).isTrue();
    assertThat(model.enable(id).enabled()).as("idempotent").isTrue();
  }

  @Test
  void heartbeatTimeout_makesTheAgentOfflineAndIdle_onTheInjectedClock() {
    model.heartbeatTimeout(Duration.ofMinutes(10));
    long id = model.connect(Connect.of(UUID_A, "agent", "10.0.0.1")).id().orElseThrow();
    model.setBusy(id, true);

    clock.addAndGet(Duration.ofMinutes(9).toMillis());
    Beat beat = model.heartbeat(UUID_A, java.util.OptionalLong.of(id));
    clock.addAndGet(Duration.ofMinutes(9).toMillis());
    boolean activeAfter18 = model.agent(id).active();
    clock.addAndGet(Duration.ofMinutes(1).toMillis());
    FakeBambooModel.Agent after19 = model.agent(id);

    assertThat(beat).isEqualTo(Beat.OK);
    assertThat(activeAfter18).isTrue();
    assertThat(after19.active()).isFalse();
    assertThat(after19.busy()).isFalse();
    assertThat(after19.heartbeatTimeouts()).isEqualTo(1);
    assertThat(model.heartbeat(UUID_A, java.util.OptionalLong.of(id))).isEqualTo(Beat.OFFLINE);
    assertThat(model.agents(Optional.of(true))).isEmpty();
    assertThat(model.agents(Optional.of(false))).hasSize(1);
  }

  @Test
  void restartsWhileBusy_countsDisconnectsAndReconnectsDuringABuild() {
    Connect hello = Connect.of(UUID_A, "agent", "10.0.0.1");
    long id = model.connect(hello).id().orElseThrow();

    model.disconnect(id);
    model.connect(hello.withId(id));
    model.setBusy(id, true);
    model.connect(hello.withId(id));
    model.setBusy(id, true);
    model.disconnect(id);
    model.connect(hello.withId(id));

    assertThat(model.restarts(id)).isEqualTo(3);
    assertThat(model.restartsWhileBusy(id)).isEqualTo(2);
    assertThat(model.agent(id).busy()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = ServerState.class,
      names = {"RUNNING"},
      mode = EnumSource.Mode.EXCLUDE)
  void notRunning_agentWritesAnswer503_readsStillWork(ServerState state) {
    long id = model.connect(Connect.of(UUID_A, "agent", "10.0.0.1")).id().orElseThrow();
    model.setServerState(state);

    List<Consumer<FakeBambooModel>> writes =
        List.of(
            m -> m.disable(id),
            m -> m.enable(id),
            m -> m.createCapability(id, "k", "v"),
            m -> m.deleteCapabilities(id),
            m -> m.approve(UUID_A),
            m -> m.delete(id));
    for (Consumer<FakeBambooModel> write : writes) {
      assertThat(status(() -> write.accept(model))).isEqualTo(503);
    }
    assertThat(model.agent(id).enabled()).isTrue();
    assertThat(model.info().state()).isEqualTo(state);
  }

  @Test
  void startingServer_refusesConnects_with503() {
    model.setServerState(ServerState.STARTING);

    assertThat(status(() -> model.connect(Connect.of(UUID_A, "agent", "10.0.0.1")))).isEqualTo(503);
    assertThat(model.allAgents()).isEmpty();
  }

  @ParameterizedTest(name = "version {0}: capabilities {1}, enable {2}")
  @CsvSource({
    "6.10.6,404,404",
    "7.0.2,404,404",
    "7.1.0,200,404",
    "7.2.9,200,404",
    "8.0.0,200,200",
    "10.1.0,200,200"
  })
  void olderVersions_lackCapabilityAndEnableCalls(String version, int caps, int enable) {
    long id = model.connect(Connect.of(UUID_A, "agent", "10.0.0.1")).id().orElseThrow();
    model.setVersion(version);

    assertThat(status(() -> model.capabilities(id, false))).isEqualTo(caps);
    assertThat(status(() -> model.enable(id))).isEqualTo(enable);
    assertThat(status(() -> model.agent(id))).isEqualTo(200);
  }

  @Test
  void buildNumber_followsTheVersion() {
    model.setVersion("10.1.0");

    assertThat(model.info().buildNumber()).isEqualTo("100100");
    assertThat(new FakeBambooModel().info().buildNumber()).isEqualTo("90602");
  }

  @Test
  void authorize_401WithoutValidCredentials_403ForNonAdminOnAdminCalls() {
    model.addToken("reader", false).setBasicUser("admin", "pw");
    String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("admin:pw".getBytes());

    assertThat(status(() -> model.authorize(null, Access.USER))).isEqualTo(401);
    assertThat(status(() -> model.authorize("Bearer nope", Access.USER))).isEqualTo(401);
    assertThat(status(() -> model.authorize("Basic YWRtaW46d3Jvbmc=", Access.USER))).isEqualTo(401);
    assertThat(status(() -> model.authorize("Bearer reader", Access.ADMIN))).isEqualTo(403);
    assertThat(status(() -> model.authorize("Bearer reader", Access.USER))).isEqualTo(200);
    assertThat(status(() -> model.authorize("Bearer test-token", Access.ADMIN))).isEqualTo(200);
    assertThat(status(() -> model.authorize(basic, Access.ADMIN))).isEqualTo(200);
    assertThat(status(() -> model.authorize(null, Access.ANONYMOUS))).isEqualTo(200);
    model.removeToken("test-token");
    assertThat(status(() -> model.authorize("Bearer test-token", Access.ADMIN))).isEqualTo(401);
  }

  @Test
  void faults_countedThenPersistentThenCleared_perPrefix() {
    BambooFaults faults = model.faults();
    model.failNext("/agent", 2, 503).failAlways("/agent/authentication", 500);
    model.dropNext("/_fake/agents/heartbeat", 1).delay("/status", Duration.ofMillis(5));

    assertThat(faults.take("/agent/131073").status()).isEqualTo(503);
    assertThat(faults.take("/agent/authentication").status()).isEqualTo(503);
    assertThat(faults.take("/agent/131073").status()).isZero();
    assertThat(faults.take("/agent/authentication").status()).isEqualTo(500);
    assertThat(faults.take("/agent/authentication").status()).isEqualTo(500);
    assertThat(faults.take("/info").status()).isZero();
    assertThat(faults.take("/status").delay()).isEqualTo(Duration.ofMillis(5));
    assertThat(faults.take("/_fake/agents/heartbeat").drop()).isTrue();
    assertThat(faults.take("/_fake/agents/heartbeat").drop()).isFalse();

    model.failAlways("", 401);
    assertThat(faults.take("/server").status()).isEqualTo(401);
    assertThat(faults.take("/_fake/agents/connect").status())
        .as("an empty prefix means every REST call, not the agent side")
        .isZero();
    model.clearFaults();
    assertThat(faults.take("/agent/authentication")).isEqualTo(BambooFaults.Fault.NONE);
  }

  private static int status(Runnable call) {
    try {
      call.run();
      return 200;
    } catch (BambooServiceError e) {
      return e.status();
    }
  }
}
