package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A few {@link RolloutAgent}s on one store, driven tick by tick in virtual time, with hosts whose
 * switches finish at once (5 s each) and are healthy unless a test says otherwise.
 */
final class FleetDriver {

  static final String ROLLOUT_PATH = "Resources.Agent.Metadata.Rollout";

  final RolloutStore store;
  final Names names;
  final List<Sim> agents = new ArrayList<>();
  final Map<String, Integer> maxInFlight = new HashMap<>();

  /**
   * Virtual time, starting at the wall clock: the folder store stamps versions with file times, and
   * leases are judged from the later of a record's own time and the store's.
   */
  long now = System.currentTimeMillis();

  FleetDriver(RolloutStore store, Names names) {
    this.store = store;
    this.names = names;
  }

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

  Sim agent(String id, String... roles) throws StoreException {
    Sim s = new Sim(id, Set.of(roles));
    s.due = now;
    agents.add(s);
    return s;
  }

  static String document(int version, String policy) {
    return "{\"Resources\":{\"Agent\":{\"Metadata\":{\"Tools\":{\"version\":"
        + version
        + "}"
        + (policy == null ? "" : ",\"Rollout\":" + policy)
        + "}}}}";
  }

  Publisher.Result push(int version, String policy) throws Exception {
    Publisher p = new Publisher(store, names, new StoreContents(store, names), () -> now, "op");
    Optional<Policy> pol =
        Publisher.policyIn(Json.parse(document(version, policy)), Optional.of(ROLLOUT_PATH));
    return p.publish(document(version, policy), pol, 0, "test push " + version);
  }

  /** Runs every agent's ticks in due order until {@code done} or the virtual deadline. */
  void runUntil(BooleanSupplier done, long forMs) {
    long end = now + forMs;
    int events = 0;
    while (now < end && !done.getAsBoolean() && events++ < 200_000) {
      Sim next = agents.stream().min(Comparator.comparingLong(s -> s.due)).orElseThrow();
      now = Math.max(now, next.due);
      next.due = now + Math.max(1, next.agent.tick());
      long inFlight = agents.stream().filter(s -> s.agent.inTurn()).count();
      maxInFlight.merge("turns", (int) inFlight, Math::max);
    }
  }

  boolean allApplied(long revision) {
    return agents.stream().allMatch(s -> s.agent.applied() == revision);
  }
}
