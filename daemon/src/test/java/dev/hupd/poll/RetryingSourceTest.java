package dev.hupd.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.hupd.metadata.StackResource;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import dev.hupd.source.SourceException.Kind;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** Retries of throttling, 5xx and network errors, bounded by attempts, budget and shutdown. */
class RetryingSourceTest {

  private static final StackResource RESOURCE =
      new StackResource(
          "AgentLT",
          "AWS::EC2::LaunchTemplate",
          "UPDATE_COMPLETE",
          Optional.of("lt-0123"),
          Optional.empty(),
          Optional.of("{\"a\":1}"));

  /** Always draws the largest value, so every wait equals its ceiling. */
  private static final RandomGenerator LONGEST =
      new RandomGenerator() {
        @Override
        public long nextLong() {
          return Long.MAX_VALUE;
        }

        @Override
        public long nextLong(long bound) {
          return bound - 1;
        }
      };

  /** Answers from a script: each element is either an exception to throw or a resource. */
  private static final class ScriptedSource implements MetadataSource {
    final Deque<Object> script = new ArrayDeque<>();
    int calls;
    Object last;
    boolean closed;
    Runnable watched;

    ScriptedSource then(Object outcome) {
      script.add(outcome);
      return this;
    }

    ScriptedSource failing(Kind kind, int times) {
      for (int i = 0; i < times; i++) {
        script.add(new SourceException(kind, kind.name() + " #" + (i + 1)));
      }
      return this;
    }

    @Override
    public StackResource describe(String logicalId) throws SourceException {
      calls++;
      Object next = script.isEmpty() ? last : script.poll();
      last = next;
      if (next instanceof SourceException e) {
        throw e;
      }
      return (StackResource) next;
    }

    @Override
    public String description() {
      return "scripted";
    }

    @Override
    public void watch(Runnable onChange) {
      watched = onChange;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Records each requested wait instead of sleeping. */
  private static final class RecordingSleeper implements Sleeper {
    final List<Duration> waits = new ArrayList<>();
    boolean keepGoing = true;

    @Override
    public boolean sleep(Duration d) {
      waits.add(d);
      return keepGoing;
    }

    Duration total() {
      return waits.stream().reduce(Duration.ZERO, Duration::plus);
    }
  }

  private final RecordingSleeper sleeper = new RecordingSleeper();

  private RetryingSource retrying(ScriptedSource source, Backoff backoff, RandomGenerator random) {
    return new RetryingSource(source, backoff, sleeper, random);
  }

  @Test
  void throttledThreeTimesThenSucceedsAfterThreeRecordedWaits() throws Exception {
    ScriptedSource source = new ScriptedSource().failing(Kind.THROTTLED, 3).then(RESOURCE);
    Backoff backoff = Backoff.standard(Duration.ofMinutes(2));

    long started = System.nanoTime();
    StackResource result = retrying(source, backoff, new SplittableRandom(1)).describe("AgentLT");
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

    assertThat(result).isSameAs(RESOURCE);
    assertThat(source.calls).isEqualTo(4);
    assertThat(sleeper.waits).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(sleeper.waits.get(i)).isBetween(Duration.ZERO, backoff.ceiling(i + 1));
    }
    assertThat(elapsed).as("no real sleeping").isLessThan(Duration.ofSeconds(1));
  }

  /** C03: three throttled answers then success give three WARN lines and no ERROR. */
  @Test
  void eachRetryIsOneWarnLineNamingResourceCodeAndAttempt() throws Exception {
    ScriptedSource source = new ScriptedSource();
    for (int i = 0; i < 3; i++) {
      source.then(new SourceException(Kind.THROTTLED, "Throttling", "Rate exceeded", null));
    }
    source.then(RESOURCE);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(RetryingSource.class);
    appender.start();
    logger.addAppender(appender);
    try {
      retrying(source, Backoff.standard(Duration.ofMinutes(2)), LONGEST).describe("AgentLT");
    } finally {
      logger.detachAppender(appender);
    }

    assertThat(appender.list)
        .extracting(ILoggingEvent::getLevel)
        .containsExactly(Level.WARN, Level.WARN, Level.WARN);
    assertThat(appender.list.get(2).getFormattedMessage())
        .contains("resource=AgentLT")
        .contains("code=Throttling")
        .contains("attempt=3")
        .contains("wait=4.0s");
  }

