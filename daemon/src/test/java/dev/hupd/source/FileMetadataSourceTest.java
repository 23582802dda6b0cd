package dev.hupd.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.metadata.Json;
import dev.hupd.metadata.StackResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Local metadata: a folder of {@code <LogicalId>.json} files, or one stack-shaped file. */
class FileMetadataSourceTest {

  /** Upper bound for a file-watch notification; inotify normally answers in milliseconds. */
  private static final long WATCH_TIMEOUT_MS = 2_000;

  private static final String INIT = "{\"AWS::CloudFormation::Init\":{\"config\":{\"files\":{}}}}";

  @TempDir Path dir;

  private FileMetadataSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private SourceException failure(String logicalId) {
    SourceException e =
        catchThrowableOfType(SourceException.class, () -> source.describe(logicalId));
    assertThat(e).as("describe(%s) must fail", logicalId).isNotNull();
    return e;
  }

  // ---- folder layout ----

  @Test
  void folderFileIsTheResourceMetadata() throws Exception {
    Path file = write("AgentLT.json", INIT);
    Instant modified = Instant.parse("2026-12-04T10:00:00Z");
    Files.setLastModifiedTime(file, FileTime.from(modified));
    source = new FileMetadataSource(dir);

    StackResource r = source.describe("AgentLT");

    assertThat(r.logicalId()).isEqualTo("AgentLT");
    assertThat(r.metadataText()).contains(INIT);
    assertThat(r.metadata()).contains(Json.parse(INIT));
    assertThat(r.lastUpdated()).contains(modified);
    assertThat(r.inProgress()).isFalse();
    assertThat(r.deleted()).isFalse();
    assertThat(source.description()).contains(dir.toString());
  }

