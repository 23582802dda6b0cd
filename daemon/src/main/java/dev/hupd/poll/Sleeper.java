package dev.hupd.poll;

import java.time.Duration;

/** Waits; tests substitute one that records instead of sleeping. */
@FunctionalInterface
public interface Sleeper {

  /**
   * Waits for {@code d}.
   *
   * @return false if the wait was cut short because hupd is stopping
   */
  boolean sleep(Duration d);

  /** A plain sleeper that gives up when the thread is interrupted. */
  Sleeper SYSTEM =
      d -> {
        try {
          Thread.sleep(d.toMillis());
          return true;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      };
}
