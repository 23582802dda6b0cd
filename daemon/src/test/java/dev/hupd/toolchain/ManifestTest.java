package dev.hupd.toolchain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.testing.HupdProcess;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ManifestTest {

  static final String DIGEST = "a".repeat(64);

  static Manifest.InvalidManifestException invalid(String json) {
    return catchThrowableOfType(
        Manifest.InvalidManifestException.class, () -> Manifest.parse(Json.parse(json)));
  }

  @Test
  void fullEntryWithDefaults() throws Exception {
    Manifest m =
        Manifest.parse(
            Json.parse(
                "{\"toolchains\":[{\"name\":\"jdk17\",\"image\":\"registry.example.com:5000/ci/jdk:17@sha256:"
                    + DIGEST
                    + "\",\"verify\":{\"command\":[\"java\",\"-version\"],\"outputPattern\":\"17\\\\.\"},"
                    + "\"capabilities\":{\"system.jdk.JDK 17\":\"/opt/java\"},\"build\":\"COPY ca.pem /etc/ssl/\"}]}"));
    assertThat(m.keep()).isEqualTo(2);
    Toolchain t = m.toolchains().get(0);
    assertThat(t.pinned()).isTrue();
    assertThat(t.verify().exitCode()).isZero();
    assertThat(t.verify().timeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(t.verify().network()).isFalse();
    assertThat(t.verify().memoryBytes()).isEqualTo(512L << 20);
    assertThat(t.verify().nanoCpus()).isEqualTo(1_000_000_000L);
    assertThat(t.capabilities()).containsEntry("system.jdk.JDK 17", "/opt/java");
    assertThat(t.build()).contains("COPY ca.pem /etc/ssl/");
  }

  @Test
  void tagOnlyIsAcceptedButNotPinned() throws Exception {
    Manifest m =
        Manifest.parse(
            Json.parse(
                "{\"toolchains\":[{\"name\":\"node\",\"image\":\"127.0.0.1:5000/ci/node:20\",\"verify\":{\"command\":[\"node\",\"-v\"]}}]}"));
    assertThat(m.toolchains().get(0).pinned()).isFalse();
  }

  @Test
  void everyProblemNamesTheToolchainAndField() {
    var e =
        invalid(
            "{\"keep\":1,\"toolchains\":[{\"name\":\"jdk\",\"image\":\"Bad Ref\",\"verify\":{\"command\":\"java -version\",\"timeoutSeconds\":0,\"outputPattern\":\"(\"},\"extra\":1},"
                + "{\"name\":\"jdk\",\"image\":\"r/x@sha256:"
                + DIGEST
                + "\",\"verify\":{\"command\":[\"x\"]},\"build\":\"FROM scratch\"}]}");
    assertThat(e.problems())
        .anyMatch(p -> p.startsWith("manifest.keep"))
        .anyMatch(p -> p.startsWith("toolchains[0] (jdk).image"))
        .anyMatch(p -> p.startsWith("toolchains[0] (jdk).verify.command"))
        .anyMatch(p -> p.startsWith("toolchains[0] (jdk).verify.timeoutSeconds"))
        .anyMatch(p -> p.startsWith("toolchains[0] (jdk).verify.outputPattern"))
        .anyMatch(p -> p.startsWith("toolchains[0] (jdk).extra"))
        .anyMatch(p -> p.startsWith("toolchains[1] (jdk).build"));
  }

  @Test
  void duplicateNamesAndBadDigestsAreRejected() {
    assertThat(
            invalid(
                    "{\"toolchains\":[{\"name\":\"a\",\"image\":\"r/x\",\"verify\":{\"command\":[\"x\"]}},{\"name\":\"a\",\"image\":\"r/y\",\"verify\":{\"command\":[\"x\"]}}]}")
                .problems())
        .anyMatch(p -> p.contains("duplicate name"));
    assertThat(
            invalid(
                    "{\"toolchains\":[{\"name\":\"a\",\"image\":\"r/x@sha256:abc\",\"verify\":{\"command\":[\"x\"]}}]}")
                .problems())
        .anyMatch(p -> p.startsWith("toolchains[0] (a).image"));
  }

  @Test
  void theSchemaFileDescribesExactlyTheFieldsTheParserAccepts() throws Exception {
    JsonNode schema =
        Json.parse(
            Files.readString(
                HupdProcess.repoRoot().resolve("docs/toolchain-manifest.schema.json")));
    assertThat(names(schema.get("properties"))).containsExactlyInAnyOrder("keep", "toolchains");
    assertThat(names(schema.at("/$defs/toolchain/properties")))
        .containsExactlyInAnyOrder("name", "image", "verify", "capabilities", "build");
    assertThat(names(schema.at("/$defs/verify/properties")))
        .containsExactlyInAnyOrder(
            "command",
            "exitCode",
            "outputPattern",
            "timeoutSeconds",
            "memoryMb",
            "cpus",
            "network");
    assertThat(schema.at("/$defs/toolchain/properties/name/pattern").asText())
        .isEqualTo("^" + Manifest.NAME.pattern() + "$");
  }

  @Test
  void theExampleStackCarriesAValidManifest() throws Exception {
    JsonNode metadata =
        Json.parse(
            Files.readString(
                HupdProcess.repoRoot()
                    .resolve("examples/agent-fleet/metadata/AgentLaunchTemplate.json")));
    Manifest m = Manifest.parse(metadata.get("Toolchains"));
    assertThat(m.toolchains()).extracting(Toolchain::name).containsExactly("jdk17", "node20");
    assertThat(m.toolchains()).allMatch(Toolchain::pinned);
  }

  @Test
  void namesMustBeValidDockerRepositoryComponentsAndReferencesBounded() {
    for (String bad : new String[] {"x-", "a..b", "a_.b", "a___b", "-a", "A", "a".repeat(64)}) {
      assertThat(
              invalid(
                      "{\"toolchains\":[{\"name\":\""
                          + bad
                          + "\",\"image\":\"r/x\",\"verify\":{\"command\":[\"x\"]}}]}")
                  .problems())
          .as(bad)
          .anyMatch(p -> p.contains(".name:"));
    }
    String huge = "127.0.0.1:5000/" + "a_a/".repeat(250) + "x:1";
    assertThat(
            invalid(
                    "{\"toolchains\":[{\"name\":\"ok\",\"image\":\""
                        + huge
                        + "\",\"verify\":{\"command\":[\"x\"]}}]}")
                .problems())
        .anyMatch(p -> p.contains(".image:"));
  }

  static Set<String> names(JsonNode node) {
    Set<String> s = new HashSet<>();
    node.fieldNames().forEachRemaining(s::add);
    return s;
  }
}
