package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  private static final String ACCESS_KEY = "AKIDAWSCLITEST";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path home;
  private FakeCloudFormation fake;

  @BeforeEach
  void startFake() throws Exception {
    AwsCli.requireInstalled();
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
    AwsCli.Result result =
        aws(Map.of(), "describe-stack-resource", "LaunchTemplate", "agents-stack");

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

    AwsCli.Result result =
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
    AwsCli.Result result = aws(Map.of(), "describe-stack-resource", "LaunchTemplate", "gone-stack");

    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr())
        .contains("ValidationError")
        .contains("Stack with id gone-stack does not exist");
    assertThat(result.stdout()).isEmpty();
  }

  @Test
  void describeStackResources_listsTheStack() throws Exception {
    fake.resource("Queue").type("AWS::SQS::Queue").status("UPDATE_IN_PROGRESS");

    AwsCli.Result result = aws(Map.of(), "describe-stack-resources", null, fake.stackId());

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    JsonNode resources = JSON.readTree(result.stdout()).get("StackResources");
    assertThat(resources).hasSize(2);
    assertThat(resources.get(1).get("LogicalResourceId").asText()).isEqualTo("Queue");
    assertThat(resources.get(1).get("ResourceStatus").asText()).isEqualTo("UPDATE_IN_PROGRESS");
  }

  private AwsCli.Result aws(
      Map<String, String> extraEnv, String operation, String logicalId, String stack)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("--stack-name", stack));
    if (logicalId != null) {
      args.addAll(List.of("--logical-resource-id", logicalId));
    }
    return new AwsCli(home, ACCESS_KEY, "aws-cli-secret-not-real")
        .run(extraEnv, fake.endpoint(), "eu-west-1", "cloudformation", operation, args);
  }
}
