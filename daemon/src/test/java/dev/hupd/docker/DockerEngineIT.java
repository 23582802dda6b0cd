package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.docker.DockerException.Kind;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine client against the real local dockerd (20.10) and registry (127.0.0.1:5000) that
 * {@code .ci/docker-up} starts. One image is built FROM {@code hupd-test/busybox:1}, pushed with
 * the Docker CLI and removed locally, so pulls really go to the registry. Everything created
 * carries the label {@code dev.hupd.test=<run id>} and is removed afterwards; nothing else is
 * touched, and nothing outside 127.0.0.1 is ever pulled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerEngineIT {

  static final Path SOCKET = DockerEngine.DEFAULT_SOCKET;
  static final String REGISTRY = "127.0.0.1:5000";
  static final String BASE_IMAGE = "hupd-test/busybox:1";
  static final Duration CALL = Duration.ofSeconds(30);
  static final Duration PULL = Duration.ofSeconds(120);
  static final String LABEL = "dev.hupd.test";

  final String runId = UUID.randomUUID().toString();
  final String repo = REGISTRY + "/hupd-it/" + runId.substring(0, 8);
  final String pushed = repo + ":1";
  final List<String> pushedDigests = new ArrayList<>();
  DockerEngine docker;
  String imageId;
  String digest;

  @BeforeAll
  void buildAndPush() throws Exception {
    requireDockerd();
    docker = new DockerEngine(SOCKET, CALL);
    docker.negotiate();
    String dockerfile =
        "FROM "
            + BASE_IMAGE
            + "\nLABEL "
            + LABEL
            + "="
            + runId
            + "\nRUN echo built > /built\n"
            + "ENTRYPOINT [\"/bin/false\"]\n"; // every container below must clear it
    imageId = docker.build(dockerfile, pushed, PULL);
    run("/usr/bin/docker", "push", pushed);
    digest =
        docker.inspectImage(pushed).orElseThrow().repoDigests().stream()
            .filter(d -> d.startsWith(repo + "@"))
            .map(d -> d.substring(repo.length() + 1))
            .findFirst()
            .orElseThrow(() -> new AssertionError("docker push recorded no digest for " + pushed));
    pushedDigests.add(digest);
    docker.removeImage(pushed, false, false);
  }

  /** Fails (never skips) when there is no daemon, after one attempt to start it. */
  static void requireDockerd() throws Exception {
    if (Files.exists(SOCKET) && new DockerEngineProbe().answers()) {
      return;
    }
    Path up = repoRoot().resolve(".ci/docker-up");
    if (Files.isExecutable(up)) {
      Process p = new ProcessBuilder(up.toString()).inheritIO().start();
      p.waitFor(120, TimeUnit.SECONDS);
    }
    if (!Files.exists(SOCKET) || !new DockerEngineProbe().answers()) {
      throw new AssertionError(
          "dockerd is not answering on "
              + SOCKET
              + ": run .ci/docker-up (starts dockerd, the registry on "
              + REGISTRY
              + " and "
              + BASE_IMAGE
              + ")");
    }
  }

  /** Whether dockerd answers at all, without the engine under test deciding. */
  static final class DockerEngineProbe {
    boolean answers() {
      try {
        return new ProcessBuilder("/usr/bin/docker", "info").start().waitFor() == 0;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve(".ci/docker-up"))) {
      p = p.getParent();
    }
    return p == null ? Path.of("").toAbsolutePath() : p;
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (docker == null) {
      return;
    }
    Map<String, String> ours = Map.of(LABEL, runId);
    for (ContainerSummary c : docker.containers(true, ours)) {
      docker.removeContainer(c.id(), true);
    }
    for (ImageInfo image : docker.images(ours, null)) {
      docker.removeImage(image.id(), true, false);
    }
    for (String d : pushedDigests) {
      deleteFromRegistry(d);
    }
    assertThat(docker.containers(true, ours)).isEmpty();
    assertThat(docker.images(ours, null)).isEmpty();
  }

  void deleteFromRegistry(String manifestDigest) throws Exception {
    String path = repo.substring(REGISTRY.length() + 1);
    HttpRequest delete =
        HttpRequest.newBuilder(
                URI.create("http://" + REGISTRY + "/v2/" + path + "/manifests/" + manifestDigest))
            .DELETE()
            .timeout(CALL)
            .build();
    HttpClient.newBuilder()
        .proxy(HttpClient.Builder.NO_PROXY)
        .build()
        .send(delete, HttpResponse.BodyHandlers.discarding());
  }

  static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", List.of(command), out).isZero();
    return out;
  }

  ContainerSpec spec(String... cmd) {
    return new ContainerSpec(
        imageId, List.of(cmd), Map.of(), 64L << 20, 0, false, Map.of(LABEL, runId), "");
  }

  /** The test image, pulled back from the registry if a pull test removed it. */
  void ensureLocal() throws DockerException {
    if (docker.inspectImage(imageId).isEmpty()) {
      docker.pull(ImageRef.parse(repo + "@" + digest), Optional.empty(), PULL);
    }
  }

  /** Forgets the test image locally, so that the next pull must fetch it from the registry. */
  void removeLocal() throws DockerException {
    docker.removeImage(imageId, true, false);
    assertThat(docker.inspectImage(imageId)).isEmpty();
  }

  String started(ContainerSpec spec) throws DockerException {
    ensureLocal();
    String id = docker.createContainer(spec);
    docker.start(id);
    return id;
  }

  @Test
  void negotiatesApi141WithDockerd2010() throws Exception {
    assertThat(docker.negotiate()).isEqualTo("1.41");
  }

  @Test
  void pullByDigestBringsTheImageBackWithItsDigest() throws Exception {
    removeLocal();
    ImageRef ref = ImageRef.parse(repo + ":1@" + digest);

    ImageInfo image = docker.pull(ref, Optional.empty(), PULL);

    assertThat(image.id()).isEqualTo(imageId);
    assertThat(image.repoDigests()).contains(repo + "@" + digest);
    assertThat(image.labels()).containsEntry(LABEL, runId);
    assertThat(docker.inspectImage(repo + "@" + digest)).contains(image);
  }

  @Test
  void pullByTagWorksToo() throws Exception {
    removeLocal();
    ImageInfo image = docker.pull(ImageRef.parse(pushed), Optional.empty(), PULL);

    assertThat(image.id()).isEqualTo(imageId);
    assertThat(image.repoTags()).contains(pushed);
  }

  @Test
  void pullByAWrongDigestFails() {
    String wrong = "sha256:" + "0".repeat(64);

    assertThatThrownBy(
            () -> docker.pull(ImageRef.parse(repo + "@" + wrong), Optional.empty(), PULL))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> assertThat(e.kind()).isIn(Kind.NOT_FOUND, Kind.DIGEST_MISMATCH));
  }

  @Test
  void pullFromARegistryThatIsNotThereIsARegistryError() {
    ImageRef nowhere = ImageRef.parse("127.0.0.1:5999/hupd-it/none:1");

    assertThatThrownBy(() -> docker.pull(nowhere, Optional.empty(), PULL))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.REGISTRY_ERROR);
              assertThat(e.daemonMessage()).contains("127.0.0.1:5999");
            });
  }

  @Test
  void pullOfAnUnknownRepositoryIsNotFound() {
    ImageRef unknown = ImageRef.parse(repo + "-missing:1");

    assertThatThrownBy(() -> docker.pull(unknown, Optional.empty(), PULL))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
  }

  @Test
  void pullWithCredentialsTheRegistryDoesNotNeedStillWorks() throws Exception {
    removeLocal();
    RegistryAuth auth = new RegistryAuth("ci", "not-checked", REGISTRY);

    assertThat(docker.pull(ImageRef.parse(repo + "@" + digest), Optional.of(auth), PULL).id())
        .isEqualTo(imageId);
  }

  @Test
  void verifyContainerRunsOfflineWithItsMemoryLimitAndReportsExitAndOutput() throws Exception {
    String id =
        started(
            spec(
                "sh",
                "-c",
                "echo hello; ls /sys/class/net; cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
                    + " 2>/dev/null || cat /sys/fs/cgroup/memory.max; echo oops >&2; exit 3"));
    try {
      OptionalInt exit = docker.waitExit(id, CALL);
      String logs = docker.logs(id, 10_000);

      assertThat(exit).hasValue(3);
      // stdout and stderr are copied by separate goroutines: their relative order is not kept
      assertThat(logs).contains("hello\n").contains("oops\n").contains(String.valueOf(64 << 20));
      assertThat(logs.lines().filter(l -> l.equals("lo"))).hasSize(1);
      assertThat(logs).doesNotContain("eth0");
      String head = docker.logs(id, 3);
      assertThat(head).hasSize(3);
      assertThat(logs).startsWith(head);
    } finally {
      docker.removeContainer(id, true);
    }
  }

  @Test
  void containerThatOutlivesTheWaitIsKilledAndRemoved() throws Exception {
    String id = started(spec("sleep", "300"));
    try {
      long start = System.nanoTime();
      assertThat(docker.waitExit(id, Duration.ofSeconds(1))).isEmpty();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

      docker.kill(id);
      assertThat(docker.waitExit(id, CALL)).hasValue(137);
      docker.kill(id); // not running any more: fine
    } finally {
      docker.removeContainer(id, true);
    }
    docker.removeContainer(id, true); // already gone: fine
    assertThat(docker.containers(true, Map.of(LABEL, runId)))
        .extracting(ContainerSummary::id)
        .doesNotContain(id);
  }

  @Test
  void runningContainerIsListedWithItsImageId() throws Exception {
    String id = started(spec("sleep", "300"));
    try {
      List<ContainerSummary> running = docker.containers(false, Map.of(LABEL, runId));

      assertThat(running)
          .filteredOn(c -> c.id().equals(id))
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.imageId()).isEqualTo(imageId);
                assertThat(c.state()).isEqualTo("running");
                assertThat(c.labels()).containsEntry(LABEL, runId);
              });
    } finally {
      docker.removeContainer(id, true);
    }
  }

  @Test
  void tagAndRemoveImageAndRefuseToRemoveAnImageInUse() throws Exception {
    ensureLocal();
    docker.tag(imageId, repo, "extra");
    docker.tag(imageId, repo, "other");

    assertThat(docker.inspectImage(repo + ":extra").map(ImageInfo::id)).contains(imageId);
    assertThat(docker.images(Map.of(LABEL, runId), repo))
        .extracting(ImageInfo::id)
        .contains(imageId);

    String user = docker.createContainer(spec("true"));
    try {
      assertThatThrownBy(() -> docker.removeImage(imageId, false, false))
          .isInstanceOfSatisfying(
              DockerException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.CONFLICT);
                assertThat(e.status()).isEqualTo(409);
              });
    } finally {
      docker.removeContainer(user, true);
    }

    docker.removeImage(repo + ":extra", false, false);
    assertThat(docker.inspectImage(repo + ":extra")).isEmpty();
    assertThat(docker.inspectImage(imageId)).isPresent(); // still named repo:other
    docker.removeImage(repo + ":extra", false, false); // already gone: fine
    docker.removeImage(repo + ":other", false, false);
  }

  @Test
  void createFromAnImageThatIsNotLocalIsNotFoundAndPullsNothing() {
    ContainerSpec missing =
        new ContainerSpec(
            repo + ":never-pushed",
            List.of("true"),
            Map.of(),
            0,
            0,
            false,
            Map.of(LABEL, runId),
            "");

    assertThatThrownBy(() -> docker.createContainer(missing))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
  }

  @Test
  void failingBuildStepIsReportedWithDockerdsMessage() {
    String dockerfile = "FROM " + BASE_IMAGE + "\nLABEL " + LABEL + "=" + runId + "\nRUN exit 7\n";

    assertThatThrownBy(() -> docker.build(dockerfile, repo + ":broken", PULL))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.OTHER);
              assertThat(e.daemonMessage()).contains("non-zero code: 7");
            });
  }

  @Test
  void socketThatDoesNotExistIsDaemonUnavailable(@TempDir Path dir) {
    Path missing = dir.resolve("docker.sock");
    DockerEngine nowhere = new DockerEngine(missing, CALL);

    assertThatThrownBy(() -> nowhere.images(Map.of(), null))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.DAEMON_UNAVAILABLE))
        .hasMessageContaining(missing.toString());
  }
}
