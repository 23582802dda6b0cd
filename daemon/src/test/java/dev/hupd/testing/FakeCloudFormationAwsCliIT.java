package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the fake's XML against an independent client: Debian's AWS CLI (botocore), run as a
 * process with a clean environment, static test credentials and no config files. It must be the
 * system CLI at {@code /usr/bin/aws}, not whatever {@code aws} is first on PATH.
 */
class FakeCloudFormationAwsCliIT {

  private static final Path AWS_CLI = Path.of("/usr/bin/aws");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String ACCESS_KEY = "AKIDAWSCLITEST";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path home;
  private FakeCloudFormation fake;

  @BeforeEach
  void startFake() throws Exception {
    if (!Files.isExecutable(AWS_CLI)) {
      fail(AWS_CLI + " is missing: install Debian's AWS CLI with `apt-get install -y awscli`");
    }
    fake = FakeCloudFormation.start();
    fake.loadMetadataDir(TestInputs.input04());
  }

  @AfterEach
  void stopFake() {
    if (fake != null) {
      fake.close();
    }
  }

  @Test
  void describeStackResource_printsInput04Metadata() throws Exception {
    CliResult result = aws(Map.of(), "describe-stack-resource", "LaunchTemplate", "agents-stack");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    JsonNode detail = JSON.readTree(result.stdout()).get("StackResourceDetail");
    assertThat(JSON.readTree(detail.get("Metadata").asText()))
        .isEqualTo(JSON.readTree(TestInputs.launchTemplateMetadata()));
    assertThat(detail.get("StackId").asText()).isEqualTo(fake.stackId());
    assertThat(detail.get("ResourceStatus").asText()).isEqualTo("CREATE_COMPLETE");
    assertThat(OffsetDateTime.parse(detail.get("LastUpdatedTimestamp").asText()).toInstant())
        .isEqualTo(fake.resource("LaunchTemplate").lastUpdated());
    RecordedRequest request = fake.requests().get(0);
    assertThat(request.accessKeyId()).isEqualTo(ACCESS_KEY);
    assertThat(request.region()).isEqualTo("eu-west-1");
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.protocol()).isEqualTo(RecordedRequest.Protocol.QUERY_XML);
  }

  @Test
  void throttledCall_isRetriedByTheCliUntilItSucceeds() throws Exception {
    fake.throttleNext(2);

    CliResult result =
        aws(
            Map.of("AWS_MAX_ATTEMPTS", "5", "AWS_RETRY_MODE", "standard"),
            "describe-stack-resource",
            "LaunchTemplate",
            "agents-stack");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(JSON.readTree(result.stdout()).at("/StackResourceDetail/Metadata").asText())
        .contains("AWS::CloudFormation::Init");
    assertThat(fake.describeCalls("LaunchTemplate")).isEqualTo(3);
  }

  @Test
  void unknownStack_failsWithTheServiceMessageOnStderr() throws Exception {
    CliResult result = aws(Map.of(), "describe-stack-resource", "LaunchTemplate", "gone-stack");

    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr())
        .contains("ValidationError")
        .contains("Stack with id gone-stack does not exist");
    assertThat(result.stdout()).isEmpty();
  }

  @Test
  void describeStackResources_listsTheStack() throws Exception {
    fake.resource("Queue").type("AWS::SQS::Queue").status("UPDATE_IN_PROGRESS");

    CliResult result = aws(Map.of(), "describe-stack-resources", null, fake.stackId());

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    JsonNode resources = JSON.readTree(result.stdout()).get("StackResources");
    assertThat(resources).hasSize(2);
    assertThat(resources.get(1).get("LogicalResourceId").asText()).isEqualTo("Queue");
    assertThat(resources.get(1).get("ResourceStatus").asText()).isEqualTo("UPDATE_IN_PROGRESS");
  }

  private CliResult aws(
      Map<String, String> extraEnv, String operation, String logicalId, String stack)
      throws Exception {
    List<String> command =
        new ArrayList<>(List.of(AWS_CLI.toString(), "cloudformation", operation));
    command.addAll(List.of("--stack-name", stack));
    if (logicalId != null) {
      command.addAll(List.of("--logical-resource-id", logicalId));
    }
    command.addAll(List.of("--endpoint-url", fake.endpoint().toString(), "--region", "eu-west-1"));
    command.addAll(List.of("--output", "json"));

    ProcessBuilder builder = new ProcessBuilder(command);
    cleanEnvironment(builder.environment());
    builder.environment().putAll(extraEnv);
    Path stdout = home.resolve("stdout.txt");
    Path stderr = home.resolve("stderr.txt");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));

    int exitCode = runBounded(builder.start());
    return new CliResult(
        exitCode,
        Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  /** Nothing from the caller's environment: no profile, proxy or real credentials leak in. */
  private void cleanEnvironment(Map<String, String> env) throws Exception {
    Path emptyConfig = Files.writeString(home.resolve("config"), "");
    Path emptyCredentials = Files.writeString(home.resolve("credentials"), "");
    env.clear();
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", home.toString());
    env.put("LANG", "C.UTF-8");
    env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", "aws-cli-secret-not-real");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", emptyConfig.toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", emptyCredentials.toString());
    env.put("AWS_PAGER", "");
    env.put("AWS_MAX_ATTEMPTS", "1");
    env.put("NO_PROXY", "127.0.0.1,localhost");
  }

  /** Waits at most {@link #TIMEOUT}; on timeout kills the CLI (and anything it started). */
  private static int runBounded(Process process) throws InterruptedException {
    if (process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      return process.exitValue();
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(5, TimeUnit.SECONDS);
    return fail("aws CLI (pid " + process.pid() + ") did not finish within " + TIMEOUT);
  }

  private record CliResult(int exitCode, String stdout, String stderr) {}
}