  @Test
  void folderWithoutTheFileIsNotFound() throws Exception {
    write("Other.json", INIT);
    source = new FileMetadataSource(dir);

    SourceException e = failure("AgentLT");

    assertThat(e.kind()).isEqualTo(SourceException.Kind.NOT_FOUND);
    assertThat(e.kind().retryable()).isFalse();
    assertThat(e.getMessage()).contains("AgentLT");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"../AgentLT", "sub/AgentLT", ".hidden"})
  void logicalIdThatIsNotAPlainNameIsNotFound(String logicalId) throws Exception {
    write("sub/AgentLT.json", INIT);
    write(".hidden.json", INIT);
    source = new FileMetadataSource(dir.resolve("sub"));

    assertThat(failure(logicalId).kind()).isEqualTo(SourceException.Kind.NOT_FOUND);
  }

  @Test
  void malformedFolderFileIsInvalidNamingFileAndLine() throws Exception {
    Path file = write("AgentLT.json", "{\n  \"config\": {\n    \"a\": 1,\n  }\n}\n");
    source = new FileMetadataSource(dir);

    SourceException e = failure("AgentLT");

    assertThat(e.kind()).isEqualTo(SourceException.Kind.INVALID);
    assertThat(e.getMessage()).contains(file.toString()).contains("line 4");
  }

  /**
   * An empty or half-written file is not "metadata removed": reading it as absent would fire
   * post.remove hooks while an editor or a non-atomic copy is still writing.
   */
  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "\n", "{\"config\":{\"a\":1}}}", "{\"a\":1} {\"b\":2}"})
  void emptyOrTrailingGarbageFolderFileIsInvalid(String content) throws Exception {
    write("AgentLT.json", content);
    source = new FileMetadataSource(dir);

    assertThat(failure("AgentLT").kind()).isEqualTo(SourceException.Kind.INVALID);
  }

  // ---- stack-file layout ----

  @Test
  void stackFileGivesEveryField() throws Exception {
    write(
        "stack.json",
        "{\"StackName\":\"agents-stack\",\"Resources\":{\"AgentLT\":{"
            + "\"ResourceType\":\"AWS::EC2::LaunchTemplate\","
            + "\"PhysicalResourceId\":\"lt-0123\","
            + "\"ResourceStatus\":\"UPDATE_IN_PROGRESS\","
            + "\"LastUpdatedTimestamp\":\"2023-11-14T22:13:20Z\","
            + "\"Metadata\":"
            + INIT
            + "}}}");
    source = new FileMetadataSource(dir.resolve("stack.json"));

    StackResource r = source.describe("AgentLT");

    assertThat(r.logicalId()).isEqualTo("AgentLT");
    assertThat(r.type()).isEqualTo("AWS::EC2::LaunchTemplate");
    assertThat(r.physicalId()).contains("lt-0123");
    assertThat(r.status()).isEqualTo("UPDATE_IN_PROGRESS");
    assertThat(r.inProgress()).isTrue();
    assertThat(r.lastUpdated()).contains(Instant.ofEpochSecond(1_700_000_000L));
    assertThat(r.metadata()).contains(Json.parse(INIT));
  }

  @Test
  void stackFileAcceptsTheAwsCliTimestampForm() throws Exception {
    write(
        "stack.json",
        "{\"Resources\":{\"AgentLT\":"
            + "{\"LastUpdatedTimestamp\":\"2023-11-14T22:13:20.500000+00:00\"}}}");
    source = new FileMetadataSource(dir.resolve("stack.json"));

    assertThat(source.describe("AgentLT").lastUpdated())
        .contains(Instant.parse("2023-11-14T22:13:20.500Z"));
  }

  @Test
  void stackFileMetadataMayBeAJsonString() throws Exception {
    String quoted = Json.MAPPER.writeValueAsString(INIT);
    write("stack.json", "{\"Resources\":{\"AgentLT\":{\"Metadata\":" + quoted + "}}}");
    source = new FileMetadataSource(dir.resolve("stack.json"));

    StackResource r = source.describe("AgentLT");

    assertThat(r.metadataText()).contains(INIT);
    assertThat(r.metadata()).contains(Json.parse(INIT));
  }

  @Test
  void stackFileWithOnlyMetadataUsesDefaults() throws Exception {
    write("stack.json", "{\"Resources\":{\"AgentLT\":{\"Metadata\":" + INIT + "}}}");
    source = new FileMetadataSource(dir.resolve("stack.json"));

    StackResource r = source.describe("AgentLT");

    assertThat(r.status()).isEqualTo("UPDATE_COMPLETE");
    assertThat(r.physicalId()).isEmpty();
    assertThat(r.lastUpdated()).isEmpty();
  }

  @Test
  void stackFileWithoutMetadataHasNone() throws Exception {
    write("stack.json", "{\"Resources\":{\"AgentLT\":{\"Metadata\":null}}}");
    source = new FileMetadataSource(dir.resolve("stack.json"));

    assertThat(source.describe("AgentLT").metadataText()).isEmpty();
  }

  @Test
  void resourceMissingFromTheStackFileIsNotFound() throws Exception {
    write("stack.json", "{\"Resources\":{\"Other\":{}}}");
    source = new FileMetadataSource(dir.resolve("stack.json"));

    assertThat(failure("AgentLT").kind()).isEqualTo(SourceException.Kind.NOT_FOUND);
  }

  @Test
  void missingStackFileIsNotFound() {
    source = new FileMetadataSource(dir.resolve("absent.json"));

    assertThat(failure("AgentLT").kind()).isEqualTo(SourceException.Kind.NOT_FOUND);
  }

  @Test
  void malformedStackFileIsInvalidNamingFileAndLine() throws Exception {
    Path file = write("stack.json", "{\n\"Resources\": {\n\"AgentLT\": {,}\n}\n}");
    source = new FileMetadataSource(file);

    SourceException e = failure("AgentLT");

    assertThat(e.kind()).isEqualTo(SourceException.Kind.INVALID);
    assertThat(e.getMessage()).contains(file.toString()).contains("line 3");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Resources | {\"Resources\":[]}",
        "Resources | {\"Stack\":{}}",
        "Resources.AgentLT | {\"Resources\":{\"AgentLT\":\"x\"}}",
        "Resources.AgentLT.ResourceType | {\"Resources\":{\"AgentLT\":{\"ResourceType\":1}}}",
        "Resources.AgentLT.ResourceStatus | {\"Resources\":{\"AgentLT\":{\"ResourceStatus\":{}}}}",
        "Resources.AgentLT.PhysicalResourceId"
            + " | {\"Resources\":{\"AgentLT\":{\"PhysicalResourceId\":[\"x\"]}}}",
        "Resources.AgentLT.LastUpdatedTimestamp"
            + " | {\"Resources\":{\"AgentLT\":{\"LastUpdatedTimestamp\":\"yesterday\"}}}",
        "Resources.AgentLT.Metadata | {\"Resources\":{\"AgentLT\":{\"Metadata\":\"{not json\"}}}"
      })
  void badFieldIsInvalidNamingTheField(String field, String json) throws Exception {
    write("stack.json", json);
    source = new FileMetadataSource(dir.resolve("stack.json"));

    SourceException e = failure("AgentLT");

    assertThat(e.kind()).isEqualTo(SourceException.Kind.INVALID);
    assertThat(e.getMessage()).contains("field " + field + " ");
  }

  // ---- watching ----

  @Test
  void watchFiresWhenAFileInTheFolderIsModified() throws Exception {
    Path file = write("AgentLT.json", INIT);
    source = new FileMetadataSource(dir);
    CountDownLatch changed = new CountDownLatch(1);
    source.watch(changed::countDown);

    Files.writeString(file, "{\"config\":2}", StandardCharsets.UTF_8);

    assertThat(changed.await(WATCH_TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();
  }

  @Test
  void watchFiresWhenAFileIsRenamedOverTheWatchedOne() throws Exception {
    Path target = write("metadata/AgentLT.json", INIT);
    Path tmp = write("staging/AgentLT.json.tmp", "{\"config\":3}");
    source = new FileMetadataSource(dir.resolve("metadata"));
    CountDownLatch changed = new CountDownLatch(1);
    source.watch(changed::countDown);

    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

    assertThat(changed.await(WATCH_TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();
    assertThat(source.describe("AgentLT").metadataText()).contains("{\"config\":3}");
  }

  @Test
  void stackFileWatchFiresOnAnAtomicRenameOverIt() throws Exception {
    Path stack = write("stack.json", "{\"Resources\":{}}");
    source = new FileMetadataSource(stack);
    CountDownLatch changed = new CountDownLatch(1);
    source.watch(changed::countDown);

    Path tmp = write("stack.json.tmp", "{\"Resources\":{\"AgentLT\":{\"Metadata\":{}}}}");
    Files.move(tmp, stack, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

    assertThat(changed.await(WATCH_TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();
  }

  @Test
  void stackFileWatchIgnoresOtherFilesInTheFolder() throws Exception {
    Path stack = write("stack.json", "{\"Resources\":{}}");
    source = new FileMetadataSource(stack);
    CountDownLatch changed = new CountDownLatch(1);
    source.watch(changed::countDown);

    write("unrelated.txt", "x");

    assertThat(changed.await(300, TimeUnit.MILLISECONDS)).as("unrelated file").isFalse();
    Files.writeString(stack, "{\"Resources\":{\"X\":{}}}", StandardCharsets.UTF_8);
    assertThat(changed.await(WATCH_TIMEOUT_MS, TimeUnit.MILLISECONDS)).as("stack file").isTrue();
  }
}
