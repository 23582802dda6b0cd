package dev.hupd.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The snapshot the loop publishes: health rules, totals, and a state copy nobody can change. */
class StatusSnapshotTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration MINUTE = Duration.ofMinutes(1);

  final ManualClock clock = new ManualClock(T0);
  final StatusBoard board =
      new StatusBoard(new StatusSnapshot.ProcessInfo("1.2.3", 42, T0, "cfn-hup"), clock);
  final StatusSnapshot.Expectations everyMinute =
      new StatusSnapshot.Expectations(MINUTE, Duration.ofMinutes(10));

  static JsonNode state(String json) {
    return Json.parse(json);
  }

  static StatusSnapshot.LastPass pass(Instant at, int run, int failed, Optional<String> skipped) {
    return new StatusSnapshot.LastPass(at, Duration.ofMillis(250), run, failed, 1, 0, 0, skipped);
  }

  @Test
  void beforeTheLoopStartsHealthIsStarting() {
    StatusSnapshot.Health h = board.current().health(clock.instant());

    assertThat(h.ok()).isFalse();
    assertThat(h.reason()).startsWith("starting");
  }

  @Test
  void aRunningLoopIsHealthyUntilTwoIntervalsPastItsPlannedWake() {
    board.started("file:/x", everyMinute, MINUTE, state("{}"));

    clock.advance(Duration.ofMinutes(3)); // planned wake + 2 intervals, exactly
    assertThat(board.current().health(clock.instant()).ok()).isTrue();

    clock.advance(Duration.ofSeconds(1));
    StatusSnapshot.Health late = board.current().health(clock.instant());
    assertThat(late.ok()).isFalse();
    assertThat(late.reason()).contains("past its planned wake").contains("121s");
  }

  @Test
  void theSlackIsNeverBelowThirtySeconds() {
    board.started(
        "file:/x",
        new StatusSnapshot.Expectations(Duration.ofSeconds(1), MINUTE),
        Duration.ofSeconds(1),
        state("{}"));

    clock.advance(Duration.ofSeconds(31));
    assertThat(board.current().health(clock.instant()).ok()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(board.current().health(clock.instant()).ok()).isFalse();
  }

  @Test
  void aBusyLoopIsHealthyForItsPassAllowanceThenReportedStuck() {
    board.started("file:/x", everyMinute, Duration.ZERO, state("{}"));
    board.busy();

    clock.advance(Duration.ofMinutes(12)); // allowance 10 + slack 2
    assertThat(board.current().health(clock.instant()).ok()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    StatusSnapshot.Health stuck = board.current().health(clock.instant());
    assertThat(stuck.ok()).isFalse();
    assertThat(stuck.reason()).startsWith("a pass has run for 721s");
  }

  @Test
  void stoppingIsUnhealthyAndSticksEvenIfTheLoopReportsAgain() {
    board.started("file:/x", everyMinute, MINUTE, state("{}"));
    board.stopping();
    board.waiting(MINUTE, state("{}"));

    assertThat(board.current().phase()).isEqualTo(StatusSnapshot.Phase.STOPPING);
    assertThat(board.current().health(clock.instant()).reason()).isEqualTo("stopping");
  }

  @Test
  void totalsAddUpOverPassesAndTheLastPassIsKept() {
    board.started("file:/x", everyMinute, Duration.ZERO, state("{}"));
    board.passDone(pass(clock.instant(), 3, 1, Optional.empty()));
    clock.advance(MINUTE);
    board.passDone(pass(clock.instant(), 0, 0, Optional.of("agent busy")));

    StatusSnapshot s = board.current();
    assertThat(s.totals()).isEqualTo(new StatusSnapshot.Totals(2, 1, 0.5, 2, 1, 2));
    assertThat(s.lastPass().orElseThrow().skippedReason()).contains("agent busy");
    assertThat(s.lastPass().orElseThrow().endedAt()).isEqualTo(T0.plus(MINUTE));
  }

  @Test
  void anEarlierSnapshotIsNotChangedByLaterReports() {
    board.started("file:/x", everyMinute, MINUTE, state("{\"values\":{\"a\":1}}"));
    StatusSnapshot before = board.current();

    board.busy();
    board.passDone(pass(clock.instant(), 1, 0, Optional.empty()));
    board.waiting(MINUTE, state("{\"values\":{\"a\":1,\"b\":2}}"));

    assertThat(before.busySince()).isEmpty();
    assertThat(before.lastPass()).isEmpty();
    assertThat(before.state().hookValues()).isEqualTo(1);
    assertThat(board.current().state().hookValues()).isEqualTo(2);
  }

  @Test
  void theStateViewReadsRecordsAsHupdStatusDoes() {
    ObjectNode root =
        (ObjectNode)
            state(
                "{\"values\":{\"a\":1,\"b\":2},\"failures\":{\"b\":{\"change\":\"x\",\"count\":2}},"
                    + "\"documents\":{"
                    + "\"toolchain/jdk\":{\"active\":{\"imageId\":\"sha256:1\"}},"
                    + "\"toolchain/old\":{\"active\":{\"imageId\":\"sha256:2\"},"
                    + "\"last\":{\"status\":\"retired\"}},"
                    + "\"toolchain/new\":{\"last\":{\"status\":\"failed\"}},"
                    + "\"rollout/agents\":{\"applied\":7},"
                    + "\"bamboo/agent\":{\"state\":\"online\",\"token\":\"never shown\"}}}");

    StateView v = StateView.of(root);

    assertThat(v.hookValues()).isEqualTo(2);
    assertThat(v.failingChanges()).isEqualTo(1);
    assertThat(v.toolchains()).containsOnlyKeys("jdk", "old", "new");
    assertThat(StateView.active(v.toolchains().get("jdk"))).isTrue();
    assertThat(StateView.active(v.toolchains().get("old"))).isFalse();
    assertThat(StateView.active(v.toolchains().get("new"))).isFalse();
    assertThat(v.fleets().get("agents").path("applied").asLong()).isEqualTo(7);
    assertThat(v.bambooJson().orElseThrow().path("state").asText()).isEqualTo("online");
    assertThat(v.bambooJson().orElseThrow().has("token")).isFalse();
  }
}
