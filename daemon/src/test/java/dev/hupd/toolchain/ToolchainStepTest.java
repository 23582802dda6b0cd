package dev.hupd.toolchain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.apply.InMemorySourceAccess;
import dev.hupd.apply.PassReport;
import dev.hupd.apply.Pipeline;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reconciler's decisions against an in-memory engine. */
class ToolchainStepTest {

  static final String D1 = "1".repeat(64);
  static final String D2 = "2".repeat(64);
  static final String D3 = "3".repeat(64);
  static final String REPO = "127.0.0.1:5000/ci/jdk";

  @TempDir Path dir;
  FakeImageHost host;
  InMemorySourceAccess source;
  ManualClock clock;
  ToolchainStep step;
  StateStore state;

  @BeforeEach
  void setUp() throws Exception {
    host =
        new FakeImageHost()
            .publish(REPO + "@sha256:" + D1, "sha256:" + D1)
            .publish(REPO + "@sha256:" + D2, "sha256:" + D2)
            .publish(REPO + "@sha256:" + D3, "sha256:" + D3);
    source = new InMemorySourceAccess();
    clock = new ManualClock();
    step =
        new ToolchainStep(
            MetadataPath.parse("Resources.LT.Metadata.Toolchains", new String[1]).orElseThrow(),
            host,
            new LogLimiter(),
            clock);
    state = StateStore.open(dir.resolve("state"), Optional.empty());
  }

