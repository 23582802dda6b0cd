package dev.hupd.hooks;

import java.time.Duration;

/**
 * How an action ended.
 *
 * @param outcome the category
 * @param exitCode the shell's exit code, or -1 when it did not exit by itself
 * @param duration wall time
 * @param detail a short human explanation for failures, empty on success
 */
public record ActionResult(Outcome outcome, int exitCode, Duration duration, String detail) {

  /** Outcome categories. */
  public enum Outcome {
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    /** Stopped because hupd was shutting down and the grace period ran out. */
    ABORTED,
    /** Could not be started at all (unknown runas user, bad environment, …). */
    NOT_STARTED
  }

  public boolean succeeded() {
    return outcome == Outcome.SUCCEEDED;
  }
}
