package dev.hupd.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What a hook's path reads from a resource, including cfn-hup's quirks (§2.3 and §8). */
class PathValueTest {

  private static final Instant UPDATED = Instant.ofEpochSecond(1_700_000_000L);

  private static StackResource resource(String status, String metadata) {
    return new StackResource(
        "AgentLT",
        "AWS::EC2::LaunchTemplate",
        status,
        Optional.of("lt-0123456789abcdef0"),
        Optional.of(UPDATED),
        Optional.ofNullable(metadata));
  }

  private static StackResource withMetadata(String metadata) {
    return resource("UPDATE_COMPLETE", metadata);
  }

  private static MetadataPath path(String text) {
    String[] error = new String[1];
    return MetadataPath.parse(text, error).orElseThrow(() -> new AssertionError(error[0]));
  }

  private static JsonNode read(String path, StackResource resource) throws Exception {
    return PathValue.read(path(path), resource);
  }

  @Test
  void lastUpdatedIsPythonIsoFormatWithoutMicroseconds() throws Exception {
    JsonNode value = read("Resources.AgentLT", withMetadata(null));

    assertThat(value.isTextual()).isTrue();
    assertThat(value.textValue()).isEqualTo("2023-11-14T22:13:20");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "2023-11-14T22:13:20Z, 2023-11-14T22:13:20",
    "2023-11-14T22:14:20.500Z, 2023-11-14T22:14:20.500000",
    "2023-11-14T22:14:20.000001Z, 2023-11-14T22:14:20.000001",
    "2023-01-02T03:04:05.123456Z, 2023-01-02T03:04:05.123456"
  })
  void pythonIsoFormatAddsMicrosecondsOnlyWhenThereAreAny(Instant instant, String expected) {
    assertThat(PathValue.pythonIsoFormat(instant)).isEqualTo(expected);
  }

  @Test
  void physicalResourceIdIsTheId() throws Exception {
    assertThat(read("Resources.AgentLT.PhysicalResourceId", withMetadata(null)).textValue())
        .isEqualTo("lt-0123456789abcdef0");
  }

  @Test
  void deleteCompleteMakesIdAndTimestampAbsentButStillServesMetadata() throws Exception {
    StackResource deleted = resource("DELETE_COMPLETE", "{\"config\":{\"a\":1}}");

    assertThat(read("Resources.AgentLT", deleted).isNull()).isTrue();
    assertThat(read("Resources.AgentLT.PhysicalResourceId", deleted).isNull()).isTrue();
    assertThat(read("Resources.AgentLT.Metadata.config", deleted))
        .isEqualTo(Json.parse("{\"a\":1}"));
  }

  @Test
  void wholeMetadataIsReadWithoutASubPath() throws Exception {
    String metadata = "{\"AWS::CloudFormation::Init\":{\"config\":{\"files\":{}}}}";

    assertThat(read("Resources.AgentLT.Metadata", withMetadata(metadata)))
        .isEqualTo(Json.parse(metadata));
  }

  /** {@code extract_value(metadata, '')} returns the whole metadata. */
  @Test
  void trailingDotReadsTheWholeMetadata() throws Exception {
    String metadata = "{\"config\":{\"a\":1}}";

    assertThat(read("Resources.AgentLT.Metadata.", withMetadata(metadata)))
        .isEqualTo(Json.parse(metadata));
  }

  @Test
  void subPathWalksObjects() throws Exception {
    String metadata =
        "{\"AWS::CloudFormation::Init\":{\"02_config-amazon-cloudwatch-agent\":{\"files\":[1]}}}";

    JsonNode value =
        read(
            "Resources.AgentLT.Metadata.AWS::CloudFormation::Init"
                + ".02_config-amazon-cloudwatch-agent",
            withMetadata(metadata));

    assertThat(value).isEqualTo(Json.parse("{\"files\":[1]}"));
  }

  @Test
  void escapedDotIsALiteralDotInAKey() throws Exception {
    String metadata = "{\"agent.settings\":{\"pool\":\"linux\"},\"agent\":{\"settings\":0}}";

    assertThat(
            read("Resources.AgentLT.Metadata.agent\\.settings.pool", withMetadata(metadata))
                .textValue())
        .isEqualTo("linux");
  }

  @Test
  void missingKeyIsAbsent() throws Exception {
    assertThat(
            read("Resources.AgentLT.Metadata.config.nope", withMetadata("{\"config\":{}}"))
                .isNull())
        .isTrue();
  }

  @Test
  void keysAreCaseSensitive() throws Exception {
    assertThat(read("Resources.AgentLT.Metadata.Config", withMetadata("{\"config\":1}")).isNull())
        .isTrue();
  }

  @Test
  void subPathIntoAStringContainingTheKeyIsUnreadable() {
    PathValue.UnreadableException e =
        catchThrowableOfType(
            PathValue.UnreadableException.class,
            () -> read("Resources.AgentLT.Metadata.s.b", withMetadata("{\"s\":\"xbx\"}")));

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("Resources.AgentLT.Metadata.s.b");
  }

  @Test
  void subPathIntoAStringWithoutTheKeyIsAbsent() throws Exception {
    assertThat(read("Resources.AgentLT.Metadata.s.b", withMetadata("{\"s\":\"zzz\"}")).isNull())
        .isTrue();
  }

  @Test
  void numericIndexIntoAListIsAbsent() throws Exception {
    assertThat(
            read("Resources.AgentLT.Metadata.list.0", withMetadata("{\"list\":[\"first\"]}"))
                .isNull())
        .isTrue();
  }

  @Test
  void indexIntoAListThatContainsTheKeyIsUnreadable() {
    assertThat(
            catchThrowableOfType(
                PathValue.UnreadableException.class,
                () ->
                    read(
                        "Resources.AgentLT.Metadata.list.first",
                        withMetadata("{\"list\":[\"first\"]}"))))
        .isNotNull();
  }

  @Test
  void listMembershipComparesStringsNotNumbers() throws Exception {
    assertThat(read("Resources.AgentLT.Metadata.list.1", withMetadata("{\"list\":[1]}")).isNull())
        .isTrue();
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(strings = {"5", "true", "null", "1.5"})
  void subPathIntoAScalarIsUnreadable(String scalar) {
    assertThat(
            catchThrowableOfType(
                PathValue.UnreadableException.class,
                () ->
                    read("Resources.AgentLT.Metadata.n.x", withMetadata("{\"n\":" + scalar + "}"))))
        .isNotNull();
  }

  @ParameterizedTest(name = "Metadata={0}")
  @ValueSource(strings = {"{}", "[]", "\"\"", "0", "false", "null", ""})
  void falsyOrEmptyMetadataIsAbsent(String metadata) throws Exception {
    assertThat(read("Resources.AgentLT.Metadata.config", withMetadata(metadata)).isNull()).isTrue();
    assertThat(read("Resources.AgentLT.Metadata", withMetadata(metadata)).isNull()).isTrue();
  }

  @Test
  void missingMetadataIsAbsent() throws Exception {
    assertThat(read("Resources.AgentLT.Metadata", withMetadata(null)).isNull()).isTrue();
  }

  @ParameterizedTest(name = "Metadata={0}")
  @ValueSource(strings = {"{\"a\":", "not json", "{\"a\":1}}", "{'a':1}"})
  void malformedMetadataIsUnreadable(String metadata) {
    PathValue.UnreadableException e =
        catchThrowableOfType(
            PathValue.UnreadableException.class,
            () -> read("Resources.AgentLT.Metadata", withMetadata(metadata)));

    assertThat(e).as("Python's json.loads rejects %s", metadata).isNotNull();
    assertThat(e.getMessage()).contains("AgentLT");
  }

  @Test
  void sameMetadataWithANewerTimestampReadsTheSameValue() throws Exception {
    String metadata = "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\"}}}}";
    StackResource before = withMetadata(metadata);
    StackResource after =
        new StackResource(
            "AgentLT",
            "AWS::EC2::LaunchTemplate",
            "UPDATE_COMPLETE",
            Optional.of("lt-0123456789abcdef0"),
            Optional.of(UPDATED.plusSeconds(3600)),
            Optional.of(metadata));

    assertThat(
            Json.same(
                read("Resources.AgentLT.Metadata", before),
                read("Resources.AgentLT.Metadata", after)))
        .isTrue();
  }
}
