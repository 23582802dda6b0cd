package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.PathValue;
import dev.hupd.metadata.StackResource;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real cfn-hup configurations, rendered from public templates (see each folder's source.txt), must
 * load unchanged, and each hook's path must find a value in the matching metadata.
 */
class RenderedInputsTest {

  private static Path inputs() throws URISyntaxException {
    return Path.of(RenderedInputsTest.class.getResource("/inputs").toURI());
  }

  /** One case per {@code inputs/<folder>/rendered/<LogicalId>/etc/cfn}. */
  static Stream<Arguments> renderedConfigs() throws IOException, URISyntaxException {
    Path inputs = inputs();
    try (Stream<Path> files = Files.walk(inputs)) {
      List<Path> dirs =
          files
              .filter(p -> p.getFileName().toString().equals("cfn-hup.conf"))
              .map(Path::getParent)
              .sorted()
              .toList();
      return dirs.stream()
          .map(
              d -> {
                Path folder = inputs.relativize(d).getName(0);
                return Arguments.of(inputs.relativize(d).toString(), inputs.resolve(folder), d);
              });
    }
  }

  @Test
  void everyInputFolderHasARenderedConfigAndItsOrigin() throws Exception {
    List<Arguments> cases = renderedConfigs().toList();

    assertThat(cases).hasSize(5);
    for (Arguments c : cases) {
      Path folder = (Path) c.get()[1];
      assertThat(folder.resolve("source.txt")).isRegularFile();
      assertThat(Files.readString(folder.resolve("source.txt"), StandardCharsets.UTF_8))
          .contains("licence:");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderedConfigs")
  void loadsUnchangedWithoutProblemsOrWarnings(String name, Path folder, Path cfnDir)
      throws Exception {
    CfnHupConfig config = CfnHupConfig.load(cfnDir);

    assertThat(config.warnings()).isEmpty();
    assertThat(config.hooks()).isNotEmpty();
    assertThat(config.main().stack()).contains("agents-stack");
    assertThat(config.main().region()).contains("eu-west-1");
    assertThat(config.main().intervalMinutes()).isBetween(1, 15);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderedConfigs")
  void everyHookPathFindsAValueInTheMetadata(String name, Path folder, Path cfnDir)
      throws Exception {
    CfnHupConfig config = CfnHupConfig.load(cfnDir);

    for (HookDefinition hook : config.hooks()) {
      MetadataPath path = hook.path();
      Path metadataFile = folder.resolve("metadata").resolve(path.logicalId() + ".json");
      assertThat(metadataFile).as("metadata for hook %s", hook.name()).isRegularFile();
      StackResource resource =
          new StackResource(
              path.logicalId(),
              "AWS::EC2::LaunchTemplate",
              "UPDATE_COMPLETE",
              Optional.of("phys-" + path.logicalId()),
              Optional.of(Instant.parse("2026-12-04T09:20:21Z")),
              Optional.of(Files.readString(metadataFile, StandardCharsets.UTF_8)));

      JsonNode value = PathValue.read(path, resource);

      assertThat(Json.truthy(value)).as("hook %s path %s", hook.name(), path).isTrue();
      assertThat(hook.stateKey()).isEqualTo(hook.name() + "|" + path.text());
    }
  }

  /** The hook file the metadata tells cfn-init to write is the one that was rendered. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("renderedConfigs")
  void renderedHookPathPointsAtTheResourceCarryingTheInit(String name, Path folder, Path cfnDir)
      throws Exception {
    String logicalId = cfnDir.getParent().getParent().getFileName().toString();

    assertThat(CfnHupConfig.load(cfnDir).hooks())
        .allSatisfy(h -> assertThat(h.path().logicalId()).isEqualTo(logicalId));
  }

  @Test
  void subPathHookReadsOnlyItsConfigKey() throws Exception {
    Path folder = inputs().resolve("07-awscfn-cloudwatch-agent-subpath");
    CfnHupConfig config = CfnHupConfig.load(folder.resolve("rendered/EC2Instance/etc/cfn"));
    HookDefinition hook = config.hooks().get(0);
    String metadata =
        Files.readString(folder.resolve("metadata/EC2Instance.json"), StandardCharsets.UTF_8);
    StackResource resource =
        new StackResource(
            "EC2Instance",
            "AWS::EC2::Instance",
            "UPDATE_COMPLETE",
            Optional.empty(),
            Optional.empty(),
            Optional.of(metadata));

    JsonNode value = PathValue.read(hook.path(), resource);

    assertThat(config.main().intervalMinutes()).isEqualTo(1);
    assertThat(hook.path().subPath())
        .containsExactly("AWS::CloudFormation::Init", "02_config-amazon-cloudwatch-agent");
    assertThat(value)
        .isEqualTo(
            Json.parse(metadata)
                .get("AWS::CloudFormation::Init")
                .get("02_config-amazon-cloudwatch-agent"));
  }

  @Test
  void hookWithoutRunasHasNone() throws Exception {
    Path cfnDir =
        inputs().resolve("11-ecs-refarch-ecs-cluster/rendered/ECSLaunchConfiguration/etc/cfn");

    assertThat(CfnHupConfig.load(cfnDir).hooks().get(0).runas()).isEmpty();
  }
}
