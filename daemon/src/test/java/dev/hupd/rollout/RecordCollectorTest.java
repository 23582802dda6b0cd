package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.metadata.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection after rollouts, on a folder store driven by {@link FleetDriver}: what survives
 * three rollouts, blobs, and ghosts in the registry.
 */
class RecordCollectorTest {

  private static final String POLICY =
      "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":2,\"turnLease\":\"5m\"}";
  private static final long GC_MS = 10 * 60_000L;

  @TempDir Path dir;

  private final Names names = new Names("demo");
  private DirStore store;
  private FleetDriver fleet;

  @BeforeEach
  void open() throws StoreException {
    store = DirStore.open(dir.resolve("store"));
    fleet = new FleetDriver(store, names);
  }

  @Test
  void afterThreeRolloutsOnlyTheLastTwoPlannedRevisionsRemain() throws Exception {
    startFleet(5);

    rollOut(2, POLICY);
    rollOut(3, POLICY);
    assertThat(revisionsLeft()).containsExactly(2L, 3L);
    rollOut(4, POLICY);

    assertThat(revisionsLeft()).containsExactly(3L, 4L);
    Set<String> left = names(names.root() + "/rev");
    assertThat(left).anyMatch(n -> n.startsWith(names.rev(3) + "/turn/"));
    assertThat(left).contains(names.meta(3), names.plan(3), names.complete(3), names.complete(4));
    assertThat(names(names.agents())).hasSize(5);
    assertThat(fleet.allApplied(4)).isTrue();
  }

  @Test
  void throttlingOnlyPostponesTheCollection() throws Exception {
    FleetDriver[] driver = new FleetDriver[1];
    FaultyStore faulty = new FaultyStore(store, 11, () -> driver[0].now);
    fleet = driver[0] = new FleetDriver(faulty, names);
    startFleet(4);
    rollOut(2, POLICY);
    faulty.throttleWithProbability(0.3);

    rollOut(3, POLICY);
    rollOut(4, POLICY);

    assertThat(faulty.throttled()).isPositive();
    assertThat(revisionsLeft()).containsExactly(3L, 4L);
  }

  @Test
  void aLargeDocumentsChunksGoOnceNoRetainedRevisionPointsToThem() throws Exception {
    startFleet(4);
    rollOut(2, POLICY, 3_000);
    String chunks = names.root() + "/blob";
    assertThat(names(chunks)).isNotEmpty();
    rollOut(3, POLICY);
    assertThat(names(chunks)).as("revision 2 is still retained").isNotEmpty();
    fleet.runUntil(() -> false, RecordCollector.BLOB_MIN_AGE_MS); // chunks older than a push

    rollOut(4, POLICY);

    assertThat(revisionsLeft()).containsExactly(3L, 4L);
    assertThat(names(chunks)).isEmpty();
    assertThat(fleet.allApplied(4)).isTrue();
  }

  @Test
  void aGhostLeavesTheRegistryAndASkippedLiveAgentRegistersAgain() throws Exception {
    startFleet(5);
    // in revision 2's order both have a live agent after them in their slots, who skips them
    FleetDriver.Sim ghost = fleet.agent("g2");
    FleetDriver.Sim sleeper = fleet.agent("s1");
    fleet.runUntil(() -> fleet.allApplied(1), 60_000);
    fleet.agents.remove(ghost); // terminated
    sleeper.due = Long.MAX_VALUE; // paused through the whole rollout and its collection

    rollOut(2, POLICY);

    assertThat(names(names.agents())).doesNotContain(names.agent("g2"), names.agent("s1"));
    assertThat(names(names.agents())).hasSize(5);
    sleeper.due = fleet.now;
    fleet.runUntil(() -> sleeper.agent.applied() == 2, 30 * 60_000L);
    assertThat(sleeper.agent.applied()).isEqualTo(2);
    assertThat(names(names.agents())).contains(names.agent("s1")).hasSize(6);
  }

  // ---------------------------------------------------------------- helpers

  private void startFleet(int n) throws Exception {
    fleet.agent("a1", "canary");
    for (int i = 2; i <= n; i++) {
      fleet.agent("a" + i);
    }
    fleet.push(1, POLICY);
    fleet.runUntil(() -> fleet.allApplied(1), 60_000);
  }

  private void rollOut(int version, String policy) throws Exception {
    rollOut(version, policy, 0);
  }

  /** Pushes {@code version}, waits for its completion, then gives the collector its time. */
  private void rollOut(int version, String policy, int padding) throws Exception {
    String doc = FleetDriver.document(version, policy);
    if (padding > 0) {
      doc = doc.replace("\"Tools\":{", "\"Tools\":{\"padding\":\"" + filler(padding) + "\",");
    }
    Publisher p =
        new Publisher(store, names, new StoreContents(store, names), () -> fleet.now, "op");
    Optional<Policy> pol =
        Publisher.policyIn(Json.parse(doc), Optional.of(FleetDriver.ROLLOUT_PATH));
    long r = p.publish(doc, pol, 0, "test push " + version).revision();
    fleet.runUntil(() -> exists(names.complete(r)), 30 * 60_000L);
    assertThat(exists(names.complete(r))).as("revision %d complete", r).isTrue();
    fleet.runUntil(() -> false, GC_MS);
  }

  /** Text that gzip cannot shrink below one chunk's worth of characters. */
  private static String filler(int chars) {
    StringBuilder b = new StringBuilder();
    java.util.Random random = new java.util.Random(7);
    while (b.length() < chars) {
      b.append(Integer.toString(random.nextInt(36 * 36 * 36), 36));
    }
    return b.toString();
  }

  private boolean exists(String name) {
    try {
      return !store.get(List.of(name)).isEmpty();
    } catch (StoreException e) {
      throw new IllegalStateException(e);
    }
  }

  private Set<String> names(String path) throws StoreException {
    Set<String> out = new TreeSet<>();
    Optional<String> token = Optional.empty();
    do {
      RolloutStore.Page page = store.list(path, token);
      page.entries().forEach(e -> out.add(e.name()));
      token = page.next();
    } while (token.isPresent());
    return out;
  }

  private Set<Long> revisionsLeft() throws StoreException {
    String prefix = names.root() + "/rev/";
    return names(names.root() + "/rev").stream()
        .map(n -> Long.parseLong(n.substring(prefix.length(), n.indexOf('/', prefix.length()))))
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
