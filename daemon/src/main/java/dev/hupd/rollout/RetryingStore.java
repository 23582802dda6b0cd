package dev.hupd.rollout;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries throttled and transient store calls with full-jitter backoff (200 ms doubling to 5 s)
 * within a time budget, for one-shot callers such as {@code hupd push} and {@code hupd rollout}: a
 * burst of writes meets SSM's 3 TPS Put quota at once. Agents do not use it: their ticks already
 * retry at their own pace.
 *
 * <p>A create retried after a lost response may come back as {@code ALREADY_EXISTS} for the
 * caller's own write; every caller of create here already treats that as "someone made this move"
 * and re-reads.
 */
public final class RetryingStore implements RolloutStore {

  private static final Logger log = LoggerFactory.getLogger(RetryingStore.class);

  private final RolloutStore store;
  private final long budgetMs;
  private final Random random;
  private final LongConsumer sleep;

  /** Retries for up to {@code budgetMs} per call, sleeping in real time. */
  public RetryingStore(RolloutStore store, long budgetMs) {
    this(store, budgetMs, new Random(), RetryingStore::sleep);
  }

  RetryingStore(RolloutStore store, long budgetMs, Random random, LongConsumer sleep) {
    this.store = store;
    this.budgetMs = budgetMs;
    this.random = random;
    this.sleep = sleep;
  }

  private interface Call<T> {
    T run() throws StoreException;
  }

  private <T> T retry(String what, Call<T> call) throws StoreException {
    long waited = 0;
    long cap = 200;
    while (true) {
      try {
        return call.run();
      } catch (StoreException e) {
        if (!e.retryable() || waited >= budgetMs) {
          throw e;
        }
        long pause = Math.min(budgetMs - waited, 1 + (long) (random.nextDouble() * cap));
        log.warn(
            "event=store.retry call={} reason=\"{}\" retry_in_ms={}", what, e.getMessage(), pause);
        sleep.accept(pause);
        waited += pause;
        cap = Math.min(5_000, cap * 2);
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public Map<String, Entry> get(Collection<String> names) throws StoreException {
    return retry("get", () -> store.get(names));
  }

  @Override
  public long create(String name, String value) throws StoreException {
    return retry("create " + name, () -> store.create(name, value));
  }

  @Override
  public long overwrite(String name, String value) throws StoreException {
    return retry("overwrite " + name, () -> store.overwrite(name, value));
  }

  @Override
  public Page list(String path, Optional<String> token) throws StoreException {
    return retry("list " + path, () -> store.list(path, token));
  }

  @Override
  public void delete(Collection<String> names) throws StoreException {
    retry(
        "delete",
        () -> {
          store.delete(names);
          return null;
        });
  }

  @Override
  public void label(String name, long version, String label) throws StoreException {
    retry(
        "label " + name,
        () -> {
          store.label(name, version, label);
          return null;
        });
  }

  @Override
  public String description() {
    return store.description();
  }

  @Override
  public void close() {
    store.close();
  }
}
