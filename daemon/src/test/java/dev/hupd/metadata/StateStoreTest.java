package dev.hupd.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Durable last-seen values and failure counts, plus the one-time import of cfn-hup's state. */
class StateStoreTest {

  private static final String KEY =
      "cfn-auto-reloader-hook|Resources.AgentLT.Metadata.AWS::CloudFormation::Init";

  @TempDir Path dir;

  private Path stateDir() {
    return dir.resolve("state");
  }

  private StateStore open() throws Exception {
    return StateStore.open(stateDir(), Optional.empty());
  }

  private Path cfnHupDb(String json) throws IOException {
    Path file = dir.resolve("cfn-hup/metadata_db.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, json, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void newStoreIsEmptyAndAnswersNull() throws Exception {
    StateStore store = open();

    assertThat(store.keys()).isEmpty();
    assertThat(store.get(KEY)).isEqualTo(NullNode.getInstance());
    assertThat(store.file()).isEqualTo(stateDir().resolve(StateStore.FILE_NAME));
  }

  @Test
  void createdFolderIsPrivate() throws Exception {
    open();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir())))
        .isEqualTo("rwx------");
  }

  @Test
  void valuesSurviveReopening() throws Exception {
    JsonNode value =
        Json.parse("{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\"}}}}");
    StateStore store = open();

    store.put(KEY, value);
    store.put("other|Resources.X", NullNode.getInstance());
    StateStore reopened = open();

    assertThat(reopened.get(KEY)).isEqualTo(value);
    assertThat(reopened.get("other|Resources.X").isNull()).isTrue();
    assertThat(reopened.keys()).containsExactly(KEY, "other|Resources.X");
  }

  @Test
  void laterPutReplacesTheValue() throws Exception {
    StateStore store = open();

    store.put(KEY, Json.parse("{\"v\":1}"));
    store.put(KEY, Json.parse("{\"v\":2}"));

    assertThat(open().get(KEY)).isEqualTo(Json.parse("{\"v\":2}"));
  }

  /**
   * cfn-hup stores {@code 1.0} with json.dump and reads back a float, so after a restart
   * CFN_OLD_METADATA still shows {@code 1.0} (§8); the value must not come back as {@code 1}.
   */
  @Test
  void floatValueKeepsItsFloatFormAcrossReopening() throws Exception {
    StateStore store = open();

    store.put(KEY, Json.parse("{\"v\":1.0,\"w\":[2.50]}"));

    assertThat(Json.forEnvironment(store.get(KEY))).isEqualTo("{\"v\": 1.0, \"w\": [2.5]}");
    assertThat(Json.forEnvironment(open().get(KEY))).isEqualTo("{\"v\": 1.0, \"w\": [2.5]}");
  }

  @Test
  void returnedValueIsACopy() throws Exception {
    StateStore store = open();
    store.put(KEY, Json.parse("{\"a\":1}"));

    ((com.fasterxml.jackson.databind.node.ObjectNode) store.get(KEY)).put("a", 2);

    assertThat(store.get(KEY)).isEqualTo(Json.parse("{\"a\":1}"));
  }

  @Test
  void stateFileIsOwnerOnlyAndNoTemporaryFileIsLeft() throws Exception {
    StateStore store = open();

    store.put(KEY, Json.parse("{\"a\":1}"));
    store.recordFailure(KEY, "change-1");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())))
        .isEqualTo("rw-------");
    try (Stream<Path> files = Files.list(stateDir())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("state.json");
    }
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "",
        "{\"format\":\"hupd-state/1\",\"values\":{\"k\":",
        "not json",
        "[]",
        "{\"values\":{}}",
        "{\"format\":\"hupd-state/2\",\"values\":{}}"
      })
  void corruptStateFileFailsNamingTheFileAndIsLeftAlone(String content) throws Exception {
    Files.createDirectories(stateDir());
    Path file = stateDir().resolve(StateStore.FILE_NAME);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    Path cfnHup = cfnHupDb("{\"" + KEY + "\": {\"a\": 1}}");

    StateStore.StateException e =
        catchThrowableOfType(
            StateStore.StateException.class,
            () -> StateStore.open(stateDir(), Optional.of(cfnHup)));

    assertThat(e).as("open must refuse the file instead of starting empty").isNotNull();
    assertThat(e.getMessage()).contains(file.toString());
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(content);
  }

  @Test
  void importsCfnHupStateIncludingItsDatetimeSerialization() throws Exception {
    Path db =
        cfnHupDb(
            "{\""
                + KEY
                + "\": {\"config\": {\"a\": 1}},"
                + " \"stamp|Resources.AgentLT\":"
                + " {\"_datetime: special_serialization: not_regular_json_\":"
                + " \"\\\"2023-11-14T22:13:20.000000\\\"\"},"
                + " \"fraction|Resources.AgentLT\":"
                + " {\"_datetime: special_serialization: not_regular_json_\":"
                + " \"\\\"2023-11-14T22:14:20.500000\\\"\"},"
                + " \"gone|Resources.AgentLT.Metadata.x\": null,"
                + " \"id|Resources.AgentLT.PhysicalResourceId\": \"lt-0123\"}");

    StateStore store = StateStore.open(stateDir(), Optional.of(db));

    assertThat(store.get(KEY)).isEqualTo(Json.parse("{\"config\":{\"a\":1}}"));
    assertThat(store.get("stamp|Resources.AgentLT").textValue()).isEqualTo("2023-11-14T22:13:20");
    assertThat(store.get("fraction|Resources.AgentLT").textValue())
        .isEqualTo(PathValue.pythonIsoFormat(java.time.Instant.parse("2023-11-14T22:14:20.5Z")));
    assertThat(store.get("gone|Resources.AgentLT.Metadata.x").isNull()).isTrue();
    assertThat(store.get("id|Resources.AgentLT.PhysicalResourceId").textValue())
        .isEqualTo("lt-0123");
    assertThat(Files.exists(store.file())).as("import is saved at once").isTrue();
  }

  @Test
  void importedTimestampEqualsWhatThePathNowReads() throws Exception {
    Path db =
        cfnHupDb(
            "{\"stamp|Resources.AgentLT\": {\"_datetime: special_serialization:"
                + " not_regular_json_\": \"\\\"2023-11-14T22:13:20.000000\\\"\"}}");
    StackResource resource =
        new StackResource(
            "AgentLT",
            "AWS::EC2::LaunchTemplate",
            "UPDATE_COMPLETE",
            Optional.empty(),
            Optional.of(java.time.Instant.ofEpochSecond(1_700_000_000L)),
            Optional.empty());
    String[] error = new String[1];
    MetadataPath path = MetadataPath.parse("Resources.AgentLT", error).orElseThrow();

    StateStore store = StateStore.open(stateDir(), Optional.of(db));

    assertThat(Json.same(store.get("stamp|Resources.AgentLT"), PathValue.read(path, resource)))
        .isTrue();
  }

  @Test
  void importHappensOnlyWhenThereIsNoStateYet() throws Exception {
    Path db = cfnHupDb("{\"" + KEY + "\": {\"v\": 1}}");
    StateStore store = StateStore.open(stateDir(), Optional.of(db));
    store.put(KEY, Json.parse("{\"v\": 2}"));

    StateStore reopened = StateStore.open(stateDir(), Optional.of(db));

    assertThat(reopened.get(KEY)).isEqualTo(Json.parse("{\"v\": 2}"));
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "{\"truncated\": ", "[]"})
  void unusableCfnHupStateStartsEmptyAsCfnHupWould(String content) throws Exception {
    Path db = cfnHupDb(content);

    StateStore store = StateStore.open(stateDir(), Optional.of(db));

    assertThat(store.keys()).isEmpty();
  }

  @Test
  void missingImportFileStartsEmpty() throws Exception {
    StateStore store = StateStore.open(stateDir(), Optional.of(dir.resolve("absent.json")));

    assertThat(store.keys()).isEmpty();
  }

  @Test
  void failuresCountPerChangeAndResetWhenTheChangeDiffers() throws Exception {
    StateStore store = open();

    assertThat(store.recordFailure(KEY, "old->v2")).isEqualTo(1);
    assertThat(store.recordFailure(KEY, "old->v2")).isEqualTo(2);
    assertThat(store.failures(KEY, "old->v2")).isEqualTo(2);
    assertThat(store.failures(KEY, "old->v3")).isZero();
    assertThat(store.recordFailure(KEY, "old->v3")).isEqualTo(1);
    assertThat(store.failures(KEY, "old->v2")).isZero();
  }

  @Test
  void failureCountsSurviveReopeningAndAreClearedByPut() throws Exception {
    StateStore store = open();
    store.recordFailure(KEY, "change");
    store.recordFailure(KEY, "change");
    store.recordFailure("other", "x");

    StateStore reopened = open();
    assertThat(reopened.failures(KEY, "change")).isEqualTo(2);

    reopened.put(KEY, Json.parse("1"));
    assertThat(reopened.failures(KEY, "change")).isZero();
    assertThat(open().failures(KEY, "change")).isZero();
    assertThat(open().failures("other", "x")).isEqualTo(1);
  }
}
