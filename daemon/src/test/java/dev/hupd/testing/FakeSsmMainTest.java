package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.aws.HttpClients;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.ThrottlingException;

/** The command line of {@link FakeSsm}: in-process with piped stdio, and as its own process. */
class FakeSsmMainTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void servesUntilStdinCloses_withTheQuotaFromTheFlags() throws Exception {
    PipedOutputStream stdinWriter = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(stdinWriter);
    PipedInputStream stdoutReader = new PipedInputStream();
    PrintStream stdout = new PrintStream(new PipedOutputStream(stdoutReader), true);
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(stdoutReader, StandardCharsets.UTF_8));
    String[] args = {"--put-tps", "1", "--get-tps", "100", "--stale-ms", "0"};

    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(() -> runLauncher(args, stdin, stdout));
    String ready = lines.readLine();

    assertThat(ready).matches("FakeSsm listening on http://127\\.0\\.0\\.1:\\d+/");
    URI endpoint = URI.create(ready.substring(FakeSsmLauncher.READY_PREFIX.length()));
    try (SsmClient ssm = client(endpoint)) {
      put(ssm, "/main/a");
      assertThat(ssm.getParameter(r -> r.name("/main/a")).parameter().value()).isEqualTo("v");
      assertThatThrownBy(() -> put(ssm, "/main/b")).isInstanceOf(ThrottlingException.class);
    }

    stdinWriter.close();
    assertThat(exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
    stdout.close();
    assertThat(lines.readLine()).as("nothing but the ready line on stdout").isNull();
  }

  @Test
  void unknownFlag_exitsWithUsageError() throws Exception {
    PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true);

    int status =
        FakeSsmLauncher.run(
            new String[] {"--get-tps", "0"}, new ByteArrayInputStream(new byte[0]), discard);

    assertThat(status).isEqualTo(2);
  }

  @Test
  void asItsOwnProcess_printsTheReadyLine_andStopsOnSigterm() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder =
        new ProcessBuilder(
            List.of(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                FakeSsm.class.getName(),
                "--port",
                "0",
                "--ignore-stdin"));
    builder.redirectErrorStream(true);
    Process process = builder.start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String ready = out.readLine();
      assertThat(ready).startsWith(FakeSsmLauncher.READY_PREFIX + "http://127.0.0.1:");
      URI endpoint = URI.create(ready.substring(FakeSsmLauncher.READY_PREFIX.length()));
      try (SsmClient ssm = client(endpoint)) {
        put(ssm, "/process/a");
        assertThat(ssm.getParameter(r -> r.name("/process/a")).parameter().version()).isEqualTo(1);
      }

      process.destroy();

      assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("SIGTERM").isEqualTo(143);
    } finally {
      process.destroyForcibly();
    }
  }

  private static void put(SsmClient ssm, String name) {
    ssm.putParameter(r -> r.name(name).value("v").type(ParameterType.STRING));
  }

  private static SsmClient client(URI endpoint) {
    return SsmClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .httpClient(HttpClients.urlConnection(Optional.empty()))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private static int runLauncher(String[] args, PipedInputStream stdin, PrintStream stdout) {
    try {
      return FakeSsmLauncher.run(args, stdin, stdout);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