  @ParameterizedTest(name = "{0} is retried")
  @EnumSource(
      value = Kind.class,
      names = {"THROTTLED", "SERVER", "NETWORK"})
  void transientKindsAreRetried(Kind kind) throws Exception {
    ScriptedSource source = new ScriptedSource().failing(kind, 1).then(RESOURCE);

    assertThat(retrying(source, Backoff.standard(Duration.ofMinutes(2)), LONGEST).describe("X"))
        .isSameAs(RESOURCE);
    assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(1));
  }

  @ParameterizedTest(name = "{0} is not retried")
  @EnumSource(
      value = Kind.class,
      names = {"ACCESS_DENIED", "NOT_FOUND", "INVALID", "OTHER"})
  void permanentKindsFailAtOnce(Kind kind) {
    SourceException failure = new SourceException(kind, "AccessDenied", "denied", null);
    ScriptedSource source = new ScriptedSource().then(failure).then(RESOURCE);

    SourceException thrown =
        catchThrowableOfType(
            SourceException.class,
            () -> retrying(source, Backoff.standard(Duration.ofMinutes(2)), LONGEST).describe("X"));

    assertThat(thrown).isSameAs(failure);
    assertThat(source.calls).isEqualTo(1);
    assertThat(sleeper.waits).isEmpty();
  }

  @Test
  void givesUpAfterMaxAttemptsWithTheLastFailure() {
    ScriptedSource source = new ScriptedSource().failing(Kind.THROTTLED, 10);
    Backoff backoff =
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(20), 4, Duration.ofHours(1));

    SourceException thrown =
        catchThrowableOfType(
            SourceException.class, () -> retrying(source, backoff, LONGEST).describe("X"));

    assertThat(thrown).isNotNull();
    assertThat(thrown.getMessage()).isEqualTo("THROTTLED #4");
    assertThat(source.calls).isEqualTo(4);
    assertThat(sleeper.waits)
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
  }

  @Test
  void singleAttemptPolicyNeverRetries() {
    ScriptedSource source = new ScriptedSource().failing(Kind.SERVER, 1).then(RESOURCE);
    Backoff once =
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ofHours(1));

    assertThat(
            catchThrowableOfType(
                SourceException.class, () -> retrying(source, once, LONGEST).describe("X")))
        .isNotNull();
    assertThat(source.calls).isEqualTo(1);
  }

  @Test
  void waitLongerThanTheBudgetIsNotTaken() {
    ScriptedSource source = new ScriptedSource().failing(Kind.THROTTLED, 1).then(RESOURCE);
    Backoff backoff =
        new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(10), 5, Duration.ofSeconds(1));

    assertThat(
            catchThrowableOfType(
                SourceException.class, () -> retrying(source, backoff, LONGEST).describe("X")))
        .isNotNull();
    assertThat(source.calls).isEqualTo(1);
    assertThat(sleeper.waits).isEmpty();
  }

  /**
   * The budget bounds the time one call may spend, waits included: with 1 s waits and a 2.5 s
   * budget, two waits fit and a third would overrun it.
   */
  @Test
  void waitsAddUpToAtMostTheBudget() {
    ScriptedSource source = new ScriptedSource().failing(Kind.THROTTLED, 1000);
    Backoff backoff =
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 100, Duration.ofMillis(2500));

    SourceException thrown =
        catchThrowableOfType(
            SourceException.class, () -> retrying(source, backoff, LONGEST).describe("X"));

    assertThat(thrown).isNotNull();
    assertThat(sleeper.total()).isLessThanOrEqualTo(backoff.budget());
    assertThat(sleeper.waits).hasSize(2);
    assertThat(source.calls).isEqualTo(3);
  }

  @Test
  void sleeperReportingShutdownStopsRetrying() {
    ScriptedSource source = new ScriptedSource().failing(Kind.THROTTLED, 5).then(RESOURCE);
    sleeper.keepGoing = false;

    SourceException thrown =
        catchThrowableOfType(
            SourceException.class,
            () -> retrying(source, Backoff.standard(Duration.ofMinutes(2)), LONGEST).describe("X"));

    assertThat(thrown).isNotNull();
    assertThat(thrown.getMessage()).isEqualTo("THROTTLED #1");
    assertThat(source.calls).isEqualTo(1);
    assertThat(sleeper.waits).hasSize(1);
  }

  @Test
  void descriptionWatchAndCloseAreDelegated() {
    ScriptedSource source = new ScriptedSource();
    RetryingSource retrying = retrying(source, Backoff.standard(Duration.ofMinutes(2)), LONGEST);
    Runnable callback = () -> {};

    retrying.watch(callback);
    retrying.close();

    assertThat(retrying.description()).isEqualTo("scripted");
    assertThat(source.watched).isSameAs(callback);
    assertThat(source.closed).isTrue();
  }
}
