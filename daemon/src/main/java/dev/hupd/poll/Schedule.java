package dev.hupd.poll;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When to poll: every {@code interval} ±10 % so a fleet drifts apart instead of polling in
 * lockstep, and a random delay before the first poll so instances launched together spread out.
 *
 * @param interval nominal period between the end of one pass and the start of the next
 * @param firstPollSplay upper bound of the random delay before the first pass
 */
public record Schedule(Duration interval, Duration firstPollSplay) {

  public static final double JITTER = 0.10;

  public Duration firstDelay(RandomGenerator random) {
    long max = firstPollSplay.toMillis();
    return Duration.ofMillis(max <= 0 ? 0 : random.nextLong(max + 1));
  }

  public Duration nextDelay(RandomGenerator random) {
    double factor = 1 - JITTER + random.nextDouble() * 2 * JITTER;
    return Duration.ofMillis(Math.round(interval.toMillis() * factor));
  }
}
