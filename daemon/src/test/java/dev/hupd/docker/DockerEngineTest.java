package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.docker.DockerException.Kind;
import dev.hupd.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The engine client against a fake dockerd that answers as 20.10 does, for what a real daemon
 * cannot be made to do on demand: refuse credentials, fill its disk, restart mid-pull, stall.
 */
class DockerEngineTest {

  static final Duration BASE = Duration.ofMillis(300);
  static final Duration GENEROUS = BASE.multipliedBy(20);
  static final ObjectMapper JSON = new ObjectMapper();
  static final String DIGEST =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  static final String VERSION = "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\"}";

  @TempDir Path dir;
  FakeUnixServer dockerd;
  final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() throws IOException {
    release.countDown();
    if (dockerd != null) {
      dockerd.close();
    }
  }

  /** A fake dockerd: {@code /version} answers 1.41, everything else goes to {@code api}. */
  DockerEngine engine(FakeUnixServer.Handler api) throws IOException {
    dockerd =
        FakeUnixServer.start(
            dir.resolve("docker.sock"),
            ex -> {
              if (ex.target.equals("/version")) {
                ex.json(200, VERSION);
              } else {
                api.handle(ex);
              }
            });
    return new DockerEngine(dockerd.socket(), GENEROUS);
  }

  static String progress(String... lines) {
    return String.join("\r\n", lines) + "\r\n";
  }

  static String inspectJson(String id, String repoDigest) {
    return "{\"Id\":\""
        + id
        + "\",\"RepoTags\":[],\"RepoDigests\":[\""
        + repoDigest
        + "\"],\"Size\":42,\"Config\":{\"Labels\":{\"a\":\"b\"}}}";
  }

