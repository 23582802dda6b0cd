package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack model of {@link FakeCloudFormation}: timestamps, defaults and loaders. */
class FakeCloudFormationStateTest {

  private static final Instant T1 = Instant.parse("2024-01-01T10:00:00.123456Z");
  private static final Instant T2 = Instant.parse("2024-01-01T11:00:00Z");

  private FakeCloudFormation fake;

  @BeforeEach
  void startFake() {
    fake = FakeCloudFormation.start().clock(Clock.fixed(T1, ZoneOffset.UTC));
  }

  @AfterEach
  void stopFake() {
    fake.close();
  }

  @Test
  void newResource_hasDefaultsAndCreationTime() {
    FakeCloudFormation.Resource resource = fake.resource("Agent");

    assertThat(resource.type()).isEqualTo("AWS::EC2::LaunchTemplate");
    assertThat(resource.status()).isEqualTo("CREATE_COMPLETE");
    assertThat(resource.physicalId())
        .isEqualTo(FakeCloudFormation.Resource.defaultPhysicalId("Agent"));
    assertThat(resource.metadata()).isNull();
    assertThat(resource.lastUpdated()).isEqualTo(Instant.parse("2024-01-01T10:00:00.123Z"));
    assertThat(fake.resource("Agent")).isSameAs(resource);
  }

  @Test
  void metadataAndStatus_bumpLastUpdated_unlessSetExplicitlyAfter() {
    FakeCloudFormation.Resource resource = fake.resource("Agent").lastUpdated(T2);

    fake.clock(Clock.fixed(T2.plusSeconds(60), ZoneOffset.UTC));
    resource.metadata("{\"a\": 1}");
    assertThat(resource.lastUpdated()).isEqualTo(T2.plusSeconds(60));

    fake.clock(Clock.fixed(T2.plusSeconds(120), ZoneOffset.UTC));
    resource.status("UPDATE_IN_PROGRESS");
    assertThat(resource.lastUpdated()).isEqualTo(T2.plusSeconds(120));

    resource.metadata("{\"a\": 2}").lastUpdated(T1);
    assertThat(resource.lastUpdated()).isEqualTo(T1);
  }

  @Test
  void metadata_isStoredCompactedAndValidated() {
    FakeCloudFormation.Resource resource = fake.resource("Agent");

    resource.metadata("{ \"ratio\" : 1.10,\n  \"list\": [ 1, 2 ] }");

    assertThat(resource.metadata()).isEqualTo("{\"ratio\":1.10,\"list\":[1,2]}");
    assertThatThrownBy(() -> resource.metadata("{not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void stackName_setsStackId() {
    fake.stack("build-agents");

    assertThat(fake.stackId())
        .isEqualTo(
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/build-agents/"
                + "00000000-0000-0000-0000-000000000000");
  }

  @Test
  void loadStackFile_setsStackAndResources() throws Exception {
    fake.loadStackFile(TestInputs.resourceDir("/stacks/two-resources.json"));

    assertThat(fake.stackName()).isEqualTo("build-agents");
    FakeCloudFormation.Resource template = fake.resource("AgentLaunchTemplate");
    assertThat(template.physicalId()).isEqualTo("lt-0a1b2c3d4e5f60718");
    assertThat(template.status()).isEqualTo("UPDATE_COMPLETE");
    assertThat(template.lastUpdated()).isEqualTo(Instant.parse("2023-11-14T22:13:20.500Z"));
    assertThat(template.metadata())
        .isEqualTo(
            "{\"hupd\":{\"toolchain\":{\"jdk\":\"17.0.15\",\"maven\":\"3.8.7\"},\"ratio\":1.10}}");
    FakeCloudFormation.Resource queue = fake.resource("Queue");
    assertThat(queue.type()).isEqualTo("AWS::SQS::Queue");
    assertThat(queue.status()).isEqualTo("UPDATE_IN_PROGRESS");
    assertThat(queue.metadata()).isNull();
  }

  @Test
  void loadMetadataDir_touchesOnlyChangedResources(@TempDir Path dir) throws Exception {
    write(dir.resolve("A.json"), "{\"v\": 1}");
    write(dir.resolve("B.json"), "{\"v\": 1}");
    write(dir.resolve("notes.txt"), "ignored");
    fake.resource("B").type("AWS::AutoScaling::AutoScalingGroup");
    assertThat(fake.loadMetadataDir(dir)).containsExactly("A", "B");

    fake.clock(Clock.fixed(T2, ZoneOffset.UTC));
    write(dir.resolve("B.json"), "{\"v\": 2}");
    fake.loadMetadataDir(dir);

    assertThat(fake.resource("A").lastUpdated()).isBefore(T2);
    assertThat(fake.resource("B").lastUpdated()).isEqualTo(T2);
    assertThat(fake.resource("B").metadata()).isEqualTo("{\"v\":2}");
    assertThat(fake.resource("B").type()).isEqualTo("AWS::AutoScaling::AutoScalingGroup");
    assertThat(fake.resource("A").type()).isEqualTo("AWS::EC2::LaunchTemplate");
  }

  @Test
  void faultSwitches_rejectNonsense() {
    assertThatThrownBy(() -> fake.failNext(1, 404)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fake.throttleNext(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  private static void write(Path file, String text) throws Exception {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