  void manifest(String... digests) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < digests.length; i++) {
      String[] nd = digests[i].split("=");
      if (i > 0) {
        list.append(',');
      }
      list.append("{\"name\":\"")
          .append(nd[0])
          .append("\",\"image\":\"")
          .append(REPO)
          .append("@sha256:")
          .append(nd[1])
          .append(
              "\",\"verify\":{\"command\":[\"java\",\"-version\"],\"outputPattern\":\"ok\"},\"capabilities\":{\"system.jdk.JDK 17\":\"/opt/java\"}}");
    }
    source.put("LT", "{\"Toolchains\":{\"toolchains\":[" + list + "]}}");
  }

  PassReport pass() {
    return new Pipeline(source.source(), state, List.of(step)).runPass(() -> false);
  }

  ToolchainRecord record(String name) {
    return ToolchainRecord.fromJson(name, state.document("toolchain/" + name));
  }

  @Test
  void addVerifiesThenActivatesAndTags() {
    manifest("jdk=" + D1);
    assertThat(pass().clean()).isTrue();
    assertThat(host.operations)
        .containsExactly(
            "pull " + REPO + "@sha256:" + D1,
            "verify sha256:" + D1,
            "tag hupd/jdk:active=sha256:" + D1);
    ToolchainRecord r = record("jdk");
    assertThat(r.active().imageId()).isEqualTo("sha256:" + D1);
    assertThat(r.active().digest()).isEqualTo("sha256:" + D1);
    assertThat(r.last().status()).isEqualTo("active");
    host.operations.clear();
    pass();
    assertThat(host.operations).as("converged: nothing to do").isEmpty();
  }

  @Test
  void upgradeKeepsThePreviousAndDowngradeIsAReTagWithoutPullOrVerify() {
    manifest("jdk=" + D1);
    pass();
    manifest("jdk=" + D2);
    pass();
    assertThat(host.tags)
        .containsEntry("hupd/jdk:active", "sha256:" + D2)
        .containsEntry("hupd/jdk:previous", "sha256:" + D1);
    host.operations.clear();
    manifest("jdk=" + D1);
    pass();
    assertThat(host.operations).noneMatch(o -> o.startsWith("pull") || o.startsWith("verify"));
    assertThat(host.tags)
        .containsEntry("hupd/jdk:active", "sha256:" + D1)
        .containsEntry("hupd/jdk:previous", "sha256:" + D2);
  }

  @Test
  void verifyFailureKeepsThePreviousActiveAndRecordsWhy() {
    manifest("jdk=" + D1);
    pass();
    host.verifier = id -> new ImageHost.VerifyRun(OptionalInt.of(127), "java: not found");
    manifest("jdk=" + D2);
    PassReport r = pass();
    assertThat(r.stepErrors()).isEqualTo(1);
    assertThat(host.tags).containsEntry("hupd/jdk:active", "sha256:" + D1);
    ToolchainRecord rec = record("jdk");
    assertThat(rec.active().imageId()).isEqualTo("sha256:" + D1);
    assertThat(rec.last().status()).isEqualTo("failed");
    assertThat(rec.last().step()).isEqualTo("verify");
    assertThat(rec.last().error())
        .contains("jdk")
        .contains(D2)
        .contains("exited 127")
        .contains("java: not found");
  }

  @Test
  void wrongOutputAndTimeoutAreFailures() {
    manifest("jdk=" + D1);
    host.verifier = id -> new ImageHost.VerifyRun(OptionalInt.of(0), "something else");
    pass();
    assertThat(record("jdk").last().error()).contains("does not match /ok/");
    host.verifier = id -> new ImageHost.VerifyRun(OptionalInt.empty(), "");
    clock.now = clock.now.plus(Duration.ofHours(2));
    pass();
    assertThat(record("jdk").last().error()).contains("did not finish");
    assertThat(record("jdk").active()).isNull();
    assertThat(host.tags).doesNotContainKey("hupd/jdk:active");
  }

  @Test
  void failuresBackOffUntilTheManifestChangesOrTimePasses() {
    host.failPull =
        new HostException(HostException.Kind.REGISTRY_ERROR, "connection refused: 127.0.0.1:5000");
    manifest("jdk=" + D1);
    pass();
    pass();
    pass();
    assertThat(host.operations.stream().filter(o -> o.startsWith("pull"))).hasSize(1);
    clock.now = clock.now.plus(Duration.ofSeconds(31));
    pass();
    assertThat(host.operations.stream().filter(o -> o.startsWith("pull"))).hasSize(2);
    host.failPull = null;
    manifest("jdk=" + D2);
    pass();
    assertThat(record("jdk").active().imageId()).isEqualTo("sha256:" + D2);
  }

  @Test
  void engineDownChangesNothing() {
    manifest("jdk=" + D1);
    pass();
    host.down = true;
    manifest("jdk=" + D2);
    PassReport r = pass();
    assertThat(r.clean()).isFalse();
    assertThat(record("jdk").active().imageId()).isEqualTo("sha256:" + D1);
    host.down = false;
    pass();
    assertThat(record("jdk").active().imageId()).isEqualTo("sha256:" + D2);
  }

  @Test
  void removalRetiresTagsImagesAndRecordButNeverAnImageInUse() {
    manifest("jdk=" + D1, "node=" + D3);
    pass();
    host.inUse.add("sha256:" + D3);
    manifest("jdk=" + D1);
    pass();
    assertThat(state.document("toolchain/node").isNull()).isTrue();
    assertThat(host.tags).doesNotContainKey("hupd/node:active");
    assertThat(host.images).containsKey("sha256:" + D3);
    assertThat(host.images).containsKey("sha256:" + D1);
  }

  @Test
  void collectionKeepsActiveAndPreviousAndSparesImagesInUse() {
    manifest("jdk=" + D1);
    pass();
    manifest("jdk=" + D2);
    pass();
    host.inUse.add("sha256:" + D1);
    manifest("jdk=" + D3);
    pass();
    // D1 is beyond keep=2 but a container uses it: kept; still owned so a later pass collects it
    assertThat(host.images).containsKeys("sha256:" + D1, "sha256:" + D2, "sha256:" + D3);
    host.inUse.clear();
    manifest("jdk=" + D2);
    pass();
    assertThat(host.images)
        .containsKeys("sha256:" + D2, "sha256:" + D3)
        .doesNotContainKey("sha256:" + D1);
  }

  @Test
  void aCrashBetweenStateAndTagIsRepairedNextPass() {
    manifest("jdk=" + D1);
    pass();
    manifest("jdk=" + D2);
    pass();
    host.tags.put("hupd/jdk:active", "sha256:" + D1); // as if the tag write never happened
    host.operations.clear();
    pass();
    assertThat(host.tags).containsEntry("hupd/jdk:active", "sha256:" + D2);
    assertThat(host.operations).noneMatch(o -> o.startsWith("pull") || o.startsWith("verify"));
  }

  @Test
  void leftoverVerifyContainersAreRemovedOnce() {
    host.leftoverVerifyContainers = 2;
    manifest("jdk=" + D1);
    pass();
    assertThat(host.leftoverVerifyContainers).isZero();
  }

  @Test
  void invalidManifestChangesNothingAndNamesTheField() {
    manifest("jdk=" + D1);
    pass();
    source.put(
        "LT",
        "{\"Toolchains\":{\"toolchains\":[{\"name\":\"jdk\",\"image\":\""
            + REPO
            + "@sha256:"
            + D2
            + "\",\"verify\":{\"command\":\"java -version\"}}]}}");
    PassReport r = pass();
    assertThat(r.stepErrors()).isEqualTo(1);
    assertThat(record("jdk").active().imageId()).isEqualTo("sha256:" + D1);
  }

  @Test
  void anImageThatWasAlreadyOnTheHostIsNeverRemovedByHupd() {
    host.images.put("sha256:" + D1, new java.util.ArrayList<>(List.of(REPO + "@sha256:" + D1)));
    manifest("jdk=" + D1);
    pass();
    assertThat(host.operations).noneMatch(o -> o.startsWith("pull"));
    manifest("jdk=" + D2);
    pass();
    manifest("jdk=" + D3);
    pass();
    assertThat(host.images).containsKeys("sha256:" + D1, "sha256:" + D2, "sha256:" + D3);
    manifest();
    pass();
    assertThat(host.images).containsKey("sha256:" + D1);
  }

  @Test
  void retiringOneToolchainKeepsAnImageAnotherOneUses() {
    manifest("jdk=" + D1, "jdk-copy=" + D1);
    pass();
    manifest("jdk-copy=" + D1);
    pass();
    assertThat(host.images).containsKey("sha256:" + D1);
    assertThat(host.tags).containsEntry("hupd/jdk-copy:active", "sha256:" + D1);
  }

  @Test
  void aPathologicalOutputPatternIsAVerifyFailureNotACrash() throws Exception {
    Toolchain t =
        Manifest.parse(
                dev.hupd.metadata.Json.parse(
                    "{\"toolchains\":[{\"name\":\"p\",\"image\":\"r/x\",\"verify\":{\"command\":[\"x\"],\"outputPattern\":\"^(x|y)*Z\"}}]}"))
            .toolchains()
            .get(0);
    String why =
        ToolchainStep.judge(t, new ImageHost.VerifyRun(OptionalInt.of(0), "x".repeat(200_000)));
    assertThat(why).isNotNull();
  }

  @Test
  void changingAnyVerifySettingVerifiesAgain() throws Exception {
    String a =
        "{\"toolchains\":[{\"name\":\"p\",\"image\":\"r/x\",\"verify\":{\"command\":[\"x\"],\"network\":true}}]}";
    String b = a.replace("true", "false");
    var ta = Manifest.parse(dev.hupd.metadata.Json.parse(a)).toolchains().get(0);
    var tb = Manifest.parse(dev.hupd.metadata.Json.parse(b)).toolchains().get(0);
    assertThat(ToolchainStep.verifyFingerprint(ta))
        .isNotEqualTo(ToolchainStep.verifyFingerprint(tb));
  }

  @Test
  void aStepThatThrowsDoesNotStopTheOthers() {
    dev.hupd.apply.PassStep broken =
        new dev.hupd.apply.PassStep() {
          @Override
          public String name() {
            return "broken";
          }

          @Override
          public void run(dev.hupd.apply.PassContext context) {
            throw new IllegalStateException("boom");
          }
        };
    manifest("jdk=" + D1);
    PassReport r = new Pipeline(source.source(), state, List.of(broken, step)).runPass(() -> false);
    assertThat(r.stepErrors()).isEqualTo(1);
    assertThat(record("jdk").active()).isNotNull();
  }

  @Test
  void revertingTheManifestToTheActiveImageClearsTheFailedStatus() {
    manifest("jdk=" + D1);
    pass();
    host.verifier = id -> new ImageHost.VerifyRun(OptionalInt.of(1), "bad");
    manifest("jdk=" + D2);
    pass();
    assertThat(record("jdk").last().status()).isEqualTo("failed");
    manifest("jdk=" + D1);
    pass();
    assertThat(record("jdk").last().status()).isEqualTo("active");
    assertThat(record("jdk").active().imageId()).isEqualTo("sha256:" + D1);
  }

  boolean wouldAct() {
    return step.wouldAct(new dev.hupd.apply.PassContext(source.source(), state, () -> false));
  }

  @Test
  void wouldActOnlyWhenASwitchOrRetirementIsDueNotWhileBackingOffOrConverged() {
    manifest("jdk=" + D1);
    assertThat(wouldAct()).as("first activation").isTrue();
    pass();
    assertThat(wouldAct()).as("converged").isFalse();
    manifest("jdk=" + D2);
    assertThat(wouldAct()).as("a new digest").isTrue();
    assertThat(host.operations)
        .as("asking changes nothing")
        .doesNotContain("pull " + REPO + "@sha256:" + D2);
    host.verifier = id -> new ImageHost.VerifyRun(OptionalInt.of(1), "broken");
    pass();
    assertThat(wouldAct()).as("the failed digest waits out its backoff").isFalse();
    clock.now = clock.now.plus(Duration.ofHours(2));
    assertThat(wouldAct()).as("retry due").isTrue();
    manifest("jdk=" + D1);
    assertThat(wouldAct()).as("back to the active digest").isFalse();
    source.put("LT", "{\"Toolchains\":{\"toolchains\":[]}}");
    assertThat(wouldAct()).as("retirement").isTrue();
  }

  @Test
  void unverifiedNamesEachToolchainNotActiveAtItsEntryWithTheLastError() throws Exception {
    manifest("jdk=" + D1);
    pass();
    Manifest m1 =
        Manifest.parse(
            dev.hupd.metadata.Json.parse(
                "{\"toolchains\":[{\"name\":\"jdk\",\"image\":\""
                    + REPO
                    + "@sha256:"
                    + D1
                    + "\",\"verify\":{\"command\":[\"java\",\"-version\"],\"outputPattern\":\"ok\"},"
                    + "\"capabilities\":{\"system.jdk.JDK 17\":\"/opt/java\"}}]}"));
    assertThat(ToolchainStep.unverified(m1, state)).isEmpty();
    host.verifier = id -> new ImageHost.VerifyRun(OptionalInt.of(127), "java: not found");
    manifest("jdk=" + D2);
    pass();
    Manifest m2 =
        Manifest.parse(
            dev.hupd.metadata.Json.parse(
                "{\"toolchains\":[{\"name\":\"jdk\",\"image\":\""
                    + REPO
                    + "@sha256:"
                    + D2
                    + "\",\"verify\":{\"command\":[\"java\",\"-version\"],\"outputPattern\":\"ok\"}}]}"));
    assertThat(ToolchainStep.unverified(m2, state))
        .singleElement()
        .asString()
        .contains("toolchain jdk")
        .contains(D2)
        .contains("exited 127");
  }
}
