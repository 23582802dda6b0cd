package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few agents on one folder store, driven tick by tick in virtual time: the protocol's main paths
 * with real records. The fleet simulation covers scale and faults.
 */
class RolloutAgentTest {

  @TempDir Path dir;

  private final Names names = new Names("demo");
  private DirStore store;
  private FleetDriver fleet;
  private List<FleetDriver.Sim> agents;
  private Map<String, Integer> maxInFlight;

  @BeforeEach
  void open() throws StoreException {
    store = DirStore.open(dir.resolve("store"));
    fleet = new FleetDriver(store, names);
    agents = fleet.agents;
    maxInFlight = fleet.maxInFlight;
  }

  private Publisher.Result push(int version, String policy) throws Exception {
    return fleet.push(version, policy);
  }

  private void runUntil(java.util.function.BooleanSupplier done, long forMs) {
    fleet.runUntil(done, forMs);
  }

  private FleetDriver.Sim agent(String id, String... roles) throws StoreException {
    return fleet.agent(id, roles);
  }

  private static final String POLICY =
      "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":2,\"turnLease\":\"5m\"}";

  @Test
  void aGoodChangeReachesEveryAgentCanaryFirstWithinMaxParallel() throws Exception {
    FleetDriver.Sim canary = agent("a1", "canary");
    List<FleetDriver.Sim> followers = new ArrayList<>();
    for (int i = 2; i <= 6; i++) {
      followers.add(agent("a" + i));
    }
    assertThat(push(1, POLICY).note()).isEqualTo("applied on sight");
    runUntil(() -> agents.stream().allMatch(s -> s.agent.applied() == 1), 60_000);
    agents.forEach(
        s ->
            System.out.println(
                "DBG "
                    + s.id
                    + " applied="
                    + s.agent.applied()
                    + " ev="
                    + s.agent.lastEvent()
                    + " hold="
                    + s.agent.holding()
                    + " sw="
                    + s.switches
                    + " due="
                    + s.due
                    + " now="
                    + fleet.now
                    + " latest="
                    + s.agent.view().latest()
                    + " target="
                    + s.agent.view().target()));
    assertThat(agents).allMatch(s -> s.agent.applied() == 1);

    long pushedAt = fleet.now;
    Publisher.Result r2 = push(2, POLICY);
    assertThat(r2.revision()).isEqualTo(2);
    assertThat(r2.gated()).isTrue();
    runUntil(() -> agents.stream().allMatch(s -> s.agent.applied() == 2), 30 * 60_000);

    assertThat(agents).allMatch(s -> s.agent.applied() == 2);
    assertThat(maxInFlight.get("turns")).isBetween(1, 2);
    // the canary switched first and every follower only after its bake
    long canaryFirst = canary.revisionsBegun(2);
    assertThat(canaryFirst).isEqualTo(1);
    FleetView view = new FleetView(names);
    view.mergeAll(store.get(List.of(names.approved(2), names.seat(2, 0, 0))).values());
    assertThat(view.approved(2)).isTrue();
    long approvedAt = view.entry(names.approved(2)).orElseThrow().modifiedMs();
    assertThat(view.seat(2, 0).orElseThrow().agent()).isEqualTo("a1");
    assertThat(view.seat(2, 0).orElseThrow().verdict()).isEqualTo("ok");
    assertThat(approvedAt).isGreaterThan(0);
    assertThat(fleet.now - pushedAt).isGreaterThanOrEqualTo(60_000); // the bake
    for (FleetDriver.Sim f : followers) {
      assertThat(f.revisionsBegun(2)).as(f.id).isEqualTo(1);
    }
  }

  @Test
  void aFailingCanaryRollsBackAndNoFollowerMoves() throws Exception {
    FleetDriver.Sim canary = agent("a1", "canary");
    List<FleetDriver.Sim> followers = new ArrayList<>();
    for (int i = 2; i <= 5; i++) {
      followers.add(agent("a" + i));
    }
    push(1, POLICY);
    runUntil(() -> agents.stream().allMatch(s -> s.agent.applied() == 1), 60_000);
    canary.healthy = s -> s.revision() != 2;
    push(2, POLICY);
    runUntil(() -> false, 20 * 60_000);

    assertThat(canary.revisionsBegun(2)).isEqualTo(1);
    assertThat(canary.switches.get(canary.switches.size() - 1).rollback()).isTrue();
    assertThat(canary.agent.applied()).isEqualTo(1);
    for (FleetDriver.Sim f : followers) {
      assertThat(f.revisionsBegun(2)).as(f.id).isZero();
      assertThat(f.agent.applied()).isEqualTo(1);
    }
    FleetView view = new FleetView(names);
    view.mergeAll(
        store.get(List.of(names.meta(2), names.seat(2, 0, 0), names.approved(2))).values());
    assertThat(view.status(2).phase()).isEqualTo(FleetView.Phase.HALTED);
    assertThat(view.status(2).reason())
        .contains("canary-failed")
        .contains("health command exited 1");
  }

  @Test
  void anAgentBootingDuringTheCanaryTakesTheApprovedRevision() throws Exception {
    agent("a1", "canary");
    agent("a2");
    push(1, POLICY);
    runUntil(() -> agents.stream().allMatch(s -> s.agent.applied() == 1), 60_000);
    push(2, POLICY);
    runUntil(() -> false, 10_000); // canary claimed, baking
    FleetDriver.Sim late = agent("a9");
    late.due = fleet.now;
    runUntil(() -> late.agent.applied() > 0, 10_000);
    assertThat(late.agent.applied()).isEqualTo(1);
    assertThat(late.revisionsBegun(2)).isZero();
  }

  @Test
  void deadAgentsInThePlanAreSkippedIncludingTheLastTurnOfASlotAndTheRolloutCompletes()
      throws Exception {
    agent("a1", "canary");
    agent("a2");
    agent("a3");
    // two registered agents that never run: every turn they hold is a ghost's
    for (String ghost : List.of("g1", "g2", "g3")) {
      store.create(names.agent(ghost), "{\"v\":\"hupd-rollout/1\",\"kind\":\"agent\"}");
    }
    push(1, POLICY);
    runUntil(() -> agents.stream().allMatch(s -> s.agent.applied() == 1), 60_000);
    push(2, "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":1,\"turnLease\":\"5m\"}");
    runUntil(() -> exists(names.complete(2)), 60 * 60_000);

    assertThat(agents).allMatch(s -> s.agent.applied() == 2);
    assertThat(exists(names.complete(2))).as("complete despite ghosts").isTrue();
    FleetView view = new FleetView(names);
    List<String> turns = new ArrayList<>();
    for (int t = 0; t < 5; t++) {
      turns.add(names.turn(2, 0, t));
    }
    view.mergeAll(store.get(turns).values());
    long skips =
        turns.stream()
            .filter(
                n -> view.record(n).map(r -> r.path("kind").asText().equals("skip")).orElse(false))
            .count();
    assertThat(skips).as("every ghost skipped").isEqualTo(3);
  }

  private boolean exists(String name) {
    try {
      return store.get(List.of(name)).containsKey(name);
    } catch (StoreException e) {
      return false;
    }
  }
}
