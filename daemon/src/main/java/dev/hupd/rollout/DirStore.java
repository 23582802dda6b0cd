package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.rollout.StoreException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollout store on one local filesystem ({@code store = dir:PATH}), so that several hupd
 * processes on one machine can roll a change out without AWS (docs/rollout.md §15).
 *
 * <p>Parameter {@code /a/b/c} is the folder {@code ROOT/a/b/c/}; its versions are the files
 * {@code @1}, {@code @2}, … in it ({@code @} cannot occur in a name, so children are just
 * subfolders). Every version is written to {@code ROOT/.tmp/} first, fsync'd, then hard-linked to
 * its final name: a link appears atomically with its full content and fails if the name exists,
 * which makes create-if-absent exact across threads and processes without any lock. Requires hard
 * links on a local filesystem (ext4, xfs, tmpfs).
 */
public final class DirStore implements RolloutStore {

  /** Staging folder under the root; a reserved first segment. */
  static final String STAGING = ".tmp";

  /** File in a parameter's folder that records its labels (JSON: label → version). */
  static final String LABELS = "@labels";

  /** Staged files older than this are leftovers of a crashed writer. */
  static final Duration STAGING_MAX_AGE = Duration.ofHours(1);

  private static final Logger LOG = LoggerFactory.getLogger(DirStore.class);
  private static final Pattern VERSION = Pattern.compile("@[1-9][0-9]{0,17}");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_.\\-][a-zA-Z0-9_.\\-]{0,99}");

  /** Longest segment: a segment is a file name, and filesystems allow 255 bytes (ASCII here). */
  static final int MAX_SEGMENT = 255;

  /** Attempts at linking while a concurrent delete removes the empty folders we just made. */
  private static final int LINK_ATTEMPTS = 20;

  private final Path root;
  private final Path staging;

  private DirStore(Path root) {
    this.root = root;
    this.staging = root.resolve(STAGING);
  }

  /** Opens the store at {@code root}, creating it if needed. */
  public static DirStore open(Path root) throws StoreException {
    return open(root, Clock.systemUTC());
  }

  /**
   * Opens the store at {@code root}, creating it if needed, and removes staged files older than
   * {@link #STAGING_MAX_AGE} by {@code clock}.
   */
  public static DirStore open(Path root, Clock clock) throws StoreException {
    DirStore store = new DirStore(root.toAbsolutePath().normalize());
    try {
      Files.createDirectories(store.staging);
    } catch (IOException e) {
      throw transientError("create the store folder", store.staging, e);
    }
    store.removeStaleStaging(clock);
    return store;
  }

  /** The root folder. */
  public Path root() {
    return root;
  }

  @Override
  public String description() {
    return "dir:" + root;
  }

  @Override
  public Map<String, Entry> get(Collection<String> names) throws StoreException {
    checkBatch("get", names);
    for (String name : names) {
      checkName(name);
    }

    Map<String, Entry> found = new LinkedHashMap<>();
    for (String name : names) {
      newest(name).ifPresent(e -> found.put(name, e));
    }
    return found;
  }

  @Override
  public long create(String name, String value) throws StoreException {
    checkName(name);
    ParameterNames.checkValue(name, value);

    Path folder = folderOf(name);
    Path staged = stage(value);
    try {
      if (!link(folder, 1, staged)) {
        throw new StoreException(Kind.ALREADY_EXISTS, "parameter " + name + " already exists");
      }
      return 1;
    } finally {
      discard(staged);
    }
  }

  @Override
  public long overwrite(String name, String value) throws StoreException {
    checkName(name);
    ParameterNames.checkValue(name, value);

    Path folder = folderOf(name);
    Path staged = stage(value);
    try {
      long version = highestVersion(folder) + 1;
      while (!link(folder, version, staged)) {
        version++; // a concurrent writer took it: SSM gives concurrent writes distinct versions
      }
      return version;
    } finally {
      discard(staged);
    }
  }

  @Override
  public Page list(String path, Optional<String> token) throws StoreException {
    String base = ParameterNames.checkPath(path);
    Optional<String> after = checkToken(base, token);

    NavigableSet<String> names = new TreeSet<>();
    walk(base.isEmpty() ? root : folderOf(base), base, names);
    NavigableSet<String> rest = after.isPresent() ? names.tailSet(after.get(), false) : names;

    List<String> page = new ArrayList<>();
    Iterator<String> it = rest.iterator();
    while (it.hasNext() && page.size() < MAX_BATCH) {
      page.add(it.next());
    }
    List<Entry> entries = new ArrayList<>();
    for (String name : page) {
      newest(name).ifPresent(entries::add); // deleted meanwhile: the page holds fewer
    }
    Optional<String> next =
        it.hasNext() ? Optional.of(page.get(page.size() - 1)) : Optional.empty();
    return new Page(entries, next);
  }

  @Override
  public void delete(Collection<String> names) throws StoreException {
    checkBatch("delete", names);
    for (String name : names) {
      checkName(name);
    }

    for (String name : names) {
      Path folder = folderOf(name);
      deleteVersions(folder);
      deleteIfExists(folder.resolve(LABELS));
      pruneEmptyFolders(folder);
    }
  }

  /**
   * Records {@code label} on {@code version} in the folder's {@value #LABELS} file, moving it from
   * any other version. Unconditional, like SSM's: of two concurrent labellers one may lose.
   */
  @Override
  public void label(String name, long version, String label) throws StoreException {
    checkName(name);
    if (label == null || !LABEL.matcher(label).matches()) {
      throw new StoreException(
          Kind.INVALID,
          "label \""
              + label
              + "\" of "
              + name
              + " is not valid; expected 1 to 100 letters, digits and _ . -, not starting with a"
              + " digit");
    }
    Path folder = folderOf(name);
    if (!Files.exists(folder.resolve("@" + version))) {
      throw new StoreException(
          Kind.INVALID, "cannot label " + name + ": it has no version " + version);
    }

    ObjectNode labels = readLabels(folder);
    labels.put(label, version);
    replaceLabels(folder, labels);
  }

  /** The labels of {@code name} and the versions they are on; empty when none or absent. */
  public Map<String, Long> labels(String name) throws StoreException {
    checkName(name);
    Map<String, Long> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> label : readLabels(folderOf(name)).properties()) {
      out.put(label.getKey(), label.getValue().asLong());
    }
    return out;
  }

  /**
   * Calls {@code onChange} from a daemon thread after changes anywhere under the root, until the
   * returned handle is closed. Events only wake a reader early; they carry no data and may be
   * coalesced, so a reader still reads the names it cares about.
   */
  public DirWatch watch(Runnable onChange) throws StoreException {
    return DirWatch.start(root, staging, onChange);
  }

  // ---- reading

  private Optional<Entry> newest(String name) throws StoreException {
    Path folder = folderOf(name);
    long version = highestVersion(folder);
    if (version == 0) {
      return Optional.empty();
    }
    Path file = folder.resolve("@" + version);
    try {
      String value = Files.readString(file, StandardCharsets.UTF_8);
      long modified = Files.getLastModifiedTime(file).toMillis();
      return Optional.of(new Entry(name, value, version, modified));
    } catch (NoSuchFileException e) {
      // Deleted since we listed it. Versions go lowest first, so the name is being deleted.
      return Optional.empty();
    } catch (IOException e) {
      throw transientError("read", file, e);
    }
  }

  /** The highest version in {@code folder}; 0 when it has none or does not exist. */
  private static long highestVersion(Path folder) throws StoreException {
    List<Long> versions = versions(folder);
    return versions.isEmpty() ? 0 : versions.get(versions.size() - 1);
  }

  /** The versions in {@code folder}, ascending. */
  private static List<Long> versions(Path folder) throws StoreException {
    List<Long> versions = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "@*")) {
      for (Path file : files) {
        String fileName = file.getFileName().toString();
        if (VERSION.matcher(fileName).matches()) {
          versions.add(Long.parseLong(fileName.substring(1)));
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return versions;
    } catch (IOException e) {
      throw transientError("list versions in", folder, e);
    }
    versions.sort(null);
    return versions;
  }

  private void walk(Path folder, String name, Set<String> names) throws StoreException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
      for (Path child : entries) {
        String childName = child.getFileName().toString();
        boolean reserved = childName.startsWith("@") || child.equals(staging);
        if (!reserved && Files.isDirectory(child)) {
          children.add(child);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return; // deleted while we walk
    } catch (IOException e) {
      throw transientError("list", folder, e);
    }
    for (Path child : children) {
      String childName = name + "/" + child.getFileName();
      if (highestVersion(child) > 0) {
        names.add(childName);
      }
      walk(child, childName, names);
    }
  }

  private static Optional<String> checkToken(String base, Optional<String> token)
      throws StoreException {
    if (token.isEmpty()) {
      return token;
    }
    String name = token.get();
    boolean ours = name.startsWith(base + "/");
    if (ours) {
      try {
        ParameterNames.checkName(name);
      } catch (StoreException e) {
        ours = false;
      }
    }
    if (!ours) {
      throw new StoreException(
          Kind.INVALID,
          "list token \"" + name + "\" is not one this store returned for path " + base + "/");
    }
    return token;
  }

  // ---- writing

  /** Writes {@code value} to a new staged file and fsyncs it. */
  private Path stage(String value) throws StoreException {
    Path file = staging.resolve(UUID.randomUUID().toString());
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
      return file;
    } catch (IOException e) {
      discard(file);
      throw transientError("stage a value in", file, e);
    }
  }

  /**
   * Links {@code staged} as {@code folder/@version}, creating the folder.
   *
   * @return false when that version exists
   */
  private boolean link(Path folder, long version, Path staged) throws StoreException {
    Path target = folder.resolve("@" + version);
    for (int attempt = 1; ; attempt++) {
      createFolder(folder);
      try {
        Files.createLink(target, staged);
        fsync(folder);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (NoSuchFileException e) {
        // A concurrent delete pruned a folder of our path as empty: make it again.
        if (attempt == LINK_ATTEMPTS) {
          throw transientError("link", target, e);
        }
      } catch (IOException e) {
        throw transientError("link", target, e);
      }
    }
  }

  /** Creates {@code folder} and its missing parents, fsyncing the parents of new ones. */
  private void createFolder(Path folder) throws StoreException {
    if (Files.isDirectory(folder)) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        Files.createDirectories(folder);
        break;
      } catch (NoSuchFileException e) {
        if (attempt == LINK_ATTEMPTS) { // a concurrent delete keeps pruning our parents
          throw transientError("create the folder", folder, e);
        }
      } catch (IOException e) {
        throw transientError("create the folder", folder, e);
      }
    }
    for (Path dir = folder.getParent(); dir.startsWith(root); dir = dir.getParent()) {
      fsyncQuietly(dir);
    }
  }

  private static void deleteVersions(Path folder) throws StoreException {
    // Lowest first, so that a reader never sees an older version come back; again until none is
    // left, in case a concurrent overwrite added one.
    for (List<Long> versions = versions(folder); !versions.isEmpty(); versions = versions(folder)) {
      for (long version : versions) {
        deleteIfExists(folder.resolve("@" + version));
      }
    }
  }

  /** Removes {@code folder} and its parents while they are empty, never the root. */
  private void pruneEmptyFolders(Path folder) throws StoreException {
    Path dir = folder;
    while (!dir.equals(root) && dir.startsWith(root)) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        break;
      } catch (IOException e) {
        throw transientError("remove the empty folder", dir, e);
      }
      dir = dir.getParent();
    }
    fsyncQuietly(dir);
  }

  private ObjectNode readLabels(Path folder) throws StoreException {
    Path file = folder.resolve(LABELS);
    try {
      JsonNode node = Json.MAPPER.readTree(Files.readAllBytes(file));
      if (node instanceof ObjectNode labels) {
        return labels;
      }
      throw new StoreException(Kind.INVALID, "labels file " + file + " is not a JSON object");
    } catch (NoSuchFileException e) {
      return JsonNodeFactory.instance.objectNode();
    } catch (IOException e) {
      throw transientError("read", file, e);
    }
  }

  private void replaceLabels(Path folder, ObjectNode labels) throws StoreException {
    Path staged;
    try {
      staged = stage(Json.MAPPER.writeValueAsString(labels));
    } catch (IOException e) {
      throw new IllegalStateException("an ObjectNode always serialises", e);
    }
    Path file = folder.resolve(LABELS);
    try {
      Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsync(folder);
    } catch (IOException e) {
      throw transientError("write", file, e);
    } finally {
      discard(staged);
    }
  }

  // ---- housekeeping

  private void removeStaleStaging(Clock clock) throws StoreException {
    long cutoff = clock.millis() - STAGING_MAX_AGE.toMillis();
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(staging)) {
      for (Path file : files) {
        if (modifiedBefore(file, cutoff)) {
          discard(file);
          removed++;
        }
      }
    } catch (IOException e) {
      throw transientError("clean", staging, e);
    }
    if (removed > 0) {
      LOG.info("event=dirstore.staging-cleaned store={} removed={}", root, removed);
    }
  }

  private static boolean modifiedBefore(Path file, long cutoffMs) {
    try {
      return Files.getLastModifiedTime(file).toMillis() < cutoffMs;
    } catch (IOException e) {
      return false; // removed by another process meanwhile
    }
  }

  private static void discard(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Left for the cleanup at the next start; the value was linked or never needed.
      LOG.debug("event=dirstore.discard-failed file={} reason=\"{}\"", file, e.getMessage());
    }
  }

  private static void deleteIfExists(Path file) throws StoreException {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw transientError("delete", file, e);
    }
  }

  private static void fsync(Path folder) throws IOException {
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  private static void fsyncQuietly(Path folder) {
    try {
      fsync(folder);
    } catch (IOException e) {
      LOG.debug("event=dirstore.fsync-failed folder={} reason=\"{}\"", folder, e.getMessage());
    }
  }

  // ---- names

  private static void checkName(String name) throws StoreException {
    ParameterNames.checkName(name);
    for (String segment : name.substring(1).split("/")) {
      if (segment.length() > MAX_SEGMENT) {
        throw new StoreException(
            Kind.INVALID,
            "parameter name \""
                + name.substring(0, Math.min(name.length(), 200))
                + "…\" has a segment of "
                + segment.length()
                + " characters; the folder store holds at most "
                + MAX_SEGMENT
                + " per segment (a file name)");
      }
    }
    if (name.equals("/" + STAGING) || name.startsWith("/" + STAGING + "/")) {
      throw new StoreException(
          Kind.INVALID,
          "parameter name \"" + name + "\" is reserved by the folder store (its staging folder)");
    }
  }

  private static void checkBatch(String action, Collection<String> names) throws StoreException {
    if (names.size() > MAX_BATCH) {
      throw new StoreException(
          Kind.INVALID,
          "cannot " + action + " " + names.size() + " names in one call; at most " + MAX_BATCH);
    }
  }

  private Path folderOf(String name) {
    return root.resolve(name.substring(1));
  }

  private static StoreException transientError(String action, Path path, IOException e) {
    return new StoreException(
        Kind.TRANSIENT,
        "dir store: cannot "
            + action
            + " "
            + path
            + ": "
            + e.getClass().getSimpleName()
            + " "
            + reason(e),
        e);
  }

  /** The cause without the path again, which a FileSystemException's message repeats. */
  private static String reason(IOException e) {
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason();
    }
    return e.getMessage();
  }
}
