package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drives {@link FakeCloudFormation} the way cfn-hup does: a GET with {@code ContentType=JSON}, read
 * as JSON, with the timestamp as epoch seconds and Metadata as a JSON string.
 */
class FakeCloudFormationJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DETAIL_PATH =
      "/DescribeStackResourceResponse/DescribeStackResourceResult/StackResourceDetail";

  private final HttpClient http =
      HttpClient.newBuilder()
          .proxy(HttpClient.Builder.NO_PROXY)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private FakeCloudFormation fake;

  @BeforeEach
  void startFake() throws Exception {
    fake = FakeCloudFormation.start();
    fake.loadMetadataDir(TestInputs.input04());
  }

  @AfterEach
  void stopFake() {
    fake.close();
  }

  @Test
  void describeStackResource_answersJsonWithEpochNumberAndMetadataString() throws Exception {
    fake.resource("LaunchTemplate").lastUpdated(Instant.parse("2023-11-14T22:13:20.500Z"));

    HttpResponse<String> response = get(cfnHupQuery("agents-stack", "LaunchTemplate"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode root = JSON.readTree(response.body());
    JsonNode detail = root.at(DETAIL_PATH);
    assertThat(detail.get("LastUpdatedTimestamp").isNumber()).isTrue();
    assertThat(detail.get("LastUpdatedTimestamp").asDouble()).isEqualTo(1_700_000_000.5);
    assertThat(detail.get("Metadata").isTextual()).isTrue();
    assertThat(JSON.readTree(detail.get("Metadata").asText()))
        .isEqualTo(JSON.readTree(TestInputs.launchTemplateMetadata()));
    assertThat(detail.get("LogicalResourceId").asText()).isEqualTo("LaunchTemplate");
    assertThat(detail.get("ResourceType").asText()).isEqualTo("AWS::EC2::LaunchTemplate");
    assertThat(detail.get("ResourceStatus").asText()).isEqualTo("CREATE_COMPLETE");
    assertThat(detail.get("StackId").asText()).isEqualTo(fake.stackId());
    assertThat(detail.get("PhysicalResourceId").asText()).startsWith("lt-");
    assertThat(root.at("/DescribeStackResourceResponse/ResponseMetadata/RequestId").asText())
        .isNotEmpty()
        .isEqualTo(response.headers().firstValue("x-amzn-RequestId").orElseThrow());
  }

  @Test
  void request_isRecordedAsJsonProtocolGet() throws Exception {
    get(cfnHupQuery(fake.stackId(), "LaunchTemplate"));

    RecordedRequest request = fake.requests().get(0);
    assertThat(request.method()).isEqualTo("GET");
    assertThat(request.protocol()).isEqualTo(RecordedRequest.Protocol.JSON);
    assertThat(request.stackName()).isEqualTo(fake.stackId());
    assertThat(request.accessKeyId()).isEqualTo("AKIDCFNHUP");
    assertThat(request.region()).isEqualTo("us-east-1");
    assertThat(fake.describeCalls("LaunchTemplate")).isEqualTo(1);
  }

  @Test
  void resourceWithoutMetadata_hasNoMetadataField() throws Exception {
    fake.resource("Queue").type("AWS::SQS::Queue");

    JsonNode detail =
        JSON.readTree(get(cfnHupQuery("agents-stack", "Queue")).body()).at(DETAIL_PATH);

    assertThat(detail.has("Metadata")).isFalse();
    assertThat(detail.get("ResourceType").asText()).isEqualTo("AWS::SQS::Queue");
  }

  @Test
  void unknownStack_answersErrorJson() throws Exception {
    HttpResponse<String> response = get(cfnHupQuery("gone-stack", "LaunchTemplate"));

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree(response.body()).get("Error");
    assertThat(error.get("Code").asText()).isEqualTo("ValidationError");
    assertThat(error.get("Type").asText()).isEqualTo("Sender");
    assertThat(error.get("Message").asText()).isEqualTo("Stack with id gone-stack does not exist");
  }

  @Test
  void throttlingAndServerErrors_answerErrorJson() throws Exception {
    fake.throttleNext(1).failNext(1, 503);

    HttpResponse<String> throttled = get(cfnHupQuery("agents-stack", "LaunchTemplate"));
    HttpResponse<String> unavailable = get(cfnHupQuery("agents-stack", "LaunchTemplate"));
    HttpResponse<String> fine = get(cfnHupQuery("agents-stack", "LaunchTemplate"));

    assertThat(throttled.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(throttled.body()).at("/Error/Code").asText()).isEqualTo("Throttling");
    assertThat(unavailable.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(unavailable.body()).at("/Error/Type").asText()).isEqualTo("Receiver");
    assertThat(fine.statusCode()).isEqualTo(200);
  }

  @Test
  void unknownAction_isInvalidAction() throws Exception {
    HttpResponse<String> response =
        get("Action=DeleteStack&StackName=agents-stack&Version=2010-05-15&ContentType=JSON");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(response.body()).at("/Error/Code").asText())
        .isEqualTo("InvalidAction");
  }

  @Test
  void missingLogicalId_isValidationError() throws Exception {
    HttpResponse<String> response =
        get("Action=DescribeStackResource&StackName=agents-stack&ContentType=JSON");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(response.body()).at("/Error/Message").asText())
        .contains("'logicalResourceId'");
  }

  @Test
  void getWithoutContentType_answersQueryXml() throws Exception {
    HttpResponse<String> response =
        get("Action=DescribeStackResource&StackName=agents-stack&LogicalResourceId=LaunchTemplate");

    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/xml");
    assertThat(response.body())
        .startsWith("<DescribeStackResourceResponse xmlns=\"" + QueryXmlFormat.NAMESPACE + "\">")
        .contains("<Metadata>{&quot;AWS::CloudFormation::Init&quot;:");
  }

  /** The query cfn-bootstrap 1.4-31 was observed to send, parameter order included. */
  private static String cfnHupQuery(String stack, String logicalId) {
    return "Action=DescribeStackResource&StackName="
        + stack
        + "&Version=2010-05-15&ContentType=JSON&LogicalResourceId="
        + logicalId;
  }

  private HttpResponse<String> get(String query) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(fake.endpoint() + "?" + query))
            .header("Accept", "application/json")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDCFNHUP/20261204/us-east-1/cloudformation/"
                    + "aws4_request,SignedHeaders=accept;host;x-amz-date, Signature=00")
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
