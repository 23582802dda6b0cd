package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.rollout.RolloutStore.Entry;
import dev.hupd.rollout.RolloutStore.Page;
import dev.hupd.rollout.StoreException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DirStoreTest {

  /** Bound for waits on threads, child JVMs and watch events; never a measured duration. */
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  @TempDir Path dir;
  private Path root;
  private DirStore store;

  @BeforeEach
  void open() throws StoreException {
    root = dir.resolve("store");
    store = DirStore.open(root);
  }

  // ---- create, overwrite, get

  @Test
  void createWritesVersionOneOnceAndRefusesASecondCreate() throws Exception {
    assertThat(store.create("/hupd/demo/rev/1/meta", "first")).isEqualTo(1);

    assertThatThrownBy(() -> store.create("/hupd/demo/rev/1/meta", "second"))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS))
        .hasMessageContaining("/hupd/demo/rev/1/meta");
    assertThat(store.get(List.of("/hupd/demo/rev/1/meta")).get("/hupd/demo/rev/1/meta").value())
        .isEqualTo("first");
  }

  @Test
  void overwriteAddsVersionsAndGetReturnsTheNewest() throws Exception {
    assertThat(store.overwrite("/f/head", "a")).isEqualTo(1);
    assertThat(store.overwrite("/f/head", "b")).isEqualTo(2);
    assertThat(store.overwrite("/f/head", "c")).isEqualTo(3);

    Entry head = store.get(List.of("/f/head")).get("/f/head");
    assertThat(head.value()).isEqualTo("c");
    assertThat(head.version()).isEqualTo(3);
    assertThat(head.name()).isEqualTo("/f/head");
    assertThatThrownBy(() -> store.create("/f/head", "x"))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS));
  }

  @Test
  void getLeavesOutAbsentNamesAndReportsTheFilesMtime() throws Exception {
    store.create("/f/a", "1");
    store.create("/f/a/child", "2");

    Map<String, Entry> found = store.get(List.of("/f/a", "/f/missing", "/f", "/f/a/child"));

    assertThat(found).containsOnlyKeys("/f/a", "/f/a/child"); // "/f" is only a folder
    long mtime = Files.getLastModifiedTime(root.resolve("f/a/@1")).toMillis();
    assertThat(found.get("/f/a").modifiedMs()).isEqualTo(mtime);
    assertThat(store.get(List.of())).isEmpty();
  }

  @Test
  void getTakesAtMostTenNames() throws Exception {
    List<String> ten = IntStream.range(0, 10).mapToObj(i -> "/f/n" + i).toList();
    List<String> eleven = IntStream.range(0, 11).mapToObj(i -> "/f/n" + i).toList();

    assertThat(store.get(ten)).isEmpty();
    assertThatThrownBy(() -> store.get(eleven))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("11 names")
        .hasMessageContaining("at most 10");
  }

  @Test
  void valuesKeepUnicodeAndTheFullLimit() throws Exception {
    String full = "é".repeat(RolloutStore.MAX_VALUE);
    store.create("/f/full", full);

    assertThat(store.get(List.of("/f/full")).get("/f/full").value()).isEqualTo(full);
  }

  // ---- list

  @Test
  void listPagesCoverEveryNameUnderThePathExactlyOnce() throws Exception {
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < 23; i++) {
      expected.add("/f/rev/" + i + "/meta");
    }
    expected.addAll(List.of("/f/rev/3", "/f/rev/3/seat/1/agent-a", "/f/rev/3/seat/1/agent-b"));
    for (String name : expected) {
      store.create(name, "v");
    }
    store.create("/f/rev", "the path itself is not listed");
    store.create("/f/revision/1", "a sibling with a common prefix");
    store.create("/other/x", "elsewhere");

    List<List<String>> pages = listAll("/f/rev");

    List<String> listed = pages.stream().flatMap(List::stream).toList();
    assertThat(listed).containsExactlyInAnyOrderElementsOf(expected).doesNotHaveDuplicates();
    assertThat(pages).allSatisfy(p -> assertThat(p).hasSizeLessThanOrEqualTo(10));
    assertThat(pages).hasSizeGreaterThan(2);
  }

  @Test
  void listAfterDeletesShowsOnlyWhatIsLeft() throws Exception {
    List<String> all = IntStream.range(0, 30).mapToObj(i -> "/f/t/" + (i % 3) + "/" + i).toList();
    for (String name : all) {
      store.create(name, "v");
    }
    List<String> gone =
        all.stream().filter(n -> n.endsWith("5") || n.startsWith("/f/t/1/")).toList();
    for (int i = 0; i < gone.size(); i += 10) {
      store.delete(gone.subList(i, Math.min(gone.size(), i + 10)));
    }

    List<String> listed = listAll("/f/t/").stream().flatMap(List::stream).toList();

    List<String> left = new ArrayList<>(all);
    left.removeAll(gone);
    assertThat(listed).containsExactlyInAnyOrderElementsOf(left).doesNotHaveDuplicates();
    assertThat(root.resolve("f/t/1")).doesNotExist();
  }

  @Test
  void listOfTheRootSkipsTheStagingFolder() throws Exception {
    store.create("/a", "1");
    store.create("/b/c", "2");
    Files.writeString(root.resolve(DirStore.STAGING).resolve("leftover"), "x");

    Page page = store.list("/", Optional.empty());

    assertThat(page.entries()).extracting(Entry::name).containsExactlyInAnyOrder("/a", "/b/c");
    assertThat(page.next()).isEmpty();
  }

  @Test
  void listEntriesCarryTheNewestVersion() throws Exception {
    store.overwrite("/f/h", "1");
    store.overwrite("/f/h", "2");

    Page page = store.list("/f", Optional.empty());

    assertThat(page.entries()).containsExactly(store.get(List.of("/f/h")).get("/f/h"));
    assertThat(page.entries().get(0).version()).isEqualTo(2);
  }

  @Test
  void listRejectsATokenOfAnotherPath() {
    assertThatThrownBy(() -> store.list("/f/a", Optional.of("/f/b/x")))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("/f/b/x");
  }

  // ---- delete, label

  @Test
  void deleteRemovesVersionsAndEmptyFoldersButNotTheRootOrNonEmptyParents() throws Exception {
    store.overwrite("/f/a/b/c", "1");
    store.overwrite("/f/a/b/c", "2");
    store.create("/f/keep", "k");

    store.delete(List.of("/f/a/b/c", "/f/never-existed"));

    assertThat(store.get(List.of("/f/a/b/c"))).isEmpty();
    assertThat(root.resolve("f/a")).doesNotExist();
    assertThat(root.resolve("f/keep/@1")).exists();
    store.delete(List.of("/f/keep"));
    assertThat(root).isDirectory();
    assertThat(root.resolve("f")).doesNotExist();
    assertThat(store.create("/f/a/b/c", "again")).isEqualTo(1);
  }

  @Test
  void deleteKeepsAParentThatIsAParameter() throws Exception {
    store.create("/f/p", "parent");
    store.create("/f/p/child", "child");

    store.delete(List.of("/f/p/child"));

    assertThat(store.get(List.of("/f/p")).get("/f/p").value()).isEqualTo("parent");
  }

  @Test
  void deleteTakesAtMostTenNames() {
    List<String> eleven = IntStream.range(0, 11).mapToObj(i -> "/f/n" + i).toList();

    assertThatThrownBy(() -> store.delete(eleven))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID));
  }

  @Test
  void labelsMoveBetweenVersions() throws Exception {
    store.overwrite("/f/source", "v1");
    store.overwrite("/f/source", "v2");

    store.label("/f/source", 1, "approved");
    store.label("/f/source", 1, "first");
    store.label("/f/source", 2, "approved");

    assertThat(store.labels("/f/source"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("approved", 2L, "first", 1L));
    assertThat(store.list("/f", Optional.empty()).entries())
        .extracting(Entry::name)
        .containsExactly("/f/source");
    assertThatThrownBy(() -> store.label("/f/source", 3, "approved"))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("no version 3");
  }

  // ---- validation

  static Stream<Arguments> badNames() {
    String deep = "/a".repeat(16);
    String longName = "/" + "x".repeat(ParameterNames.MAX_LENGTH);
    return Stream.of(
        Arguments.of("relative", "hupd/x", "does not start with /"),
        Arguments.of("space", "/hupd/a b", "' ' (U+0020) at index 7"),
        Arguments.of("at sign", "/hupd/@1", "'@'"),
        Arguments.of("colon", "/hupd/x:approved", "':'"),
        Arguments.of("empty segment", "/hupd//x", "empty segment"),
        Arguments.of("trailing slash", "/hupd/x/", "empty segment"),
        Arguments.of("root only", "/", "empty segment"),
        Arguments.of("dot", "/hupd/./x", "segment '.'"),
        Arguments.of("dot dot", "/hupd/../x", "segment '..'"),
        Arguments.of("16 levels", deep, "16 levels"),
        Arguments.of("1012 characters", longName, "1012 characters"),
        Arguments.of("empty", "", "empty"),
        Arguments.of("staging", "/.tmp/x", "reserved"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badNames")
  void badNamesAreInvalidAndNamed(String why, String name, String reason) {
    assertThatThrownBy(() -> store.create(name, "v"))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining(name.length() > 200 ? name.substring(0, 200) : name)
        .hasMessageContaining(reason);
    assertThatThrownBy(() -> store.get(List.of(name))).isInstanceOf(StoreException.class);
  }

  @Test
  void messagesOfBadNamesStateTheExpectedForm() {
    assertThatThrownBy(() -> store.overwrite("hupd", "v"))
        .hasMessageContaining("expected /segment/segment")
        .hasMessageContaining("15 levels")
        .hasMessageContaining("1011 characters");
  }

  @Test
  void namesAtTheLimitsAreAccepted() throws Exception {
    String deep = "/a".repeat(ParameterNames.MAX_LEVELS);
    String segment = "/" + "x".repeat(DirStore.MAX_SEGMENT);
    String longName = segment.repeat(3) + "/" + "y".repeat(ParameterNames.MAX_LENGTH - 3 * 256 - 1);

    store.create(deep, "v");
    store.create(longName, "v");
    store.create("/A-z_0.9/..x/.y", "v");

    assertThat(longName).hasSize(ParameterNames.MAX_LENGTH);
    assertThat(store.get(List.of(deep, longName))).containsOnlyKeys(deep, longName);
  }

  @Test
  void segmentsLongerThanAFileNameAreInvalidHere() {
    String name = "/f/" + "x".repeat(DirStore.MAX_SEGMENT + 1);

    assertThatThrownBy(() -> store.create(name, "v"))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("segment of 256 characters")
        .hasMessageContaining("at most 255");
  }

  @Test
  void valuesOverTheLimitAreInvalidAndSaySo() {
    String tooLong = "x".repeat(RolloutStore.MAX_VALUE + 1);

    assertThatThrownBy(() -> store.create("/f/v", tooLong))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessage("value of /f/v is 4097 characters; a parameter holds at most 4096");
    assertThatThrownBy(() -> store.overwrite("/f/v", ""))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID));
    assertThat(root.resolve("f")).doesNotExist();
  }

  // ---- housekeeping and errors

  @Test
  void openRemovesStagedFilesOlderThanAnHour() throws Exception {
    Path staging = root.resolve(DirStore.STAGING);
    Instant now = Instant.parse("2030-01-01T12:00:00Z");
    Path old = Files.writeString(staging.resolve("old"), "x");
    Path fresh = Files.writeString(staging.resolve("fresh"), "x");
    Files.setLastModifiedTime(old, FileTime.from(now.minus(Duration.ofMinutes(61))));
    Files.setLastModifiedTime(fresh, FileTime.from(now.minus(Duration.ofMinutes(59))));

    DirStore.open(root, Clock.fixed(now, ZoneOffset.UTC));

    assertThat(old).doesNotExist();
    assertThat(fresh).exists();
  }

  @Test
  void writesLeaveNothingStaged() throws Exception {
    store.create("/f/a", "1");
    store.overwrite("/f/a", "2");
    store.label("/f/a", 2, "l");
    assertThatThrownBy(() -> store.create("/f/a", "3")).isInstanceOf(StoreException.class);

    try (Stream<Path> staged = Files.list(root.resolve(DirStore.STAGING))) {
      assertThat(staged).isEmpty();
    }
  }

  @Test
  void ioErrorsAreTransientAndNameThePath() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");

    assertThatThrownBy(() -> DirStore.open(file))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TRANSIENT))
        .hasMessageContaining(file.toString());
    Files.writeString(root.resolve("blocked"), "a file where a folder should be");
    assertThatThrownBy(() -> store.create("/blocked/x", "v"))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TRANSIENT))
        .hasMessageContaining(root.resolve("blocked").toString());
  }

  @Test
  void describesItselfByItsRoot() {
    assertThat(store.description()).isEqualTo("dir:" + root.toAbsolutePath());
  }

  // ---- concurrency

  @Test
  void eightThreadsRacingForFiftyNamesGiveExactlyOneWinnerEach() throws Exception {
    List<String> names =
        IntStream.range(0, 50).mapToObj(i -> "/race/" + (i % 5) + "/n" + i).toList();
    Map<String, List<Integer>> winners = new ConcurrentHashMap<>();
    List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        done.add(pool.submit(() -> race(thread, names, start, winners, unexpected)));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(unexpected).isEmpty();
    assertThat(winners).containsOnlyKeys(names);
    for (String name : names) {
      assertThat(winners.get(name)).as(name).hasSize(1);
      Entry entry = store.get(List.of(name)).get(name);
      assertThat(entry.value()).isEqualTo("thread-" + winners.get(name).get(0));
      assertThat(entry.version()).isEqualTo(1);
    }
  }

  private Void race(
      int thread,
      List<String> names,
      CountDownLatch start,
      Map<String, List<Integer>> winners,
      List<Throwable> unexpected)
      throws InterruptedException {
    List<String> order = new ArrayList<>(names);
    if (thread % 2 == 1) {
      Collections.reverse(order); // half meet the other half head-on, half race side by side
    }
    start.await();
    for (String name : order) {
      try {
        store.create(name, "thread-" + thread);
        winners.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(thread);
      } catch (StoreException e) {
        if (e.kind() != Kind.ALREADY_EXISTS) {
          unexpected.add(e);
        }
      }
    }
    return null;
  }

  @Test
  void concurrentOverwritesGetDistinctVersions() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Long> versions = new CopyOnWriteArrayList<>();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 25; i++) {
                    versions.add(store.overwrite("/f/head", "x"));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(versions).doesNotHaveDuplicates().hasSize(100);
    assertThat(store.get(List.of("/f/head")).get("/f/head").version()).isEqualTo(100);
  }

  @Test
  void threeProcessesRacingForAHundredNamesGiveExactlyOneIntactWinnerEach() throws Exception {
    Path out = Files.createDirectories(dir.resolve("out"));
    List<String> agents = List.of("agent-a", "agent-b", "agent-c");
    List<Process> racers = new ArrayList<>();
    try {
      for (String agent : agents) {
        racers.add(startRacer(agent, agents.size(), out));
      }
      for (int i = 0; i < racers.size(); i++) {
        Process racer = racers.get(i);
        assertThat(racer.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS))
            .as("racer %s finished", agents.get(i))
            .isTrue();
        assertThat(racer.exitValue())
            .as("racer %s exit code; its log: %s", agents.get(i), log(out, agents.get(i)))
            .isZero();
      }
    } finally {
      racers.forEach(Process::destroyForcibly);
    }

    Map<String, List<String>> winners = new java.util.HashMap<>();
    for (String agent : agents) {
      for (String name : Files.readAllLines(out.resolve(agent + ".won"))) {
        winners.computeIfAbsent(name, n -> new ArrayList<>()).add(agent);
      }
    }
    List<String> names = IntStream.range(0, 100).mapToObj(DirStoreRaceMain::name).toList();
    assertThat(winners).containsOnlyKeys(names);
    for (String name : names) {
      assertThat(winners.get(name)).as(name).hasSize(1);
      Entry entry = store.get(List.of(name)).get(name);
      assertThat(entry.value()).isEqualTo(DirStoreRaceMain.value(winners.get(name).get(0), name));
      assertThat(entry.version()).isEqualTo(1);
    }
  }

  private Process startRacer(String agent, int racers, Path out) throws IOException {
    String java = ProcessHandle.current().info().command().orElseThrow();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            DirStoreRaceMain.class.getName(),
            root.toString(),
            agent,
            String.valueOf(racers),
            "100",
            out.toString())
        .redirectErrorStream(true)
        .redirectOutput(out.resolve(agent + ".log").toFile())
        .start();
  }

  private static String log(Path out, String agent) throws IOException {
    Path log = out.resolve(agent + ".log");
    return Files.exists(log) ? Files.readString(log) : "(none)";
  }

  // ---- watch

  @Test
  void watchCoversFoldersThatExistedAndReportsAChange() throws Exception {
    store.create("/f/rev/1/meta", "v");
    Semaphore changes = new Semaphore(0);

    try (DirWatch watch = store.watch(changes::release)) {
      assertThat(watch.watches(root.resolve("f/rev/1/meta"))).isTrue();
      assertThat(watch.watches(root.resolve(DirStore.STAGING))).isFalse();
      store.overwrite("/f/rev/1/meta", "v2");

      assertThat(changes.tryAcquire(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void watchFollowsFoldersMadeAfterItStarted() throws Exception {
    Semaphore changes = new Semaphore(0);

    try (DirWatch watch = store.watch(changes::release)) {
      store.create("/f/rev/2/seat/1/agent-a", "claim");
      Path seat = root.resolve("f/rev/2/seat/1/agent-a");
      while (!watch.watches(seat)) { // each registration is followed by a report
        assertThat(changes.tryAcquire(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
      }
      changes.drainPermits();
      store.overwrite("/f/rev/2/seat/1/agent-a", "baking");

      assertThat(changes.tryAcquire(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
  }

  // ---- helpers

  private List<List<String>> listAll(String path) throws StoreException {
    List<List<String>> pages = new ArrayList<>();
    Optional<String> token = Optional.empty();
    do {
      Page page = store.list(path, token);
      pages.add(page.entries().stream().map(Entry::name).collect(Collectors.toList()));
      token = page.next();
    } while (token.isPresent());
    return pages;
  }
}
