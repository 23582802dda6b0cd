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
import java.time.format.DateTimeParseException;
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
    JsonNode resources = root.path("Resources");
    if (!resources.isObject()) {
      throw invalid("Resources", "an object of {\"<LogicalId>\": {...}}");
    }
    JsonNode r = resources.get(logicalId);
    if (r == null) {
      throw new SourceException(
          SourceException.Kind.NOT_FOUND,
          "ResourceNotFound",
          "resource " + logicalId + " is not in " + path,
          null);
    }
    if (!r.isObject()) {
      throw invalid("Resources." + logicalId, "an object");
    }
    String field = "Resources." + logicalId + ".";
    String type = text(r, "ResourceType", field).orElse("AWS::CloudFormation::Init");
    String status = text(r, "ResourceStatus", field).orElse("UPDATE_COMPLETE");
    Optional<String> physical = text(r, "PhysicalResourceId", field);
    Optional<Instant> updated = Optional.empty();
    Optional<String> stamp = text(r, "LastUpdatedTimestamp", field);
    if (stamp.isPresent()) {
      try {
        updated = Optional.of(Instant.parse(stamp.get()));
      } catch (DateTimeParseException e) {
        throw invalid(
            field + "LastUpdatedTimestamp", "an ISO-8601 UTC time such as 2026-12-04T10:00:00Z");
      }
    }
    JsonNode metadata = r.get("Metadata");
    Optional<String> metadataText;
    if (metadata == null || metadata.isNull()) {
      metadataText = Optional.empty();
    } else if (metadata.isTextual()) {
      try {
        Json.parse(metadata.textValue());
      } catch (IllegalArgumentException e) {
        throw invalid(
            field + "Metadata", "a JSON object or a string holding JSON (" + e.getMessage() + ")");
      }
      metadataText = Optional.of(metadata.textValue());
    } else {
      metadataText = Optional.of(metadata.toString());
    }
    return new StackResource(logicalId, type, status, physical, updated, metadataText);
  }

  /** CloudFormation caps a whole template at 1 MB; anything far beyond is not metadata. */
  private static void checkSize(Path file) throws IOException, SourceException {
    if (Files.size(file) > MAX_BYTES) {
      throw new SourceException(
          SourceException.Kind.INVALID, "TooLarge", file + " is larger than 4 MiB", null);
    }
  }

  private Optional<String> text(JsonNode r, String name, String prefix) throws SourceException {
    JsonNode v = r.get(name);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw invalid(prefix + name, "a string");
    }
    return Optional.of(v.textValue());
  }

  private SourceException invalid(String field, String expected) {
    return new SourceException(
        SourceException.Kind.INVALID,
        "InvalidField",
        path + ": field " + field + " must be " + expected,
        null);
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
