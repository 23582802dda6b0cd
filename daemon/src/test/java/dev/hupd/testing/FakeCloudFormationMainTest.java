package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@link FakeCloudFormation}, run in-process with piped stdin and stdout. */
class FakeCloudFormationMainTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

  @Test
  void servesMetadataDir_reloadsEdits_andStopsWhenStdinCloses(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("Agent.json"), "{\"version\": 1}");
    PipedOutputStream stdinWriter = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(stdinWriter);
    PipedInputStream stdoutReader = new PipedInputStream();
    PrintStream stdout = new PrintStream(new PipedOutputStream(stdoutReader), true);
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(stdoutReader, StandardCharsets.UTF_8));
    String[] args = {"--stack", "build-agents", "--metadata-dir", dir.toString()};

    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(() -> runLauncher(args, stdin, stdout));
    String ready = lines.readLine();

    assertThat(ready).matches("FakeCloudFormation listening on http://127\\.0\\.0\\.1:\\d+/");
    URI endpoint = URI.create(ready.substring(FakeCloudFormationLauncher.READY_PREFIX.length()));
    assertThat(metadataOf(endpoint, "build-agents", "Agent")).isEqualTo("{\"version\":1}");

    Files.writeString(dir.resolve("Agent.json"), "{\"version\": 2}");
    awaitBody(endpoint, "Agent", body -> body.contains("{\\\"version\\\":2}"));

    Files.delete(dir.resolve("Agent.json"));
    awaitBody(endpoint, "Agent", body -> body.contains("does not exist for stack"));

    stdinWriter.close();
    assertThat(exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
    stdout.close();
    assertThat(lines.readLine()).as("nothing but the ready line on stdout").isNull();
  }

  @Test
  void unknownFlag_exitsWithUsageError() throws Exception {
    PrintStream discard = new PrintStream(new java.io.ByteArrayOutputStream(), true);

    int status =
        FakeCloudFormationLauncher.run(
            new String[] {"--bogus"}, new ByteArrayInputStream(new byte[0]), discard);

    assertThat(status).isEqualTo(2);
  }

  private static int runLauncher(String[] args, PipedInputStream stdin, PrintStream stdout) {
    try {
      return FakeCloudFormationLauncher.run(args, stdin, stdout);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String metadataOf(URI endpoint, String stack, String logicalId) throws Exception {
    JsonNode root = JSON.readTree(describe(endpoint, stack, logicalId));
    return root.at(
            "/DescribeStackResourceResponse/DescribeStackResourceResult/StackResourceDetail"
                + "/Metadata")
        .asText();
  }

  private void awaitBody(URI endpoint, String logicalId, Predicate<String> condition)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String body = describe(endpoint, "build-agents", logicalId);
    while (!condition.test(body) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      body = describe(endpoint, "build-agents", logicalId);
    }
    assertThat(body).matches(condition::test, "the reloaded answer");
  }

  private String describe(URI endpoint, String stack, String logicalId) throws Exception {
    URI uri =
        URI.create(
            endpoint
                + "?Action=DescribeStackResource&Version=2010-05-15&ContentType=JSON&StackName="
                + stack
                + "&LogicalResourceId="
                + logicalId);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(WAIT).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }
}
