package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.testing.DockerFixture;
import dev.hupd.testing.FakeCloudFormation;
import dev.hupd.testing.HupdProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hupd run} as a process, the fake CloudFormation serving the agent-fleet example with a
 * toolchain manifest, and the real dockerd plus local registry: the toolchain lifecycle end to end,
 * including kill -9 in the middle of a pull and of a verify.
 */
class ToolchainProcessIT {

  static final Duration WAIT = Duration.ofSeconds(90);
  static DockerFixture docker;
  static String v1;
  static String v2;
  static String broken;
  static String v4;
  static String big;
  static String c1;
  static String c2;
  static String c3;

  @TempDir Path work;
  FakeCloudFormation cfn;
  String name;
  ObjectNode metadata;

  @BeforeAll
  static void images() throws Exception {
    docker = DockerFixture.start();
    v1 = docker.publish("tool", "v1", "RUN echo 1 > /version");
    v2 = docker.publish("tool", "v2", "RUN echo 2 > /version");
    broken = docker.publish("tool", "v3", "RUN echo broken > /version");
    v4 = docker.publish("tool", "v4", "RUN echo 4 > /version");
    // a 96 MB layer so that a pull takes long enough to be interrupted
    big =
        docker.publish(
            "big", "v1", "RUN head -c 100663296 /dev/urandom > /blob && echo 9 > /version");
    // images of their own for the collection test, so no other test has them local already
    c1 = docker.publish("coll", "v1", "LABEL coll=1\nRUN echo 11 > /version");
    c2 = docker.publish("coll", "v2", "LABEL coll=2\nRUN echo 12 > /version");
    c3 = docker.publish("coll", "v3", "LABEL coll=3\nRUN echo 13 > /version");
  }

  @AfterAll
  static void cleanUp() throws Exception {
    docker.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    name = "it" + docker.id() + "-" + Long.toHexString(System.nanoTime() & 0xffff);
    for (String tag : new String[] {"active", "previous", "candidate"}) {
      docker.removeAtEnd("hupd/" + name + ":" + tag);
    }
    Path example = HupdProcess.repoRoot().resolve("examples/agent-fleet");
    cfn = FakeCloudFormation.start().stack("agents-stack");
    metadata =
        (ObjectNode)
            Json.parse(Files.readString(example.resolve("metadata/AgentLaunchTemplate.json")));
    DaemonProcessIT.copyTree(example.resolve("cfn"), work.resolve("cfn"));
    DaemonProcessIT.copyTree(example.resolve("bin"), work.resolve("bin"));
    Path conf = work.resolve("cfn/cfn-hup.conf");
    Files.writeString(conf, Files.readString(conf) + "url=" + cfn.endpoint() + "\n");
    Files.writeString(
        work.resolve("hupd.conf"),
        "[hupd]\nstate-dir = state\npoll-seconds = 1\nfirst-poll-splay = 0\nimport-cfn-hup-state = none\n"
            + "imds-endpoint = http://127.0.0.1:1\ntoolchains-path = Resources.AgentLaunchTemplate.Metadata.Toolchains\n"
            + "docker-config = none\n");
  }

  @AfterEach
  void tearDown() {
    cfn.close();
  }

  void manifest(String image, String verifyCommandJson) {
    String tool =
        "{\"name\":\""
            + name
            + "\",\"image\":\""
            + image
            + "\",\"verify\":{\"command\":"
            + verifyCommandJson
            + ",\"outputPattern\":\"^[0-9]+\\\\s*$\",\"timeoutSeconds\":30,\"memoryMb\":64},"
            + "\"capabilities\":{\"system.tool\":\"/version\"}}";
    metadata.set("Toolchains", Json.parse("{\"toolchains\":[" + tool + "]}"));
    cfn.resource("AgentLaunchTemplate").metadata(metadata.toString());
  }

  void manifest(String image) {
    manifest(image, "[\"cat\",\"/version\"]");
  }

  void emptyManifest() {
    metadata.set("Toolchains", Json.parse("{\"toolchains\":[]}"));
    cfn.resource("AgentLaunchTemplate").metadata(metadata.toString());
  }

