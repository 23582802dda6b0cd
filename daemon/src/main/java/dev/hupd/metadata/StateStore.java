package dev.hupd.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Last-seen values per hook ({@code "<hook>|<path>"}, as cfn-hup keys them) and consecutive failure
 * counts, kept in {@code <state-dir>/state.json}.
 *
 * <p>Every change is written to a temporary file, fsync'd, renamed over the old file and the folder
 * fsync'd, so a crash at any instant leaves either the old or the new file, never a torn one. A
 * file that nonetheless cannot be parsed is never silently treated as empty (that would fire every
 * post.add hook again): opening fails and names the file.
 */
public final class StateStore {

  public static final String FILE_NAME = "state.json";
  private static final String FORMAT = "hupd-state/1";
  private static final String CFN_HUP_DATETIME =
      "_datetime: special_serialization: not_regular_json_";

  private final Path file;
  private final ObjectNode values;
  private final ObjectNode failures;
  private final ObjectNode documents;

  private StateStore(Path file, ObjectNode values, ObjectNode failures, ObjectNode documents) {
    this.file = file;
    this.values = values;
    this.failures = failures;
    this.documents = documents;
  }

  /** Thrown when the state cannot be read or written; the message names the file. */
  public static final class StateException extends IOException {
    public StateException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Opens (creating if needed) the store in {@code dir}. When there is no state yet and {@code
   * importFrom} names an existing cfn-hup {@code metadata_db.json}, its values are imported so that
   * replacing cfn-hup does not fire every post.add hook again.
   */
  public static StateStore open(Path dir, Optional<Path> importFrom) throws StateException {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        trySetPermissions(dir, "rwx------");
      }
    } catch (IOException e) {
      throw new StateException("cannot create state folder " + dir + ": " + e.getMessage(), e);
    }
    Path file = dir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      JsonNode root;
      try {
        root = Json.MAPPER.readTree(Files.readAllBytes(file));
      } catch (IOException e) {
        throw new StateException(
            "state file "
                + file
                + " cannot be read ("
                + e.getMessage()
                + "); refusing to start rather than fire every hook again."
                + " Move it aside to start from empty state.",
            e);
      }
      if (root == null
          || !root.isObject()
          || !FORMAT.equals(root.path("format").asText())
          || !root.path("values").isObject()
          || (root.has("failures") && !root.get("failures").isObject())
          || (root.has("documents") && !root.get("documents").isObject())) {
        throw new StateException(
            "state file "
                + file
                + " is not in format "
                + FORMAT
                + "; move it aside to start afresh",
            null);
      }
      StateStore store =
          new StateStore(
              file,
              object(root.get("values")),
              object(root.get("failures")),
              object(root.get("documents")));
      store.save(); // proves now, not at the first change, that the state can be written
      return store;
    }
    StateStore store =
        new StateStore(
            file,
            JsonNodeFactory.instance.objectNode(),
            JsonNodeFactory.instance.objectNode(),
            JsonNodeFactory.instance.objectNode());
    if (importFrom.isPresent() && Files.isRegularFile(importFrom.get())) {
      store.importCfnHup(importFrom.get());
    }
    store.save();
    return store;
  }

  private static ObjectNode object(JsonNode node) {
    return node instanceof ObjectNode o ? o.deepCopy() : JsonNodeFactory.instance.objectNode();
  }

  private void importCfnHup(Path source) throws StateException {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(Files.readAllBytes(source));
    } catch (IOException e) {
      // cfn-hup itself treats an unreadable file as empty; we start empty too, but say so.
      org.slf4j.LoggerFactory.getLogger(StateStore.class)
          .warn("event=state.import-skipped file={} reason=\"{}\"", source, e.getMessage());
      return;
    }
    if (root == null || !root.isObject()) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      values.set(e.getKey(), fromCfnHup(e.getValue()));
    }
    save();
    org.slf4j.LoggerFactory.getLogger(StateStore.class)
        .info("event=state.imported from={} entries={}", source, values.size());
  }

  /** cfn-hup stores datetimes as {"_datetime: …": "\"2023-11-14T22:13:20.000000\""}. */
  private static JsonNode fromCfnHup(JsonNode value) {
    if (value.isObject() && value.size() == 1 && value.has(CFN_HUP_DATETIME)) {
      String quoted = value.get(CFN_HUP_DATETIME).asText();
      String iso = quoted.replace("\"", "");
      if (iso.endsWith(".000000")) {
        iso = iso.substring(0, iso.length() - 7);
      }
      return TextNode.valueOf(iso);
    }
    return value;
  }

  public Path file() {
    return file;
  }

  /** The last recorded value, or JSON null. */
  public synchronized JsonNode get(String key) {
    JsonNode v = values.get(key);
    return v == null ? NullNode.getInstance() : v.deepCopy();
  }

  public synchronized Set<String> keys() {
    java.util.Set<String> keys = new java.util.TreeSet<>();
    values.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  /** Records a value and clears the failure count of that key; durable when this returns. */
  public synchronized void put(String key, JsonNode value) throws StateException {
    values.set(key, value == null ? NullNode.getInstance() : value.deepCopy());
    failures.remove(key);
    save();
  }

  /**
   * Counts one more consecutive failure of the change identified by {@code fingerprint}; a
   * different fingerprint (the value moved on) starts again at 1.
   */
  public synchronized int recordFailure(String key, String fingerprint) throws StateException {
    JsonNode prior = failures.get(key);
    int count = 1;
    if (prior != null && fingerprint.equals(prior.path("change").asText())) {
      count = prior.path("count").asInt() + 1;
    }
    ObjectNode entry = JsonNodeFactory.instance.objectNode();
    entry.put("change", fingerprint);
    entry.put("count", count);
    failures.set(key, entry);
    save();
    return count;
  }

  /** Consecutive failures recorded for this exact change (0 when none or a different change). */
  public synchronized int failures(String key, String fingerprint) {
    JsonNode prior = failures.get(key);
    if (prior != null && fingerprint.equals(prior.path("change").asText())) {
      return prior.path("count").asInt();
    }
    return 0;
  }

  /**
   * A named document kept beside the hook values (e.g. {@code toolchain/jdk17}), or JSON null. Used
   * by apply steps other than the hooks for their own durable records.
   */
  public synchronized JsonNode document(String key) {
    JsonNode v = documents.get(key);
    return v == null ? NullNode.getInstance() : v.deepCopy();
  }

  /** Stores a document; durable when this returns. */
  public synchronized void putDocument(String key, JsonNode value) throws StateException {
    documents.set(key, value.deepCopy());
    save();
  }

  public synchronized void removeDocument(String key) throws StateException {
    if (documents.remove(key) != null) {
      save();
    }
  }

  /** Keys of the documents whose key starts with {@code prefix}, sorted. */
  public synchronized Set<String> documentKeys(String prefix) {
    Set<String> keys = new java.util.TreeSet<>();
    documents
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (k.startsWith(prefix)) {
                keys.add(k);
              }
            });
    return keys;
  }

  /**
   * A deep copy of everything recorded, shaped as the state file ({@code values}, {@code failures},
   * {@code documents}): what the status server shows, taken on the daemon's thread.
   */
  public synchronized JsonNode snapshot() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.set("values", values.deepCopy());
    root.set("failures", failures.deepCopy());
    root.set("documents", documents.deepCopy());
    return root;
  }

  /** Reads a state folder without locking or writing it (for {@code hupd status}). */
  public static JsonNode peek(Path dir) throws StateException {
    Path f = dir.resolve(FILE_NAME);
    try {
      return Json.MAPPER.readTree(Files.readAllBytes(f));
    } catch (IOException e) {
      throw new StateException("cannot read state file " + f + ": " + e.getMessage(), e);
    }
  }

  private void save() throws StateException {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("format", FORMAT);
    root.set("values", values);
    root.set("failures", failures);
    root.set("documents", documents);
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      if (!Files.isDirectory(file.getParent())) {
        // Removed under our feet. Recreating it would also drop the instance lock that lives
        // there; the daemon notices and exits instead (see Daemon), to restart cleanly.
        throw new IOException("the state folder was removed while hupd was running");
      }
      byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
      Files.deleteIfExists(tmp);
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
        throw new IOException("atomic rename not supported in " + file.getParent(), e);
      }
      try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      throw new StateException(
          "cannot write state file "
              + file
              + ": "
              + e.getClass().getSimpleName()
              + " "
              + e.getMessage(),
          e);
    }
  }

  private static void trySetPermissions(Path p, String perms) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (IOException | UnsupportedOperationException ignored) {
      // Best effort: the folder may be provided by the package with its own mode.
    }
  }
}
