package dev.hupd.poll;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: before retry {@code n} (1-based) wait a uniformly random
 * time in {@code [0, min(cap, base * 2^(n-1))]}. Bounded both by a number of attempts and by a
 * total time budget, so one pass can never stall indefinitely (cfn-hup retries throttling forever).
 *
 * @param base first ceiling
 * @param cap largest ceiling
 * @param maxAttempts total attempts including the first
 * @param budget total time a call may spend, waits included
 */
public record Backoff(Duration base, Duration cap, int maxAttempts, Duration budget) {

  public static Backoff standard(Duration budget) {
    return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(20), 8, budget);
  }

  /** The ceiling before retry {@code retry} (1-based). */
  public Duration ceiling(int retry) {
    long ms = base.toMillis();
    for (int i = 1; i < retry && ms < cap.toMillis(); i++) {
      ms *= 2;
    }
    return Duration.ofMillis(Math.min(ms, cap.toMillis()));
  }

  /** A random wait before retry {@code retry}. */
  public Duration delay(int retry, RandomGenerator random) {
    long ceiling = ceiling(retry).toMillis();
    return Duration.ofMillis(ceiling == 0 ? 0 : random.nextLong(ceiling + 1));
  }
}
