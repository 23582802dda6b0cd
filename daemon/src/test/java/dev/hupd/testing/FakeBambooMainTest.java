package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The command line of {@link FakeBamboo}: in-process with piped stdio, and as its own process. */
class FakeBambooMainTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final HttpClient http =
      HttpClient.newBuilder().proxy(ProxySelector.of(null)).connectTimeout(WAIT).build();

  @Test
  void servesUntilStdinCloses_withTheModesFromTheFlags() throws Exception {
    PipedOutputStream stdinWriter = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(stdinWriter);
    PipedInputStream stdoutReader = new PipedInputStream();
    PrintStream stdout = new PrintStream(new PipedOutputStream(stdoutReader), true);
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(stdoutReader, StandardCharsets.UTF_8));
    String[] args = {
      "--manual-approval", "--security-token", "tok", "--bamboo-version", "7.0.1", "--token", "t2"
    };

    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(() -> runLauncher(args, stdin, stdout));
    String ready = lines.readLine();

    assertThat(ready).matches("FakeBamboo listening on http://127\\.0\\.0\\.1:\\d+/bamboo");
    URI base = URI.create(ready.substring(FakeBambooLauncher.READY_PREFIX.length()));
    String auth = get(base, "/_fake/authentication", null);
    assertThat(auth)
        .contains("\"manualApproval\":true")
        .contains("\"securityTokenVerification\":true");
    assertThat(get(base, "/rest/api/latest/info", null)).contains("\"version\":\"7.0.1\"");
    assertThat(get(base, "/rest/api/latest/agent", "Bearer t2")).isEqualTo("[]");

    stdinWriter.close();
    assertThat(exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
  }

  @Test
  void unknownFlag_exitsWithUsageError() throws Exception {
    PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true);

    int status =
        FakeBambooLauncher.run(
            new String[] {"--approve-everything"}, new ByteArrayInputStream(new byte[0]), discard);

    assertThat(status).isEqualTo(2);
  }

  @Test
  void asItsOwnProcess_printsThePort_andStopsOnSigterm() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    FakeBamboo.class.getName(),
                    "--print-port",
                    "--ignore-stdin"))
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String port = out.readLine();
      assertThat(port).matches("\\d+");
      URI base = URI.create("http://127.0.0.1:" + port + "/bamboo");
      assertThat(get(base, "/rest/api/latest/status", null)).isEqualTo("{\"state\":\"RUNNING\"}");

      process.destroy();

      assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("SIGTERM").isEqualTo(143);
    } finally {
      process.destroyForcibly();
    }
  }

  private String get(URI base, String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return response.body();
  }

  private static int runLauncher(String[] args, PipedInputStream stdin, PrintStream stdout) {
    try {
      return FakeBambooLauncher.run(args, stdin, stdout);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
