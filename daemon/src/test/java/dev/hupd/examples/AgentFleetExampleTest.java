package dev.hupd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keeps examples/agent-fleet consistent: the rendered cfn files, the metadata and the template. */
class AgentFleetExampleTest {

  private static final String EXAMPLE = "examples/agent-fleet";
  private static final String CFN_DIR_ON_HOST = "/etc/cfn/";

  private static Path example;
  private static JsonNode metadata;

  @BeforeAll
  static void load() throws IOException {
    example = findRepoRoot().resolve(EXAMPLE);
    metadata =
        new ObjectMapper().readTree(example.resolve("metadata/AgentLaunchTemplate.json").toFile());
  }

  @Test
  void renderedCfnFilesEqualTheContentInTheMetadataByteForByte() throws IOException {
    Map<String, byte[]> fromMetadata = cfnFilesInMetadata();
    Map<String, byte[]> rendered = renderedCfnFiles();

    assertThat(fromMetadata)
        .containsKeys(
            "cfn-hup.conf", "hooks.d/cfn-auto-reloader.conf", "hooks.d/bamboo-capabilities.conf");
    assertThat(rendered.keySet()).containsExactlyInAnyOrderElementsOf(fromMetadata.keySet());
    fromMetadata.forEach(
        (name, content) -> assertThat(rendered.get(name)).as("cfn/%s", name).isEqualTo(content));
  }

  @Test
  void metadataHasBambooCapabilitiesAsAnObject() {
    JsonNode capabilities = metadata.path("Bamboo").path("Capabilities");

    assertThat(capabilities.isObject()).as("Bamboo.Capabilities is a JSON object").isTrue();
    assertThat(capabilities.path("agent.pool").asText()).isNotEmpty();
  }

  @Test
  void templateDeclaresTheLaunchTemplateGroupAndReadPermission() throws IOException {
    String template = Files.readString(example.resolve("template.yaml"), StandardCharsets.UTF_8);

    assertThat(template)
        .contains("AgentLaunchTemplate:")
        .contains("AWS::AutoScaling::AutoScalingGroup")
        .contains("cloudformation:DescribeStackResource");
  }

  @Test
  void metadataCarriesAValidRolloutPolicyThatTheTemplateMatches() throws Exception {
    dev.hupd.rollout.Policy p =
        dev.hupd.rollout.Policy.parse(metadata.path("Rollout"), "AgentLaunchTemplate.Rollout");

    assertThat(p.canaryCount()).isEqualTo(1);
    assertThat(p.bake()).isEqualTo(java.time.Duration.ofMinutes(10));
    assertThat(p.healthCommand()).startsWith("/usr/bin/docker");
    String template = Files.readString(example.resolve("template.yaml"), StandardCharsets.UTF_8);
    assertThat(template).contains("Rollout:").contains("ssm:PutParameter");
  }

  @Test
  void cfnInitStandInIsExecutable() {
    assertThat(Files.isExecutable(example.resolve("bin/cfn-init"))).isTrue();
  }

  /** Every file cfn-init would write under /etc/cfn, keyed by its path below that folder. */
  private static Map<String, byte[]> cfnFilesInMetadata() {
    Map<String, byte[]> files = new TreeMap<>();
    for (Map.Entry<String, JsonNode> config :
        metadata.path("AWS::CloudFormation::Init").properties()) {
      if (config.getKey().equals("configSets")) {
        continue;
      }
      for (Map.Entry<String, JsonNode> file : config.getValue().path("files").properties()) {
        if (file.getKey().startsWith(CFN_DIR_ON_HOST)) {
          String name = file.getKey().substring(CFN_DIR_ON_HOST.length());
          String content = file.getValue().path("content").asText();
          files.put(name, content.getBytes(StandardCharsets.UTF_8));
        }
      }
    }
    return files;
  }

  /** Every regular file under examples/agent-fleet/cfn, keyed by its '/'-separated path. */
  private static Map<String, byte[]> renderedCfnFiles() throws IOException {
    Path cfn = example.resolve("cfn");
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(cfn)) {
      for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        String name = cfn.relativize(file).toString().replace('\\', '/');
        files.put(name, Files.readAllBytes(file));
      }
    }
    return files;
  }

  private static Path findRepoRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(EXAMPLE))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "No " + EXAMPLE + " in " + Path.of("").toAbsolutePath() + " or any parent folder");
  }
}
