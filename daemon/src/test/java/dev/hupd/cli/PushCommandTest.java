package dev.hupd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.rollout.DirStore;
import dev.hupd.rollout.Names;
import dev.hupd.rollout.Publisher;
import dev.hupd.rollout.Records;
import dev.hupd.rollout.RolloutStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hupd push} through {@link Main} on a folder store. */
class PushCommandTest {

  static final String RP = "Resources.Agent.Metadata.Rollout";
  static final String POLICY = "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":1}";

  @TempDir Path dir;

  static String document(int version, String policy) {
    return "{\"Resources\":{\"Agent\":{\"Metadata\":{\"Tools\":{\"version\":"
        + version
        + "}"
        + (policy == null ? "" : ",\"Rollout\":" + policy)
        + "}}}}";
  }

  private Path file(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  private CliRun push(Path file, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "push",
                file.toString(),
                "--store",
                "dir:" + dir.resolve("store"),
                "--fleet",
                "demo",
                "--rollout-path",
                RP));
    args.addAll(List.of(more));
    return CliRun.of(Map.of("USER", "alice", "HOSTNAME", "laptop"), args.toArray(String[]::new));
  }

  @Test
  void push_printsTheRevisionAndHowItRollsOut() throws Exception {
    CliRun first = push(file("v1.json", document(1, POLICY)));
    CliRun second = push(file("v2.json", document(2, POLICY)), "--message", "new tools");
    CliRun again = push(file("v2-again.json", document(2, POLICY)));

    assertThat(first.code()).as(first.toString()).isZero();
    assertThat(first.out()).isEqualTo("revision 1 (applied on sight)\n");
    assertThat(second.out()).isEqualTo("revision 2 (gated)\n");
    assertThat(again.out()).isEqualTo("revision 2 (unchanged)\n");
    try (RolloutStore store = DirStore.open(dir.resolve("store"))) {
      Names names = new Names("demo");
      JsonNode meta = Records.read(store.get(List.of(names.meta(2))).get(names.meta(2)).value());
      assertThat(meta.path("message").asText()).isEqualTo("new tools");
      assertThat(meta.path("agent").asText()).isEqualTo("alice@laptop");
      JsonNode source =
          Records.read(store.get(List.of(names.source())).get(names.source()).value());
      assertThat(source.path("kind").asText()).isEqualTo("source");
      assertThat(source.path("rev").asLong()).isEqualTo(2);
      assertThat(source.path("sha").asText())
          .isEqualTo(Publisher.identity(document(2, POLICY)))
          .isEqualTo(meta.path("sha").asText());
      assertThat(source.path("content")).isEqualTo(meta.path("content"));
    }
  }

  @Test
  void push_ofTextThatIsNotJson_exits78NamingTheFile() throws Exception {
    Path f = file("broken.json", "{\"Resources\": ");

    CliRun run = push(f);

    assertThat(run.code()).as(run.toString()).isEqualTo(78);
    assertThat(run.err()).contains(f.toString()).contains("not valid JSON");
    assertThat(Files.exists(dir.resolve("store"))).isFalse();
  }

  @Test
  void push_ofABadPolicy_exits78NamingTheFileAndField() throws Exception {
    Path f = file("policy.json", document(1, "{\"canaries\":1,\"maxParallel\":\"lots\"}"));

    CliRun run = push(f);

    assertThat(run.code()).as(run.toString()).isEqualTo(78);
    assertThat(run.err()).contains(f.toString()).contains(RP + ".maxParallel");
  }

  @Test
  void push_ofAMalformedResource_exits78NamingTheField() throws Exception {
    Path f = file("shape.json", "{\"Resources\":{\"Agent\":{\"ResourceType\":5,\"Metadata\":{}}}}");

    CliRun run = push(f);

    assertThat(run.code()).as(run.toString()).isEqualTo(78);
    assertThat(run.err()).contains(f.toString()).contains("Resources.Agent.ResourceType");
  }

  @Test
  void push_withoutAFleet_isAUsageError() throws Exception {
    Path f = file("v1.json", document(1, null));

    CliRun run = CliRun.of(Map.of(), "push", f.toString(), "--store", "dir:" + dir);

    assertThat(run.code()).as(run.toString()).isEqualTo(64);
    assertThat(run.err()).contains("--fleet");
  }

  @Test
  void push_toSsmWithoutARegion_isAUsageError() throws Exception {
    Path f = file("v1.json", document(1, null));

    CliRun run = CliRun.of(Map.of(), "push", f.toString(), "--store", "ssm", "--fleet", "demo");

    assertThat(run.code()).as(run.toString()).isEqualTo(64);
    assertThat(run.err()).contains("region");
  }

  @Test
  void push_readsStoreFleetAndRolloutPathFromSettings() throws Exception {
    Path settings =
        file("hupd.conf", "[hupd]\nstore = dir:store\nfleet = demo\nrollout-path = " + RP + "\n");
    file("v1.json", document(1, POLICY));
    Path v2 = file("v2.json", document(2, POLICY));
    CliRun.of(
        Map.of(), "--settings", settings.toString(), "push", dir.resolve("v1.json").toString());

    CliRun run = CliRun.of(Map.of(), "push", v2.toString(), "--settings", settings.toString());

    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(run.out()).isEqualTo("revision 2 (gated)\n");
  }
}
