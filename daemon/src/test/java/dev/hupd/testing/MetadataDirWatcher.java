package dev.hupd.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-loads a metadata folder into a {@link FakeCloudFormation} on a fixed period, so an operator
 * can edit {@code <LogicalId>.json} files while a daemon polls the fake. Polling (not a
 * WatchService) keeps the behaviour the same on every file system; a file that vanishes removes its
 * resource, and a file caught half-written is retried on the next tick.
 */
final class MetadataDirWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MetadataDirWatcher.class);

  private final FakeCloudFormation fake;
  private final Path dir;
  private final ScheduledExecutorService timer;
  private Set<String> loaded = Set.of();
  private String lastProblem;

  private MetadataDirWatcher(FakeCloudFormation fake, Path dir) {
    this.fake = fake;
    this.dir = dir;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "fake-cfn-metadata-dir");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Loads the folder once (failing loudly if it cannot), then every {@code period}. */
  static MetadataDirWatcher start(FakeCloudFormation fake, Path dir, Duration period)
      throws Exception {
    MetadataDirWatcher watcher = new MetadataDirWatcher(fake, dir);
    watcher.loaded = Set.copyOf(fake.loadMetadataDir(dir));
    long millis = period.toMillis();
    watcher.timer.scheduleWithFixedDelay(watcher::reload, millis, millis, TimeUnit.MILLISECONDS);
    return watcher;
  }

  private synchronized void reload() {
    try {
      List<String> now = fake.loadMetadataDir(dir);
      Set<String> gone = new HashSet<>(loaded);
      now.forEach(gone::remove);
      gone.forEach(fake::removeResource);
      loaded = Set.copyOf(now);
      lastProblem = null;
    } catch (Exception e) {
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem)) {
        log.warn("cannot reload metadata dir={} error={}", dir, problem);
        lastProblem = problem;
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