  HupdProcess hupd(String... args) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", work.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", work.toString());
    env.put("AWS_ACCESS_KEY_ID", "AKIDE2ETEST");
    env.put("AWS_SECRET_ACCESS_KEY", "e2e-secret-not-real");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", work.resolve("none").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("none").toString());
    String[] all = new String[args.length + 4];
    all[0] = "--config";
    all[1] = work.resolve("cfn").toString();
    all[2] = "--settings";
    all[3] = work.resolve("hupd.conf").toString();
    System.arraycopy(args, 0, all, 4, args.length);
    return HupdProcess.start(env, all);
  }

  String status() throws Exception {
    try (HupdProcess s = hupd("status")) {
      s.awaitExit(WAIT);
    }
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            HupdProcess.repoRoot().resolve("daemon/target/hupd.jar").toString(),
            "--config",
            work.resolve("cfn").toString(),
            "--settings",
            work.resolve("hupd.conf").toString(),
            "status");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return out;
  }

  String activeId() throws Exception {
    return docker.imageId("hupd/" + name + ":active");
  }

  String previousId() throws Exception {
    return docker.imageId("hupd/" + name + ":previous");
  }

  @Test
  void aDigestChangeEndsVerifiedActiveWithThePreviousKept_aBrokenImageLeavesThePreviousAndSaysWhy()
      throws Exception {
    manifest(v1);
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 1, WAIT);
      String id1 = docker.imageId(v1);
      assertThat(activeId()).isEqualTo(id1);

      manifest(v2); // upgrade by digest
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 2, WAIT);
      String id2 = docker.imageId(v2);
      assertThat(activeId()).isEqualTo(id2);
      assertThat(previousId()).isEqualTo(id1);
      assertThat(docker.imageId(v1)).as("previous image kept for a re-tag rollback").isEqualTo(id1);

      manifest(broken); // verify fails: output does not match
      hupd.awaitLine("event=toolchain.failed name=" + name, WAIT);
      assertThat(activeId()).isEqualTo(id2);
      assertThat(hupd.lines())
          .anyMatch(
              l ->
                  l.contains("event=toolchain.failed name=" + name)
                      && l.contains(broken)
                      && l.contains("step=verify")
                      && l.contains("does not match"));
      String status = status();
      assertThat(status)
          .contains(name)
          .contains("failed")
          .contains("does not match")
          .contains(id2.substring(0, 19));

      manifest(v1); // downgrade: the image is local and was verified: a re-tag
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 3, WAIT);
      assertThat(activeId()).isEqualTo(id1);
      assertThat(previousId()).isEqualTo(id2);
      assertThat(hupd.lines()).anyMatch(l -> l.contains("event=toolchain.reuse name=" + name));

      emptyManifest(); // removal
      hupd.awaitLine("event=toolchain.retired name=" + name, WAIT);
      assertThat(activeId()).isNull();
      assertThat(previousId()).isNull();
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
    }
  }

  @Test
  void aRegistryOutageLeavesTheActiveToolchainAlone() throws Exception {
    manifest(v1);
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLine("event=toolchain.activated name=" + name, WAIT);
      String id1 = activeId();
      manifest(v2.replace("127.0.0.1:5000", "127.0.0.1:5999")); // a registry that is down
      hupd.awaitLine("event=toolchain.failed name=" + name, WAIT);
      assertThat(hupd.lines())
          .anyMatch(
              l ->
                  l.contains("event=toolchain.failed")
                      && l.contains("step=pull")
                      && l.contains("127.0.0.1:5999"));
      assertThat(activeId()).isEqualTo(id1);
      assertThat(hupd.lines()).anyMatch(l -> l.contains("event=daemon.ready"));
    }
  }

  @Test
  void killDashNineMidPullAndMidVerifyConvergesWithoutAHalfActiveToolchain() throws Exception {
    manifest(big);
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLine("event=toolchain.pull name=" + name, WAIT);
      hupd.process().destroyForcibly(); // SIGKILL, mid-pull
      hupd.awaitExit(WAIT);
    }
    assertThat(activeId()).isNull();
    // the same image, a slow verify: kill -9 while the verify container runs
    manifest(big, "[\"sh\",\"-c\",\"sleep 20; cat /version\"]");
    try (HupdProcess hupd = hupd("run")) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (docker.containersWithLabel("dev.hupd.verify=" + name).isEmpty()) {
        assertThat(System.nanoTime()).as("verify container never appeared").isLessThan(deadline);
        Thread.sleep(100);
      }
      hupd.process().destroyForcibly();
      hupd.awaitExit(WAIT);
    }
    assertThat(docker.containersWithLabel("dev.hupd.verify=" + name))
        .as("left behind by kill -9")
        .isNotEmpty();
    assertThat(activeId()).as("never active before verified").isNull();
    manifest(big, "[\"sh\",\"-c\",\"sleep 1; cat /version\"]");
    try (HupdProcess hupd = hupd("run")) {
      hupd.awaitLine("event=toolchain.activated name=" + name, WAIT);
      assertThat(hupd.lines())
          .anyMatch(l -> l.contains("event=toolchain.cleanup leftover_verify_containers="));
      hupd.signal("TERM");
      hupd.awaitExit(WAIT);
    }
    assertThat(activeId()).isEqualTo(docker.imageId(big));
    assertThat(docker.containersWithLabel("dev.hupd.verify=" + name)).isEmpty();
  }

  @Test
  void sigtermDuringAVerifyStopsPromptlyAndLeavesNothingHalfDone() throws Exception {
    manifest(v2, "[\"sh\",\"-c\",\"sleep 60; cat /version\"]");
    try (HupdProcess hupd = hupd("run")) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (docker.containersWithLabel("dev.hupd.verify=" + name).isEmpty()) {
        assertThat(System.nanoTime()).as("verify container never appeared").isLessThan(deadline);
        Thread.sleep(100);
      }
      long t0 = System.nanoTime();
      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
      assertThat(hupd.lines())
          .anyMatch(l -> l.contains("event=toolchain.verify-interrupted name=" + name));
    }
    assertThat(docker.containersWithLabel("dev.hupd.verify=" + name)).isEmpty();
    assertThat(activeId()).isNull();
  }

  @Test
  void collectionKeepsThePreviousAndNeverRemovesAnImageInUse() throws Exception {
    manifest(c1);
    try (HupdProcess hupd = hupd("--verbose", "run")) {
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 1, WAIT);
      String id1 = docker.imageId(c1);
      String container = docker.createContainer(id1); // a (stopped) container uses v1
      manifest(c2);
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 2, WAIT);
      manifest(c3);
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 3, WAIT);
      Thread.sleep(2500); // a few more passes
      assertThat(docker.imageId(c1)).as("beyond keep=2 but in use: kept").isEqualTo(id1);
      assertThat(docker.imageId(c2)).as("previous: kept").isNotNull();
      docker.removeContainer(container);
      manifest(c2); // the next change collects again; v1 is no longer in use
      hupd.awaitLines(l -> l.contains("event=toolchain.activated name=" + name), 4, WAIT);
      hupd.awaitLine("event=toolchain.collected name=" + name + " image_id=" + id1, WAIT);
      assertThat(docker.imageId(id1)).isNull();
      assertThat(docker.imageId(c3)).isNotNull();
    }
  }
}
