package dev.hupd.rollout;

import dev.hupd.rollout.StoreException.Kind;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes a reader of a {@link DirStore} when anything under its root changes, so that the folder
 * store delivers a push in well under a second instead of at the next poll.
 *
 * <p>Every folder of the tree is registered (a {@link WatchService} watches one folder), new ones
 * as they appear; a folder created and filled between two events is walked when registered, and a
 * change is reported then, so nothing made inside it is missed. The staging folder is not watched:
 * staged files are not changes.
 */
public final class DirWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DirWatch.class);

  private final Path root;
  private final Path staging;
  private final WatchService service;
  private final Runnable onChange;
  private final Thread thread;
  private final Set<Path> watched = ConcurrentHashMap.newKeySet();

  private DirWatch(Path root, Path staging, WatchService service, Runnable onChange) {
    this.root = root;
    this.staging = staging;
    this.service = service;
    this.onChange = onChange;
    this.thread = new Thread(this::run, "hupd-dirstore-watch");
    this.thread.setDaemon(true);
  }

  static DirWatch start(Path root, Path staging, Runnable onChange) throws StoreException {
    DirWatch watch;
    try {
      watch = new DirWatch(root, staging, root.getFileSystem().newWatchService(), onChange);
      watch.registerTree(root);
    } catch (IOException e) {
      throw new StoreException(
          Kind.TRANSIENT, "dir store: cannot watch " + root + ": " + e.getMessage(), e);
    }
    watch.thread.start();
    return watch;
  }

  /** Stops watching; no call to {@code onChange} starts after this returns. */
  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      LOG.debug("event=dirstore.watch-close-failed store={} reason=\"{}\"", root, e.getMessage());
    }
    if (Thread.currentThread() != thread) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether changes in {@code folder} are watched (for tests: new folders are, soon). */
  boolean watches(Path folder) {
    return watched.contains(folder);
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = service.take();
        handle(key);
        if (!key.reset()) {
          watched.remove((Path) key.watchable()); // the folder is gone
        }
        notifyChange();
      }
    } catch (ClosedWatchServiceException e) {
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(WatchKey key) {
    Path folder = (Path) key.watchable();
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
        registerQuietly(root); // events were dropped: pick up every folder made meanwhile
      } else if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE) {
        Path child = folder.resolve((Path) event.context());
        if (Files.isDirectory(child)) {
          registerQuietly(child);
        }
      }
    }
  }

  private void notifyChange() {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      LOG.warn("event=dirstore.watch-callback-failed store={} error=\"{}\"", root, e.toString());
    }
  }

  private void registerQuietly(Path folder) {
    try {
      registerTree(folder);
    } catch (ClosedWatchServiceException e) {
      // closing: nothing more to watch
    } catch (IOException e) {
      LOG.debug(
          "event=dirstore.watch-register-failed folder={} reason=\"{}\"", folder, e.getMessage());
    }
  }

  private void registerTree(Path folder) throws IOException {
    if (folder.equals(staging)) {
      return;
    }
    try {
      folder.register(
          service,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_DELETE,
          StandardWatchEventKinds.ENTRY_MODIFY);
      watched.add(folder);
      try (DirectoryStream<Path> children = Files.newDirectoryStream(folder, Files::isDirectory)) {
        for (Path child : children) {
          registerTree(child);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      // removed before we got to it: nothing to watch
    }
  }
}
