package dev.hupd.poll;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** C14: ±10 % jitter on the interval and a random first-poll splay. */
class ScheduleTest {

  @Test
  void oneMinuteIntervalGivesDelaysWithinTenPercent() {
    Schedule schedule = new Schedule(Duration.ofMinutes(1), Duration.ZERO);
    Random random = new Random(42);
    Set<Duration> seen = new HashSet<>();
    Duration min = Duration.ofDays(1);
    Duration max = Duration.ZERO;

    for (int i = 0; i < 1000; i++) {
      Duration d = schedule.nextDelay(random);
      assertThat(d).isBetween(Duration.ofSeconds(54), Duration.ofSeconds(66));
      seen.add(d);
      min = d.compareTo(min) < 0 ? d : min;
      max = d.compareTo(max) > 0 ? d : max;
    }

    assertThat(seen).as("not all equal").hasSizeGreaterThan(500);
    assertThat(min).as("lower part of the range is used").isLessThan(Duration.ofSeconds(55));
    assertThat(max).as("upper part of the range is used").isGreaterThan(Duration.ofSeconds(65));
  }

  @Test
  void defaultFifteenMinutesStaysWithinTenPercent() {
    Schedule schedule = new Schedule(Duration.ofMinutes(15), Duration.ZERO);
    Random random = new Random(7);

    for (int i = 0; i < 1000; i++) {
      assertThat(schedule.nextDelay(random))
          .isBetween(Duration.ofSeconds(810), Duration.ofSeconds(990));
    }
  }

  @Test
  void firstDelayIsWithinTheSplay() {
    Duration splay = Duration.ofSeconds(90);
    Schedule schedule = new Schedule(Duration.ofMinutes(1), splay);
    Random random = new Random(3);
    Set<Duration> seen = new HashSet<>();

    for (int i = 0; i < 1000; i++) {
      Duration d = schedule.firstDelay(random);
      assertThat(d).isBetween(Duration.ZERO, splay);
      seen.add(d);
    }

    assertThat(seen).hasSizeGreaterThan(500);
  }

  @Test
  void zeroSplayMeansNoFirstDelay() {
    Schedule schedule = new Schedule(Duration.ofMinutes(1), Duration.ZERO);

    assertThat(schedule.firstDelay(new Random(1))).isZero();
  }
}
