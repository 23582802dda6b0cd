package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.rollout.RolloutStore.Entry;
import dev.hupd.rollout.StoreException.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultyStoreTest {

  @TempDir Path dir;
  private DirStore real;
  private final long[] now = {10_000};

  @BeforeEach
  void open() throws StoreException {
    real = DirStore.open(dir);
  }

  private FaultyStore faulty(long seed) {
    return new FaultyStore(real, seed, () -> now[0]);
  }

  @Test
  void throttleNextFailsThatManyCallsBeforeTheyReachTheStore() throws Exception {
    FaultyStore store = faulty(1).throttleNext(2);

    assertThat(kindOf(() -> store.create("/f/a", "1"))).isEqualTo(Kind.THROTTLED);
    assertThat(kindOf(() -> store.get(List.of("/f/a")))).isEqualTo(Kind.THROTTLED);
    assertThat(real.get(List.of("/f/a"))).isEmpty();
    assertThat(store.create("/f/a", "1")).isEqualTo(1);

    assertThat(store.throttled()).isEqualTo(2);
    assertThat(store.calls()).containsExactlyInAnyOrderEntriesOf(Map.of("create", 2L, "get", 1L));
    assertThat(store.writes()).isEqualTo(1);
  }

  @Test
  void failNextThrowsTransientWithoutWriting() throws Exception {
    FaultyStore store = faulty(1).failNext(1);

    assertThat(kindOf(() -> store.overwrite("/f/a", "1"))).isEqualTo(Kind.TRANSIENT);

    assertThat(real.get(List.of("/f/a"))).isEmpty();
    assertThat(store.failed()).isEqualTo(1);
    assertThat(store.overwrite("/f/a", "1")).isEqualTo(1);
  }

  @Test
  void aLostResponseWritesButReportsTransient() throws Exception {
    FaultyStore store = faulty(1).loseResponsesNext(1);

    assertThat(kindOf(() -> store.create("/f/a", "mine"))).isEqualTo(Kind.TRANSIENT);

    assertThat(real.get(List.of("/f/a")).get("/f/a").value()).isEqualTo("mine");
    assertThat(kindOf(() -> store.create("/f/a", "mine"))).isEqualTo(Kind.ALREADY_EXISTS);
    assertThat(store.lostResponses()).isEqualTo(1);
    assertThat(store.writes()).isEqualTo(1);
  }

  @Test
  void lostResponsesNeverHitReads() throws Exception {
    FaultyStore store = faulty(1).loseResponsesWithProbability(1.0);

    assertThat(store.get(List.of("/f/a"))).isEmpty();
    assertThat(store.list("/f", Optional.empty()).entries()).isEmpty();

    assertThat(kindOf(() -> store.delete(List.of("/f/a")))).isEqualTo(Kind.TRANSIENT);
    assertThat(store.lostResponses()).isEqualTo(1);
  }

  @Test
  void throttlingWithAProbabilityHitsAboutThatShareOfCalls() throws Exception {
    FaultyStore store = faulty(42).throttleWithProbability(0.3);

    List<Kind> outcomes = outcomesOfGets(store, 400);

    long throttled = outcomes.stream().filter(k -> k == Kind.THROTTLED).count();
    assertThat(throttled).isEqualTo(store.throttled()).isBetween(80L, 160L);
    assertThat(store.calls("get")).isEqualTo(400);
  }

  @Test
  void transientFailuresWithAProbabilityHitAboutThatShareOfCalls() throws Exception {
    FaultyStore store = faulty(42).failWithProbability(0.5);

    List<Kind> outcomes = outcomesOfGets(store, 400);

    long failed = outcomes.stream().filter(k -> k == Kind.TRANSIENT).count();
    assertThat(failed).isEqualTo(store.failed()).isBetween(150L, 250L);
  }

  @Test
  void theSameSeedGivesTheSameFaultsAndAnotherSeedOthers() throws Exception {
    List<Kind> first = scenario(7, "a");
    List<Kind> again = scenario(7, "b");
    List<Kind> other = scenario(8, "c");

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    assertThat(first).contains(Kind.THROTTLED, Kind.TRANSIENT);
  }

  @Test
  void staleReadsMissANameCreatedLessThanTheLagAgo() throws Exception {
    FaultyStore store = faulty(1).staleReads(1.0, 1_000);
    store.create("/f/a", "v1");

    now[0] += 999;
    assertThat(store.get(List.of("/f/a"))).isEmpty();
    now[0] += 1;
    assertThat(store.get(List.of("/f/a")).get("/f/a").value()).isEqualTo("v1");
    assertThat(store.staleReads()).isEqualTo(1);
  }

  @Test
  void staleReadsServeTheVersionOfLagAgo() throws Exception {
    FaultyStore store = faulty(1).staleReads(1.0, 1_000);
    store.overwrite("/f/a", "v1");
    now[0] += 2_000;
    store.overwrite("/f/a", "v2");
    now[0] += 100;
    store.overwrite("/f/a", "v3");

    now[0] += 500;
    Entry lagging = store.get(List.of("/f/a")).get("/f/a");
    assertThat(lagging.value()).isEqualTo("v1");
    assertThat(lagging.version()).isEqualTo(1);
    now[0] += 450;
    assertThat(store.get(List.of("/f/a")).get("/f/a").value()).isEqualTo("v2");
    now[0] += 100;
    assertThat(store.get(List.of("/f/a")).get("/f/a").value()).isEqualTo("v3");
  }

  @Test
  void staleReadsStillShowADeletedNameForTheLag() throws Exception {
    FaultyStore store = faulty(1).staleReads(1.0, 1_000);
    store.create("/f/a", "v1");
    now[0] += 5_000;
    store.delete(List.of("/f/a"));

    now[0] += 10;
    assertThat(store.get(List.of("/f/a")).get("/f/a").value()).isEqualTo("v1");
    now[0] += 1_000;
    assertThat(store.get(List.of("/f/a"))).isEmpty();
  }

  @Test
  void staleReadsNeverInventAbsenceOrVersionsTheyDidNotSeeWritten() throws Exception {
    real.create("/f/outside", "written past the decorator");
    FaultyStore store = faulty(1).staleReads(1.0, 1_000);
    store.overwrite("/f/outside", "v2");
    real.overwrite("/f/outside", "v3 past the decorator");

    assertThat(store.get(List.of("/f/outside")).get("/f/outside").value())
        .isEqualTo("v3 past the decorator");
    assertThat(store.staleReads()).isZero();
  }

  @Test
  void staleReadsWithAProbabilityAreDeterministicForASeed() throws Exception {
    List<Boolean> first = staleScenario(11, "a");
    List<Boolean> again = staleScenario(11, "b");

    assertThat(again).isEqualTo(first);
    assertThat(first).contains(true, false);
  }

  @Test
  void healTurnsEverySwitchOff() throws Exception {
    FaultyStore store =
        faulty(1)
            .throttleWithProbability(1)
            .failNext(3)
            .loseResponsesNext(2)
            .staleReads(1.0, 1_000);
    store.heal();

    store.create("/f/a", "v");

    assertThat(store.get(List.of("/f/a"))).containsKey("/f/a");
    assertThat(store.throttled() + store.failed() + store.lostResponses() + store.staleReads())
        .isZero();
  }

  @Test
  void badSwitchValuesAreRefused() {
    FaultyStore store = faulty(1);

    assertThatThrownBy(() -> store.throttleWithProbability(1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.failNext(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.staleReads(0.5, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private List<Kind> outcomesOfGets(FaultyStore store, int count) {
    List<Kind> outcomes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      outcomes.add(kindOf(() -> store.get(List.of("/f/x"))));
    }
    return outcomes;
  }

  /** A fixed mix of calls under every probabilistic switch; the outcome of each call. */
  private List<Kind> scenario(long seed, String namespace) {
    FaultyStore store =
        faulty(seed)
            .throttleWithProbability(0.2)
            .failWithProbability(0.2)
            .loseResponsesWithProbability(0.2);
    List<Kind> outcomes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String name = "/" + namespace + "/n" + (i % 10);
      outcomes.add(kindOf(() -> store.overwrite(name, "v")));
      outcomes.add(kindOf(() -> store.get(List.of(name))));
    }
    return outcomes;
  }

  /** Per read: whether it was served stale. */
  private List<Boolean> staleScenario(long seed, String namespace) throws StoreException {
    FaultyStore store = faulty(seed).staleReads(0.5, 1_000);
    List<Boolean> stale = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String name = "/" + namespace + "/n" + i;
      store.create(name, "v");
      long before = store.staleReads();
      store.get(List.of(name));
      stale.add(store.staleReads() > before);
    }
    return stale;
  }

  private interface Call {
    void run() throws StoreException;
  }

  /** The kind of the exception {@code call} threw, or null when it returned. */
  private static Kind kindOf(Call call) {
    try {
      call.run();
      return null;
    } catch (StoreException e) {
      return e.kind();
    }
  }
}
