package dev.hupd.poll;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exponential backoff with full jitter. */
class BackoffTest {

  private static final Backoff STANDARD = Backoff.standard(Duration.ofMinutes(2));

  @Test
  void standardPolicyIsOneSecondDoublingToTwentyWithEightAttempts() {
    assertThat(STANDARD.base()).isEqualTo(Duration.ofSeconds(1));
    assertThat(STANDARD.cap()).isEqualTo(Duration.ofSeconds(20));
    assertThat(STANDARD.maxAttempts()).isEqualTo(8);
    assertThat(STANDARD.budget()).isEqualTo(Duration.ofMinutes(2));
  }

  @ParameterizedTest(name = "retry {0} -> {1} s")
  @CsvSource({"1, 1", "2, 2", "3, 4", "4, 8", "5, 16", "6, 20", "7, 20", "50, 20"})
  void ceilingDoublesUpToTheCap(int retry, long seconds) {
    assertThat(STANDARD.ceiling(retry)).isEqualTo(Duration.ofSeconds(seconds));
  }

  @Test
  void delayIsAlwaysWithinZeroAndTheCeiling() {
    for (int retry = 1; retry <= 8; retry++) {
      Duration ceiling = STANDARD.ceiling(retry);
      Set<Duration> seen = new HashSet<>();
      Duration longest = Duration.ZERO;
      for (long seed = 0; seed < 2000; seed++) {
        Duration d = STANDARD.delay(retry, new SplittableRandom(seed * 31 + retry));
        assertThat(d).isBetween(Duration.ZERO, ceiling);
        seen.add(d);
        longest = d.compareTo(longest) > 0 ? d : longest;
      }
      assertThat(seen).as("jittered, retry %d", retry).hasSizeGreaterThan(100);
      assertThat(longest)
          .as("full range used, retry %d", retry)
          .isGreaterThan(ceiling.multipliedBy(9).dividedBy(10));
    }
  }

  @Test
  void zeroBaseNeverWaits() {
    Backoff none = new Backoff(Duration.ZERO, Duration.ZERO, 3, Duration.ofSeconds(1));

    assertThat(none.delay(1, new SplittableRandom(1))).isZero();
    assertThat(none.delay(5, new SplittableRandom(1))).isZero();
  }
}