  static String query(String target, String name) {
    for (String pair : target.substring(target.indexOf('?') + 1).split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv[0].equals(name)) {
        return URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  @ParameterizedTest(name = "server {0} -> {1}")
  @CsvSource({"1.43, 1.41", "1.41, 1.41", "1.40, 1.40", "1.25, 1.25"})
  void negotiateUsesTheLowerOfServerAndClientVersion(String server, String expected)
      throws Exception {
    dockerd =
        FakeUnixServer.start(
            dir.resolve("docker.sock"),
            ex -> {
              if (ex.target.equals("/version")) {
                ex.json(200, "{\"ApiVersion\":\"" + server + "\"}");
              } else {
                ex.json(404, "{\"message\":\"No such image: x:latest\"}");
              }
            });
    DockerEngine engine = new DockerEngine(dockerd.socket(), GENEROUS);

    assertThat(engine.negotiate()).isEqualTo(expected);
    assertThat(engine.inspectImage("x")).isEmpty();

    assertThat(dockerd.last().target).isEqualTo("/v" + expected + "/images/x/json");
  }

  @Test
  void serverOlderThanNeededIsRefusedWithBothVersions() throws Exception {
    dockerd =
        FakeUnixServer.start(
            dir.resolve("docker.sock"), ex -> ex.json(200, "{\"ApiVersion\":\"1.24\"}"));
    DockerEngine engine = new DockerEngine(dockerd.socket(), GENEROUS);

    assertThatThrownBy(engine::negotiate)
        .isInstanceOf(DockerException.class)
        .hasMessageContaining("1.24")
        .hasMessageContaining("1.25");
  }

  @Test
  void firstCallNegotiatesByItself() throws Exception {
    DockerEngine engine = engine(ex -> ex.json(200, "[]"));

    assertThat(engine.images(Map.of(), null)).isEmpty();

    assertThat(dockerd.exchanges())
        .extracting(e -> e.target)
        .containsExactly("/version", "/v1.41/images/json");
  }

  @Test
  void pullSendsNameDigestAndCredentialsAndNeverLogsThem() throws Exception {
    String repoDigest = "127.0.0.1:5000/tools/jdk@" + DIGEST;
    DockerEngine engine =
        engine(
            ex -> {
              if (ex.target.contains("/images/create")) {
                ex.chunkedHead(200, "application/json")
                    .chunk(progress("{\"status\":\"Pulling from tools/jdk\",\"id\":\"17\"}"))
                    .chunk(progress("{\"status\":\"Digest: " + DIGEST + "\"}"))
                    .lastChunk();
              } else {
                ex.json(200, inspectJson("sha256:abc", repoDigest));
              }
            });
    RegistryAuth auth = new RegistryAuth("ci-user", "s3cret-pw", "127.0.0.1:5000");
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    root.setLevel(Level.DEBUG);

    ImageInfo image;
    String logged;
    try (LogCapture logs = new LogCapture()) {
      image =
          engine.pull(
              ImageRef.parse("127.0.0.1:5000/tools/jdk:17@" + DIGEST), Optional.of(auth), GENEROUS);
      logged = logs.all();
    } finally {
      root.setLevel(before);
    }

    assertThat(image.id()).isEqualTo("sha256:abc");
    assertThat(image.repoDigests()).containsExactly(repoDigest);
    FakeUnixServer.Exchange pull = dockerd.exchanges().get(1);
    assertThat(pull.method).isEqualTo("POST");
    assertThat(query(pull.target, "fromImage")).isEqualTo("127.0.0.1:5000/tools/jdk");
    assertThat(query(pull.target, "tag")).isEqualTo(DIGEST);
    JsonNode sent =
        JSON.readTree(java.util.Base64.getUrlDecoder().decode(pull.header("X-Registry-Auth")));
    assertThat(sent.get("password").asText()).isEqualTo("s3cret-pw");
    assertThat(dockerd.last().target).isEqualTo("/v1.41/images/" + repoDigest + "/json");
    assertThat(logged)
        .contains("event=docker.pull", DIGEST, "Pulling from")
        .doesNotContain("s3cret-pw", pull.header("X-Registry-Auth"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unauthorized: authentication required | UNAUTHORIZED",
        "write /var/lib/docker/tmp/GetImageBlob: no space left on device | DISK_FULL",
        "filesystem layer verification failed for digest sha256:aa | DIGEST_MISMATCH",
        "Get \"http://r:5000/v2/x/blobs/sha256:aa\": dial tcp r:5000: i/o timeout | REGISTRY_ERROR",
        "unexpected EOF | OTHER",
      })
  void errorLineInsideAStreamedPullIsAnException(String message, Kind kind) throws Exception {
    DockerEngine engine =
        engine(
            ex ->
                ex.chunkedHead(200, "application/json")
                    .chunk(progress("{\"status\":\"Pulling fs layer\",\"id\":\"aa\"}"))
                    .chunk(
                        progress(
                            JSON.createObjectNode()
                                .put("error", message)
                                .set("errorDetail", JSON.createObjectNode().put("message", message))
                                .toString()))
                    .lastChunk());

    assertThatThrownBy(() -> engine.pull(ImageRef.parse("r:5000/x:1"), Optional.empty(), GENEROUS))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(kind);
              assertThat(e.status()).isZero();
              assertThat(e.daemonMessage()).isEqualTo(message);
              assertThat(e.getMessage()).contains("pull r:5000/x:1", message);
            });
  }

  @Test
  void pullRefusedBeforeStreamingCarriesTheStatus() throws Exception {
    String message =
        "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused";
    DockerEngine engine =
        engine(ex -> ex.json(500, JSON.createObjectNode().put("message", message).toString()));

    assertThatThrownBy(
            () -> engine.pull(ImageRef.parse("127.0.0.1:5999/x:1"), Optional.empty(), GENEROUS))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.REGISTRY_ERROR);
              assertThat(e.status()).isEqualTo(500);
              assertThat(e.daemonMessage()).isEqualTo(message);
            });
  }

  @Test
  void pulledImageWithoutTheDigestIsADigestMismatch() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              if (ex.target.contains("/images/create")) {
                ex.json(200, "{\"status\":\"done\"}");
              } else {
                ex.json(200, inspectJson("sha256:abc", "r:5000/x@sha256:" + "f".repeat(64)));
              }
            });

    assertThatThrownBy(
            () -> engine.pull(ImageRef.parse("r:5000/x@" + DIGEST), Optional.empty(), GENEROUS))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.DIGEST_MISMATCH))
        .hasMessageContaining(DIGEST);
  }

  @Test
  void daemonGoingAwayMidPullIsDaemonUnavailable() throws Exception {
    DockerEngine engine =
        engine(
            ex ->
                ex.chunkedHead(200, "application/json")
                    .chunk(progress("{\"status\":\"Downloading\",\"id\":\"aa\"}"))
                    .raw("40\r\n{\"status\":\"Down")); // then the connection closes

    assertThatThrownBy(() -> engine.pull(ImageRef.parse("r:5000/x:1"), Optional.empty(), GENEROUS))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.DAEMON_UNAVAILABLE))
        .hasMessageContaining(dockerd.socket().toString());
  }

  @Test
  void daemonStallingMidPullTimesOutAtThePullDeadline() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              ex.chunkedHead(200, "application/json")
                  .chunk(progress("{\"status\":\"Downloading\",\"id\":\"aa\"}"));
              release.await(30, TimeUnit.SECONDS);
            });
    engine.negotiate();

    long start = System.nanoTime();
    assertThatThrownBy(() -> engine.pull(ImageRef.parse("r:5000/x:1"), Optional.empty(), BASE))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TIMEOUT));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BASE.multipliedBy(4));
  }

  @Test
  void missingSocketIsDaemonUnavailableNamingIt() {
    Path missing = dir.resolve("nothing-here.sock");
    DockerEngine engine = new DockerEngine(missing, GENEROUS);

    assertThatThrownBy(engine::negotiate)
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.DAEMON_UNAVAILABLE))
        .hasMessageContaining(missing.toString());
  }

  @Test
  void createSendsTheSpecAsDockerdExpectsIt() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              ex.body();
              ex.json(201, "{\"Id\":\"c0ffee\",\"Warnings\":[]}");
            });
    ContainerSpec spec =
        new ContainerSpec(
            "hupd-test/busybox:1",
            List.of("sh", "-c", "echo hi"),
            Map.of("A", "1"),
            64L << 20,
            500_000_000L,
            false,
            Map.of("dev.hupd.test", "x"),
            "verify 1");

    assertThat(engine.createContainer(spec)).isEqualTo("c0ffee");

    FakeUnixServer.Exchange create = dockerd.last();
    assertThat(create.target).startsWith("/v1.41/containers/create?name=");
    assertThat(query(create.target, "name")).isEqualTo("verify 1");
    assertThat(create.header("content-type")).isEqualTo("application/json");
    JsonNode body = JSON.readTree(create.body());
    assertThat(body.get("Entrypoint").isArray()).isTrue();
    assertThat(body.get("Entrypoint")).isEmpty();
    assertThat(body.get("Cmd").toString()).isEqualTo("[\"sh\",\"-c\",\"echo hi\"]");
    assertThat(body.get("Env").toString()).isEqualTo("[\"A=1\"]");
    assertThat(body.at("/Labels/dev.hupd.test").asText()).isEqualTo("x");
    assertThat(body.at("/HostConfig/NetworkMode").asText()).isEqualTo("none");
    assertThat(body.at("/HostConfig/Memory").asLong()).isEqualTo(64L << 20);
    assertThat(body.at("/HostConfig/MemorySwap").asLong()).isEqualTo(64L << 20);
    assertThat(body.at("/HostConfig/NanoCpus").asLong()).isEqualTo(500_000_000L);
  }

  @Test
  void waitGivesTheExitCodeOrNothingAtTheDeadline() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              if (ex.target.contains("/slow/")) {
                ex.chunkedHead(200, "application/json"); // headers first, as 20.10 does
                release.await(30, TimeUnit.SECONDS);
              } else {
                ex.json(200, "{\"Error\":null,\"StatusCode\":3}");
              }
            });

    assertThat(engine.waitExit("fast", GENEROUS)).hasValue(3);
    long start = System.nanoTime();
    assertThat(engine.waitExit("slow", BASE)).isEqualTo(OptionalInt.empty());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BASE.multipliedBy(4));
  }

  @Test
  void logsAreDemultiplexedFromAChunkedStream() throws Exception {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    frames.writeBytes(new byte[] {1, 0, 0, 0, 0, 0, 0, 6});
    frames.writeBytes("hello\n".getBytes(StandardCharsets.UTF_8));
    frames.writeBytes(new byte[] {2, 0, 0, 0, 0, 0, 0, 4});
    frames.writeBytes("err\n".getBytes(StandardCharsets.UTF_8));
    byte[] all = frames.toByteArray();
    DockerEngine engine =
        engine(
            ex ->
                ex.chunkedHead(200, "application/vnd.docker.raw-stream")
                    .chunk(java.util.Arrays.copyOfRange(all, 0, 5))
                    .chunk(java.util.Arrays.copyOfRange(all, 5, all.length))
                    .lastChunk());

    assertThat(engine.logs("c0ffee", 1000)).isEqualTo("hello\nerr\n");
    assertThat(dockerd.last().target).isEqualTo("/v1.41/containers/c0ffee/logs?stdout=1&stderr=1");
  }

  @Test
  void goneObjectsAreFineToRemoveButInUseImagesConflict() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              if (ex.target.contains("/images/in-use")) {
                ex.json(409, "{\"message\":\"conflict: unable to delete (must be forced)\"}");
              } else if (ex.target.contains("/kill")) {
                ex.json(409, "{\"message\":\"Container c is not running\"}");
              } else {
                ex.json(404, "{\"message\":\"No such thing\"}");
              }
            });

    engine.removeImage("gone:1", false, false);
    engine.removeContainer("gone", true);
    engine.kill("c");
    assertThat(engine.inspectImage("gone:1")).isEmpty();
    assertThatThrownBy(() -> engine.removeImage("in-use", false, false))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.CONFLICT);
              assertThat(e.status()).isEqualTo(409);
              assertThat(e.daemonMessage()).contains("must be forced");
            });
    assertThatThrownBy(() -> engine.start("gone"))
        .isInstanceOfSatisfying(
            DockerException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
  }

  @Test
  void buildSendsADockerfileTarAndReturnsTheAuxId() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              ex.body();
              ex.chunkedHead(200, "application/json")
                  .chunk(progress("{\"stream\":\"Step 1/1 : FROM x\"}"))
                  .chunk(progress("{\"aux\":{\"ID\":\"sha256:beef\"}}"))
                  .chunk(progress("{\"stream\":\"Successfully built beef\\n\"}"))
                  .lastChunk();
            });

    assertThat(engine.build("FROM x\n", "r:5000/a:1", GENEROUS)).isEqualTo("sha256:beef");

    FakeUnixServer.Exchange build = dockerd.last();
    assertThat(query(build.target, "t")).isEqualTo("r:5000/a:1");
    assertThat(query(build.target, "rm")).isEqualTo("1");
    assertThat(query(build.target, "forcerm")).isEqualTo("1");
    assertThat(build.header("content-type")).isEqualTo("application/x-tar");
    byte[] tar = build.body();
    assertThat(UstarWriterTest.field(tar, 0, 100)).isEqualTo("Dockerfile");
    assertThat(new String(tar, 512, 7, StandardCharsets.UTF_8)).isEqualTo("FROM x\n");
  }

  @Test
  void failedBuildStepIsAnExceptionWithDockerdsMessage() throws Exception {
    String message = "The command '/bin/sh -c false' returned a non-zero code: 1";
    DockerEngine engine =
        engine(
            ex ->
                ex.chunkedHead(200, "application/json")
                    .chunk(
                        progress(
                            "{\"errorDetail\":{\"code\":1,\"message\":\""
                                + message
                                + "\"},\"error\":\""
                                + message
                                + "\"}"))
                    .lastChunk());

    assertThatThrownBy(() -> engine.build("FROM x\nRUN false\n", "a:1", GENEROUS))
        .isInstanceOfSatisfying(
            DockerException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.OTHER);
              assertThat(e.daemonMessage()).isEqualTo(message);
            });
  }

  @Test
  void listsSendJsonFiltersAndDropNoneNames() throws Exception {
    DockerEngine engine =
        engine(
            ex -> {
              if (ex.target.contains("/containers/json")) {
                ex.json(
                    200,
                    "[{\"Id\":\"c1\",\"ImageID\":\"sha256:i1\",\"State\":\"running\","
                        + "\"Labels\":{\"k\":\"v\"}}]");
              } else {
                ex.json(
                    200,
                    "[{\"Id\":\"sha256:i1\",\"RepoTags\":[\"<none>:<none>\"],"
                        + "\"RepoDigests\":[\"<none>@<none>\"],\"Size\":7,\"Labels\":null}]");
              }
            });

    assertThat(engine.containers(true, Map.of("k", "v", "any", "")))
        .containsExactly(new ContainerSummary("c1", "sha256:i1", "running", Map.of("k", "v")));
    assertThat(query(dockerd.last().target, "all")).isEqualTo("1");
    assertThat(JSON.readTree(query(dockerd.last().target, "filters")))
        .isEqualTo(JSON.readTree("{\"label\":[\"any\",\"k=v\"]}"));

    assertThat(engine.images(Map.of(), "127.0.0.1:5000/hupd-it/*"))
        .containsExactly(new ImageInfo("sha256:i1", List.of(), List.of(), 7, Map.of()));
    assertThat(JSON.readTree(query(dockerd.last().target, "filters")))
        .isEqualTo(JSON.readTree("{\"reference\":[\"127.0.0.1:5000/hupd-it/*\"]}"));
  }

  @Test
  void namesThatCouldBreakThePathAreRefused() throws Exception {
    DockerEngine engine = engine(ex -> ex.json(200, "{}"));

    assertThatThrownBy(() -> engine.inspectImage("x/../../containers/y?z"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> engine.inspectImage("x/../../containers/y"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> engine.start("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(dockerd.exchanges()).isEmpty();
  }
}
