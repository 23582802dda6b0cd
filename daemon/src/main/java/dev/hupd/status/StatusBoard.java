package dev.hupd.status;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.apply.PassReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where the daemon loop posts what it did, for the status server to read. Each call builds a new
 * {@link StatusSnapshot} and swaps it in atomically (the loop writes, and a stop signal may mark
 * the loop stopping from its own thread), so publishing costs the loop one small allocation and
 * never waits on a reader.
 */
public final class StatusBoard {

  private final Clock clock;
  private final AtomicReference<StatusSnapshot> current;

  public StatusBoard(StatusSnapshot.ProcessInfo process, Clock clock) {
    this.clock = clock;
    Instant now = clock.instant();
    this.current =
        new AtomicReference<>(
            new StatusSnapshot(
                process,
                StatusSnapshot.Phase.STARTING,
                "",
                new StatusSnapshot.Expectations(Duration.ofMinutes(15), Duration.ZERO),
                Optional.empty(),
                now,
                Optional.empty(),
                StatusSnapshot.Totals.ZERO,
                StateView.EMPTY));
  }

  /** The latest snapshot; safe from any thread. */
  public StatusSnapshot current() {
    return current.get();
  }

  /** The loop begins: it reads {@code source} and plans its first pass in {@code untilFirst}. */
  public void started(
      String source,
      StatusSnapshot.Expectations expectations,
      Duration untilFirst,
      JsonNode state) {
    current.updateAndGet(
        s ->
            new StatusSnapshot(
                s.process(),
                s.phase() == StatusSnapshot.Phase.STOPPING
                    ? StatusSnapshot.Phase.STOPPING
                    : StatusSnapshot.Phase.RUNNING,
                source,
                expectations,
                Optional.empty(),
                clock.instant().plus(untilFirst),
                s.lastPass(),
                s.totals(),
                StateView.of(state)));
  }

  /** A reload changed what the loop reads or how often. */
  public void reconfigured(String source, StatusSnapshot.Expectations expectations) {
    current.updateAndGet(
        s ->
            new StatusSnapshot(
                s.process(),
                s.phase(),
                source,
                expectations,
                s.busySince(),
                s.dueBy(),
                s.lastPass(),
                s.totals(),
                s.state()));
  }

  /** A pass (or a fleet tick, which may switch) begins. */
  public void busy() {
    current.updateAndGet(
        s ->
            new StatusSnapshot(
                s.process(),
                s.phase(),
                s.source(),
                s.expectations(),
                Optional.of(clock.instant()),
                s.dueBy(),
                s.lastPass(),
                s.totals(),
                s.state()));
  }

  /** A pass ended after {@code took}; the loop stays busy until {@link #waiting}. */
  public void passDone(PassReport report, Duration took) {
    StatusSnapshot.LastPass pass =
        new StatusSnapshot.LastPass(
            clock.instant(),
            took,
            report.actionsRun(),
            report.actionsFailed(),
            report.readErrors(),
            report.stateErrors(),
            report.stepErrors(),
            report.skippedReason());
    passDone(pass);
  }

  /** Records a finished pass (tests build one directly). */
  void passDone(StatusSnapshot.LastPass pass) {
    current.updateAndGet(
        s ->
            new StatusSnapshot(
                s.process(),
                s.phase(),
                s.source(),
                s.expectations(),
                s.busySince(),
                s.dueBy(),
                Optional.of(pass),
                s.totals().plus(pass),
                s.state()));
  }

  /**
   * The loop goes to sleep and plans to wake within {@code untilNext}; {@code state} is a private
   * copy of the state file's records ({@link dev.hupd.metadata.StateStore#snapshot()}).
   */
  public void waiting(Duration untilNext, JsonNode state) {
    current.updateAndGet(
        s ->
            new StatusSnapshot(
                s.process(),
                s.phase(),
                s.source(),
                s.expectations(),
                Optional.empty(),
                clock.instant().plus(untilNext.isNegative() ? Duration.ZERO : untilNext),
                s.lastPass(),
                s.totals(),
                StateView.of(state)));
  }

  /** The loop is stopping: {@code /healthz} answers 503 from now on. */
  public void stopping() {
    current.updateAndGet(
        s ->
            new StatusSnapshot(
                s.process(),
                StatusSnapshot.Phase.STOPPING,
                s.source(),
                s.expectations(),
                s.busySince(),
                s.dueBy(),
                s.lastPass(),
                s.totals(),
                s.state()));
  }
}
