package dev.hupd.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.metadata.MetadataPath.Target;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code path=} parsing as cfn-hup's {@code _retrieve_path_data} and {@code extract_value}. */
class MetadataPathTest {

  private static MetadataPath parse(String text) {
    String[] error = new String[1];
    Optional<MetadataPath> path = MetadataPath.parse(text, error);
    assertThat(path).as("parse '%s' (error: %s)", text, error[0]).isPresent();
    assertThat(error[0]).isNull();
    return path.get();
  }

  static Stream<Arguments> validPaths() {
    return Stream.of(
        Arguments.of("Resources.AgentLT", "AgentLT", Target.LAST_UPDATED, List.of()),
        Arguments.of("resources.AgentLT", "AgentLT", Target.LAST_UPDATED, List.of()),
        Arguments.of(
            "Resources.AgentLT.PhysicalResourceId",
            "AgentLT",
            Target.PHYSICAL_RESOURCE_ID,
            List.of()),
        Arguments.of(
            "Resources.AgentLT.physicalresourceid.ignored.rest",
            "AgentLT",
            Target.PHYSICAL_RESOURCE_ID,
            List.of()),
        Arguments.of("Resources.AgentLT.Metadata", "AgentLT", Target.METADATA, List.of()),
        Arguments.of("RESOURCES.AgentLT.METADATA", "AgentLT", Target.METADATA, List.of()),
        Arguments.of(
            "Resources.LaunchConfig.Metadata.AWS::CloudFormation::Init",
            "LaunchConfig",
            Target.METADATA,
            List.of("AWS::CloudFormation::Init")),
        Arguments.of(
            "Resources.EC2Instance.Metadata.AWS::CloudFormation::Init"
                + ".02_config-amazon-cloudwatch-agent",
            "EC2Instance",
            Target.METADATA,
            List.of("AWS::CloudFormation::Init", "02_config-amazon-cloudwatch-agent")),
        Arguments.of(
            "Resources.AgentLT.Metadata.agent\\.settings.pool",
            "AgentLT",
            Target.METADATA,
            List.of("agent.settings", "pool")),
        Arguments.of(
            "Resources.AgentLT.Metadata.Bamboo.Capabilities.system\\.jdk\\.JDK 17",
            "AgentLT",
            Target.METADATA,
            List.of("Bamboo", "Capabilities", "system.jdk.JDK 17")),
        Arguments.of(
            "Resources.AgentLT.Metadata.Config.Key",
            "AgentLT",
            Target.METADATA,
            List.of("Config", "Key")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validPaths")
  void validPathIsParsedLikeCfnHup(
      String text, String logicalId, Target target, List<String> subPath) {
    MetadataPath path = parse(text);

    assertThat(path.text()).isEqualTo(text);
    assertThat(path.toString()).isEqualTo(text);
    assertThat(path.logicalId()).isEqualTo(logicalId);
    assertThat(path.target()).isEqualTo(target);
    assertThat(path.subPath()).isEqualTo(subPath);
  }

  @Test
  void logicalIdKeepsItsCase() {
    assertThat(parse("Resources.agentLT.Metadata").logicalId()).isEqualTo("agentLT");
  }

  @Test
  void subPathKeysAreCaseSensitive() {
    assertThat(parse("Resources.X.Metadata.Config.KEY").subPath()).containsExactly("Config", "KEY");
  }

  /**
   * {@code util.extract_value} returns the whole metadata when the sub-path is empty, so a trailing
   * dot selects the same value as no sub-path at all.
   */
  @Test
  void trailingDotAfterMetadataMeansNoSubPath() {
    assertThat(parse("Resources.X.Metadata.").subPath()).isEmpty();
  }

  @ParameterizedTest(name = "path=[{0}]")
  @ValueSource(
      strings = {
        "Outputs.Foo",
        "Resources",
        "Foo",
        "",
        "Parameters.X.Metadata",
        "Resources.X.Properties.Foo",
        "Resources.X.Metadata2",
        "Resources.X.LastUpdatedTimestamp"
      })
  void unsupportedPathIsRejectedWithAMessageNamingIt(String text) {
    String[] error = new String[1];

    Optional<MetadataPath> path = MetadataPath.parse(text, error);

    assertThat(path).isEmpty();
    assertThat(error[0]).contains("'" + text + "'");
  }

  @Test
  void thirdPartIsNamedWhenItIsNotMetadata() {
    String[] error = new String[1];

    MetadataPath.parse("Resources.X.Properties.Foo", error);

    assertThat(error[0]).contains("'Properties'").contains("Metadata or PhysicalResourceId");
  }

  @Test
  void emptyLogicalIdIsRejected() {
    String[] error = new String[1];

    assertThat(MetadataPath.parse("Resources..Metadata", error)).isEmpty();
    assertThat(error[0]).contains("logical id");
  }

  @Test
  void expectedFormMentionsEveryTarget() {
    assertThat(MetadataPath.EXPECTED_FORM)
        .contains("Resources.<LogicalId>")
        .contains("PhysicalResourceId")
        .contains("Metadata")
        .contains("\\.");
  }
}
