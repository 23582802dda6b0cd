package dev.hupd.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StackResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stack metadata from local files, the embedded default that needs no AWS. Two layouts:
 *
 * <ul>
 *   <li>a folder with one {@code <LogicalId>.json} per resource, holding that resource's Metadata;
 *   <li>one JSON file shaped like a stack: {@code {"StackName": …, "Resources": {"<Id>":
 *       {"ResourceType", "PhysicalResourceId", "ResourceStatus", "LastUpdatedTimestamp",
 *       "Metadata"}}}}.
 * </ul>
 *
 * The folder (or the file's folder) is watched with the platform's file watcher (inotify on Linux),
 * so a change wakes the daemon at once.
 */
public final class FileMetadataSource implements MetadataSource {

  private static final Logger log = LoggerFactory.getLogger(FileMetadataSource.class);
  private static final long MAX_BYTES = 4L << 20;

  private final Path path;
  private volatile WatchService watcher;
  private Thread watchThread;

  public FileMetadataSource(Path path) {
    this.path = path.toAbsolutePath().normalize();
  }

  @Override
  public String description() {
    return "file path=" + path;
  }

  @Override
  public StackResource describe(String logicalId) throws SourceException {
    if (Files.isDirectory(path)) {
      return fromFolder(logicalId);
    }
    return fromStackFile(logicalId);
  }

  private StackResource fromFolder(String logicalId) throws SourceException {
    if (logicalId.contains("/") || logicalId.startsWith(".")) {
      throw new SourceException(SourceException.Kind.NOT_FOUND, "not a logical id: " + logicalId);
    }
    Path file = path.resolve(logicalId + ".json");
    String text;
    Instant modified;
    try {
      checkSize(file);
      text = Files.readString(file, StandardCharsets.UTF_8);
      modified = Files.getLastModifiedTime(file).toInstant();
    } catch (NoSuchFileException e) {
      throw new SourceException(
          SourceException.Kind.NOT_FOUND,
          "ResourceNotFound",
          "resource " + logicalId + " has no file " + file,
          null);
    } catch (IOException e) {
      throw new SourceException(
          SourceException.Kind.OTHER, "IOError", "cannot read " + file + ": " + e, e);
    }
    try {
      Json.parse(text);
    } catch (IllegalArgumentException e) {
      throw new SourceException(
          SourceException.Kind.INVALID, "InvalidJson", file + " is " + e.getMessage(), null);
    }
    return new StackResource(
        logicalId,
        "AWS::CloudFormation::Init",
        "UPDATE_COMPLETE",
        Optional.empty(),
        Optional.of(modified),
        Optional.of(text));
  }

  private StackResource fromStackFile(String logicalId) throws SourceException {
    JsonNode root;
    try {
      checkSize(path);
      root = Json.parse(Files.readString(path, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      throw new SourceException(
          SourceException.Kind.NOT_FOUND,
          "SourceMissing",
          "metadata file " + path + " does not exist",
          null);
    } catch (IOException e) {
      throw new SourceException(
          SourceException.Kind.OTHER, "IOError", "cannot read " + path + ": " + e, e);
    } catch (IllegalArgumentException e) {
      throw new SourceException(
          SourceException.Kind.INVALID, "InvalidJson", path + " is " + e.getMessage(), null);
    }
    return StackDocument.describe(root, logicalId, path.toString());
  }

  /** CloudFormation caps a whole template at 1 MB; anything far beyond is not metadata. */
  private static void checkSize(Path file) throws IOException, SourceException {
    if (Files.size(file) > MAX_BYTES) {
      throw new SourceException(
          SourceException.Kind.INVALID, "TooLarge", file + " is larger than 4 MiB", null);
    }
  }

  /**
   * Watches the folder (or the file's folder) and that folder's parent, so that replacing the whole
   * folder ({@code mv new meta}) is noticed too: the new folder is then watched instead.
   */
  @Override
  public synchronized void watch(Runnable onChange) {
    if (watchThread != null) {
      return;
    }
    Path folder = Files.isDirectory(path) ? path : path.getParent();
    Path only = Files.isDirectory(path) ? null : path.getFileName();
    WatchKey parentKey;
    WatchKey folderKey;
    try {
      watcher = folder.getFileSystem().newWatchService();
      folderKey = register(folder);
      parentKey = folder.getParent() == null ? null : register(folder.getParent());
    } catch (IOException e) {
      log.warn(
          "event=source.watch-unavailable folder={} reason=\"{}\" fallback=polling",
          folder,
          e.getMessage());
      return;
    }
    WatchService ws = watcher;
    Path folderName = folder.getFileName();
    watchThread =
        new Thread(
            () -> {
              WatchKey current = folderKey;
              try {
                while (true) {
                  WatchKey key = ws.take();
                  boolean relevant = false;
                  for (WatchEvent<?> event : key.pollEvents()) {
                    Object context = event.context();
                    if (key == parentKey) {
                      relevant |= folderName.equals(context);
                    } else {
                      relevant |=
                          only == null
                              || context == null
                              || only.equals(context)
                              || event.kind() == StandardWatchEventKinds.OVERFLOW;
                    }
                  }
                  boolean valid = key.reset();
                  if (key == parentKey && relevant) {
                    current = reRegister(folder, current);
                  } else if (!valid && key == current) {
                    current = null; // folder deleted; the parent's events bring it back
                  }
                  if (relevant) {
                    notify(onChange);
                  }
                }
              } catch (InterruptedException | ClosedWatchServiceException e) {
                // closing
              }
            },
            "hupd-file-watch");
    watchThread.setDaemon(true);
    watchThread.start();
  }

  private WatchKey register(Path folder) throws IOException {
    return folder.register(
        watcher,
        StandardWatchEventKinds.ENTRY_CREATE,
        StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
  }

  private WatchKey reRegister(Path folder, WatchKey previous) {
    if (!Files.isDirectory(folder)) {
      return previous;
    }
    try {
      WatchKey key = register(folder);
      if (previous != null && previous != key) {
        previous.cancel(); // it follows the old folder wherever it was moved
      }
      log.debug("event=source.watch-renewed folder={}", folder);
      return key;
    } catch (IOException e) {
      log.warn(
          "event=source.watch-lost folder={} reason=\"{}\" fallback=polling",
          folder,
          e.getMessage());
      return previous;
    }
  }

  private static void notify(Runnable onChange) {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      log.warn("event=source.watch-callback-failed reason=\"{}\"", e.toString());
    }
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      try {
        watcher.close();
      } catch (IOException ignored) {
        // nothing useful to do while closing
      }
    }
  }
}
