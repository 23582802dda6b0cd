package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few agents on one folder store, driven tick by tick in virtual time: the protocol's main paths
 * with real records. The fleet simulation covers scale and faults.
 */
class RolloutAgentTest {

  @TempDir Path dir;

  private long now = 1_000_000;
  private DirStore store;
  private final Names names = new Names("demo");
  private final List<Sim> agents = new ArrayList<>();
  private final Map<String, Integer> maxInFlight = new HashMap<>();

  /** One agent and its host. */
  final class Sim implements Local {
    final String id;
    RolloutAgent agent;
    final Map<String, String> cache = new HashMap<>();
    JsonNode journal;
    long due;
    Predicate<Switch> healthy = s -> true;
    final List<Switch> switches = new ArrayList<>();
    Optional<Outcome> outcome = Optional.empty();

    Sim(String id, Set<String> roles) throws StoreException {
      this.id = id;
      start(roles);
    }

    void start(Set<String> roles) throws StoreException {
      agent =
          new RolloutAgent(
              id,
              roles,
              store,
              names,
              new StoreContents(store, names),
              this,
              new RolloutAgent.Journal() {
                @Override
                public Optional<JsonNode> load() {
                  return Optional.ofNullable(journal);
                }

                @Override
                public void save(JsonNode state) {
                  journal = state;
                }
              },
              new RolloutAgent.ContentCache() {
                @Override
                public void put(String sha, String content) {
                  cache.put(sha, content);
                }

                @Override
                public Optional<String> get(String sha) {
                  return Optional.ofNullable(cache.get(sha));
                }
              },
              () -> now,
              new Random(id.hashCode()),
              RolloutAgent.Pacing.local());
    }

    @Override
    public void begin(Switch s) {
      switches.add(s);
      boolean ok = s.rollback() || healthy.test(s);
      outcome = Optional.of(new Outcome(ok, ok ? "" : "health command exited 1", 5_000));
    }

    @Override
    public Optional<Outcome> poll() {
      Optional<Outcome> o = outcome;
      outcome = Optional.empty();
      return o;
    }

    @Override
    public Optional<String> recheck(Policy p) {
      return Optional.empty();
    }

    long revisionsBegun(long rev) {
      return switches.stream().filter(s -> s.revision() == rev && !s.rollback()).count();
    }
  }

  @BeforeEach
  void open() throws StoreException {
    store = DirStore.open(dir.resolve("store"));
  }

  private static String document(int version, String policy) {
    return "{\"Resources\":{\"Agent\":{\"Metadata\":{\"Tools\":{\"version\":"
        + version
        + "}"
        + (policy == null ? "" : ",\"Rollout\":" + policy)
        + "}}}}";
  }

  private Publisher.Result push(int version, String policy) throws Exception {
    Publisher p = new Publisher(store, names, new StoreContents(store, names), () -> now, "op");
    Optional<Policy> pol =
        Publisher.policyIn(
            dev.hupd.metadata.Json.parse(document(version, policy)),
            Optional.of("Resources.Agent.Metadata.Rollout"));
    return p.publish(document(version, policy), pol, 0, "test push " + version);
  }

  /** Runs every agent's ticks in due order until {@code done} or the virtual deadline. */
  private void runUntil(java.util.function.BooleanSupplier done, long forMs) {
    long end = now + forMs;
    int events = 0;
    while (now < end && !done.getAsBoolean() && events++ < 200_000) {
      Sim next = agents.stream().min(java.util.Comparator.comparingLong(s -> s.due)).orElseThrow();
      now = Math.max(now, next.due);
      next.due = now + Math.max(1, next.agent.tick());
      long inFlight = agents.stream().filter(s -> s.agent.inTurn()).count();
      maxInFlight.merge("turns", (int) inFlight, Math::max);
    }
  }

  private Sim agent(String id, String... roles) throws StoreException {
    Sim s = new Sim(id, Set.of(roles));
    agents.add(s);
    return s;
  }

  private static final String POLICY =
      "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":2,\"turnLease\":\"5m\"}";

  @Test
  void aGoodChangeReachesEveryAgentCanaryFirstWithinMaxParallel() throws Exception {
    Sim canary = agent("a1", "canary");
    List<Sim> followers = new ArrayList<>();
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
                    + now
                    + " latest="
                    + s.agent.view().latest()
                    + " target="
                    + s.agent.view().target()));
    assertThat(agents).allMatch(s -> s.agent.applied() == 1);

    long pushedAt = now;
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
    assertThat(now - pushedAt).isGreaterThanOrEqualTo(60_000); // the bake
    for (Sim f : followers) {
      assertThat(f.revisionsBegun(2)).as(f.id).isEqualTo(1);
    }
  }

  @Test
  void aFailingCanaryRollsBackAndNoFollowerMoves() throws Exception {
    Sim canary = agent("a1", "canary");
    List<Sim> followers = new ArrayList<>();
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
    for (Sim f : followers) {
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
    Sim late = agent("a9");
    late.due = now;
    runUntil(() -> late.agent.applied() > 0, 10_000);
    assertThat(late.agent.applied()).isEqualTo(1);
    assertThat(late.revisionsBegun(2)).isZero();
  }
}
