package dev.hupd.status;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What the daemon loop last published for the status server: immutable, replaced as a whole after
 * every pass or tick, so a request never waits for the loop and never sees half an update.
 *
 * @param process version, pid, start time and mode of this hupd
 * @param phase where the loop is in its life
 * @param source the metadata source, as the start-up log names it
 * @param expectations how often the loop reports and how long one pass may take
 * @param busySince when the running pass (or fleet tick) began; empty while the loop waits
 * @param dueBy when the loop planned to wake next, as of its last report
 * @param lastPass the latest finished pass, if any
 * @param totals counts since this process started
 * @param state the state-file records as of the last report
 */
public record StatusSnapshot(
    ProcessInfo process,
    Phase phase,
    String source,
    Expectations expectations,
    Optional<Instant> busySince,
    Instant dueBy,
    Optional<LastPass> lastPass,
    Totals totals,
    StateView state) {

  /** The loop's life: the server starts before the loop and outlives it briefly. */
  public enum Phase {
    STARTING,
    RUNNING,
    STOPPING
  }

  /**
   * Fixed facts about this process.
   *
   * @param version hupd's version
   * @param pid the process id
   * @param startedAt when the process started
   * @param mode {@code cfn-hup} or {@code fleet}
   */
  public record ProcessInfo(String version, long pid, Instant startedAt, String mode) {}

  /**
   * The loop's rhythm, from the settings.
   *
   * @param interval the poll interval
   * @param passAllowance how long one pass may run before {@code /healthz} reports it stuck
   */
  public record Expectations(Duration interval, Duration passAllowance) {

    /** Lateness tolerated beyond a planned wake: two intervals, and never less than 30 s. */
    public Duration slack() {
      Duration two = interval.multipliedBy(2);
      return two.compareTo(MIN_SLACK) < 0 ? MIN_SLACK : two;
    }
  }

  static final Duration MIN_SLACK = Duration.ofSeconds(30);

  /**
   * One finished pass.
   *
   * @param endedAt when it ended
   * @param duration how long it ran
   * @param actionsRun hook actions run
   * @param actionsFailed of those, failed
   * @param readErrors resources or paths that could not be read
   * @param stateErrors state writes that failed
   * @param stepErrors other steps' partial failures (e.g. one toolchain)
   * @param skippedReason why the pass ran none of its steps, if it was skipped
   */
  public record LastPass(
      Instant endedAt,
      Duration duration,
      int actionsRun,
      int actionsFailed,
      int readErrors,
      int stateErrors,
      int stepErrors,
      Optional<String> skippedReason) {}

  /**
   * Counts since start (Prometheus counters: they only grow while the process lives).
   *
   * @param passes passes finished, skipped ones included
   * @param skippedPasses passes a gate skipped
   * @param passSeconds the summed duration of those passes
   * @param actionsSucceeded hook actions that succeeded
   * @param actionsFailed hook actions that failed
   * @param readErrors read errors over all passes
   */
  public record Totals(
      long passes,
      long skippedPasses,
      double passSeconds,
      long actionsSucceeded,
      long actionsFailed,
      long readErrors) {

    public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0);

    Totals plus(LastPass p) {
      return new Totals(
          passes + 1,
          skippedPasses + (p.skippedReason().isPresent() ? 1 : 0),
          passSeconds + p.duration().toNanos() / 1e9,
          actionsSucceeded + p.actionsRun() - p.actionsFailed(),
          actionsFailed + p.actionsFailed(),
          readErrors + p.readErrors());
    }
  }

  /**
   * {@code /healthz}'s answer.
   *
   * @param ok whether to answer 200
   * @param reason {@code ok}, or why not
   */
  public record Health(boolean ok, String reason) {}

  /**
   * Alive means: the loop runs, a running pass is younger than its allowance plus the slack, and
   * between passes the loop is not later than the slack past the wake it planned. With the default
   * slack of two intervals, the last pass is then at most about three intervals old.
   */
  public Health health(Instant now) {
    if (phase == Phase.STARTING) {
      return new Health(false, "starting: the daemon loop has not begun");
    }
    if (phase == Phase.STOPPING) {
      return new Health(false, "stopping");
    }
    Duration slack = expectations.slack();
    if (busySince.isPresent()) {
      Duration running = Duration.between(busySince.get(), now);
      Duration limit = expectations.passAllowance().plus(slack);
      if (running.compareTo(limit) > 0) {
        return new Health(
            false, "a pass has run for " + seconds(running) + ", longer than " + seconds(limit));
      }
      return new Health(true, "ok");
    }
    Duration late = Duration.between(dueBy, now);
    if (late.compareTo(slack) > 0) {
      return new Health(
          false,
          "the daemon loop is "
              + seconds(late)
              + " past its planned wake at "
              + dueBy
              + " (tolerated: "
              + seconds(slack)
              + ")");
    }
    return new Health(true, "ok");
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + "s";
  }
}
