package dev.hupd.poll;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One line per period for a repeated problem, with the count of what was held back. */
class LogLimiterTest {

  private static final Duration HOUR = Duration.ofHours(1);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final LogLimiter limiter = new LogLimiter(now::get);

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void firstOccurrenceIsLoggedAtOnce() {
    assertThat(limiter.admit("read|AgentLT|AccessDenied", HOUR)).isZero();
  }

  @Test
  void repeatsWithinThePeriodAreSuppressedAndCounted() {
    String key = "read|AgentLT|AccessDenied";
    assertThat(limiter.admit(key, HOUR)).isZero();

    for (int i = 0; i < 59; i++) {
      advance(Duration.ofMinutes(1));
      assertThat(limiter.admit(key, HOUR)).as("minute %d", i + 1).isEqualTo(-1);
    }
    advance(Duration.ofMinutes(1));

    assertThat(limiter.admit(key, HOUR)).as("one hour later: 59 held back").isEqualTo(59);
    advance(Duration.ofMinutes(1));
    assertThat(limiter.admit(key, HOUR)).isEqualTo(-1);
  }

  @Test
  void oneLinePerPeriodOverADay() {
    String key = "path|hook";
    int lines = 0;

    for (int minute = 0; minute < 24 * 60; minute++) {
      if (limiter.admit(key, HOUR) >= 0) {
        lines++;
      }
      advance(Duration.ofMinutes(1));
    }

    assertThat(lines).isEqualTo(24);
  }

  @Test
  void keysAreIndependent() {
    assertThat(limiter.admit("a", HOUR)).isZero();
    assertThat(limiter.admit("b", HOUR)).isZero();
    assertThat(limiter.admit("a", HOUR)).isEqualTo(-1);
  }

  @Test
  void clearedKeyIsLoggedAgainAtOnce() {
    limiter.admit("a", HOUR);
    limiter.admit("a", HOUR);

    limiter.clear("a");

    assertThat(limiter.admit("a", HOUR)).isZero();
  }
}
