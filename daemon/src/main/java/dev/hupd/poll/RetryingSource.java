package dev.hupd.poll;

import dev.hupd.config.Durations;
import dev.hupd.metadata.StackResource;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a source's reads on throttling, 5xx and network errors with {@link Backoff}; every other
 * failure passes straight through. Each retry is one WARN line; the final failure is left to the
 * caller to report.
 */
public final class RetryingSource implements MetadataSource {

  private static final Logger log = LoggerFactory.getLogger(RetryingSource.class);

  private final MetadataSource delegate;
  private final Backoff backoff;
  private final Sleeper sleeper;
  private final RandomGenerator random;

  public RetryingSource(
      MetadataSource delegate, Backoff backoff, Sleeper sleeper, RandomGenerator random) {
    this.delegate = delegate;
    this.backoff = backoff;
    this.sleeper = sleeper;
    this.random = random;
  }

  @Override
  public StackResource describe(String logicalId) throws SourceException {
    Duration spent = Duration.ZERO;
    for (int attempt = 1; ; attempt++) {
      long callStarted = System.nanoTime();
      try {
        return delegate.describe(logicalId);
      } catch (SourceException e) {
        spent = spent.plusNanos(System.nanoTime() - callStarted);
        if (!e.kind().retryable() || attempt >= backoff.maxAttempts()) {
          throw e;
        }
        Duration wait = backoff.delay(attempt, random);
        if (spent.plus(wait).compareTo(backoff.budget()) > 0) {
          throw e;
        }
        spent = spent.plus(wait);
        log.warn(
            "event=source.retry resource={} code={} attempt={} wait={} reason=\"{}\"",
            logicalId,
            e.code(),
            attempt,
            Durations.format(wait),
            e.getMessage());
        if (!sleeper.sleep(wait)) {
          throw e;
        }
      }
    }
  }

  @Override
  public String description() {
    return delegate.description();
  }

  @Override
  public void watch(Runnable onChange) {
    delegate.watch(onChange);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
