package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.DescribeStackResourcesResponse;
import software.amazon.awssdk.services.cloudformation.model.ResourceStatus;
import software.amazon.awssdk.services.cloudformation.model.StackResourceDetail;

/** Drives {@link FakeCloudFormation} with the AWS SDK v2 client hupd uses in production. */
class FakeCloudFormationSdkTest {

  private static final String STACK = "agents-stack";
  private static final String RESOURCE = "LaunchTemplate";
  private static final String ACCESS_KEY = "AKIDSDKCLIENT";
  private static final String REGION = "eu-west-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeCloudFormation fake;
  private CloudFormationClient client;

  @BeforeEach
  void startFake() throws Exception {
    fake = FakeCloudFormation.start();
    fake.loadMetadataDir(TestInputs.input04());
    client = client(fake.endpoint(), REGION, AwsRetryStrategy.doNotRetry(), null);
  }

  @AfterEach
  void stopFake() {
    client.close();
    fake.close();
  }

  @ParameterizedTest(name = "stack named by {0}")
  @ValueSource(strings = {"name", "stack id"})
  void describeStackResource_returnsInput04MetadataUnchanged(String how) throws Exception {
    String stackRef = how.equals("name") ? STACK : fake.stackId();

    StackResourceDetail detail = describe(stackRef, RESOURCE);

    assertThat(JSON.readTree(detail.metadata()))
        .isEqualTo(JSON.readTree(TestInputs.launchTemplateMetadata()));
    assertThat(detail.stackName()).isEqualTo(STACK);
    assertThat(detail.stackId())
        .isEqualTo(
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/agents-stack/"
                + "00000000-0000-0000-0000-000000000000");
    assertThat(detail.logicalResourceId()).isEqualTo(RESOURCE);
    assertThat(detail.resourceType()).isEqualTo("AWS::EC2::LaunchTemplate");
    assertThat(detail.physicalResourceId()).matches("lt-[0-9a-f]{17}");
    assertThat(detail.resourceStatus()).isEqualTo(ResourceStatus.CREATE_COMPLETE);
    assertThat(detail.lastUpdatedTimestamp()).isEqualTo(fake.resource(RESOURCE).lastUpdated());
    assertThat(detail.driftInformation().stackResourceDriftStatusAsString())
        .isEqualTo("NOT_CHECKED");
  }

  @Test
  void lastUpdatedTimestamp_keepsMilliseconds() {
    Instant stamp = Instant.parse("2024-05-06T07:08:09.123Z");
    fake.resource(RESOURCE).lastUpdated(stamp);

    assertThat(describe(STACK, RESOURCE).lastUpdatedTimestamp()).isEqualTo(stamp);
  }

  @Test
  void resourceWithoutMetadata_hasNullMetadata() {
    fake.resource("Bucket").type("AWS::S3::Bucket").physicalId("agents-bucket-1x2y");

    StackResourceDetail detail = describe(STACK, "Bucket");

    assertThat(detail.metadata()).isNull();
    assertThat(detail.resourceType()).isEqualTo("AWS::S3::Bucket");
    assertThat(detail.physicalResourceId()).isEqualTo("agents-bucket-1x2y");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"UPDATE_IN_PROGRESS", "DELETE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})
  void resourceStatus_comesThroughUnchanged(String status) {
    fake.resource(RESOURCE).status(status);

    StackResourceDetail detail = describe(STACK, RESOURCE);

    assertThat(detail.resourceStatusAsString()).isEqualTo(status);
    assertThat(detail.physicalResourceId()).isNotNull();
    assertThat(detail.metadata()).isNotNull();
  }

  @Test
  void unknownStack_isValidationError() {
    assertThatThrownBy(() -> describe("no-such-stack", RESOURCE))
        .isInstanceOfSatisfying(
            CloudFormationException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(400);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
              assertThat(e.awsErrorDetails().errorMessage())
                  .isEqualTo("Stack with id no-such-stack does not exist");
            });
  }

  @Test
  void unknownResource_isValidationError() {
    assertThatThrownBy(() -> describe(STACK, "NoSuchResource"))
        .isInstanceOfSatisfying(
            CloudFormationException.class,
            e -> {
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
              assertThat(e.awsErrorDetails().errorMessage())
                  .isEqualTo("Resource NoSuchResource does not exist for stack agents-stack");
            });
  }

  @Test
  void removedResource_isValidationError() {
    fake.removeResource(RESOURCE);

    assertThatThrownBy(() -> describe(STACK, RESOURCE))
        .isInstanceOf(CloudFormationException.class)
        .hasMessageContaining("Resource LaunchTemplate does not exist for stack agents-stack");
  }

  @Test
  void throttling_surfacesAsThrottlingCode() {
    fake.throttleNext(1);

    assertThatThrownBy(() -> describe(STACK, RESOURCE))
        .isInstanceOfSatisfying(
            CloudFormationException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(400);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("Throttling");
              assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Rate exceeded");
              assertThat(e.isThrottlingException()).isTrue();
            });
    assertThat(fake.describeCalls(RESOURCE)).isEqualTo(1);
    assertThat(describe(STACK, RESOURCE).metadata()).isNotNull();
  }

  @Test
  void throttling_isRetriedByTheSdkUntilItSucceeds() {
    fake.throttleNext(2);
    RetryStrategy threeQuickAttempts =
        AwsRetryStrategy.standardRetryStrategy().toBuilder()
            .maxAttempts(3)
            .backoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(10)))
            .throttlingBackoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(10)))
            .build();

    try (CloudFormationClient retrying =
        client(fake.endpoint(), REGION, threeQuickAttempts, null)) {
      StackResourceDetail detail =
          retrying
              .describeStackResource(r -> r.stackName(STACK).logicalResourceId(RESOURCE))
              .stackResourceDetail();

      assertThat(detail.metadata()).isNotNull();
    }
    assertThat(fake.describeCalls(RESOURCE)).isEqualTo(3);
  }

  @ParameterizedTest(name = "HTTP {0} is {1}")
  @CsvSource({"500, InternalFailure", "503, ServiceUnavailable", "502, InternalFailure"})
  void serverError_surfacesWithStatusAndCode(int status, String code) {
    fake.failNext(1, status);

    assertThatThrownBy(() -> describe(STACK, RESOURCE))
        .isInstanceOfSatisfying(
            CloudFormationException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(status);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
            });
  }

  @Test
  void accessDenied_persistsUntilReset() {
    fake.accessDenied(true);

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> describe(STACK, RESOURCE))
          .isInstanceOfSatisfying(
              CloudFormationException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(403);
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
                assertThat(e.awsErrorDetails().errorMessage())
                    .contains("cloudformation:DescribeStackResource")
                    .endsWith("on resource: " + fake.stackId());
              });
    }
    fake.reset();
    assertThat(describe(STACK, RESOURCE).metadata()).isNotNull();
  }

  @Test
  void delayLongerThanAttemptTimeout_timesOut() {
    fake.delay(Duration.ofSeconds(3));

    try (CloudFormationClient impatient =
        client(fake.endpoint(), REGION, AwsRetryStrategy.doNotRetry(), Duration.ofMillis(300))) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  impatient.describeStackResource(
                      r -> r.stackName(STACK).logicalResourceId(RESOURCE)))
          .isInstanceOf(ApiCallAttemptTimeoutException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void delayShorterThanAttemptTimeout_answers() {
    fake.delay(Duration.ofMillis(200));

    try (CloudFormationClient patient =
        client(fake.endpoint(), REGION, AwsRetryStrategy.doNotRetry(), Duration.ofSeconds(5))) {
      long start = System.nanoTime();
      assertThat(
              patient
                  .describeStackResource(r -> r.stackName(STACK).logicalResourceId(RESOURCE))
                  .stackResourceDetail()
                  .metadata())
          .isNotNull();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(200));
    }
  }

  @Test
  void droppedConnection_isClientException() {
    fake.dropConnectionsNext(1);

    assertThatThrownBy(() -> describe(STACK, RESOURCE))
        .isInstanceOf(SdkClientException.class)
        .isNotInstanceOf(CloudFormationException.class);
    assertThat(fake.describeCalls(RESOURCE)).isEqualTo(1);
    assertThat(describe(STACK, RESOURCE).metadata()).isNotNull();
  }

  @Test
  void request_isSignedQueryPostWithTheClientsKeyAndRegion() {
    try (CloudFormationClient frankfurt =
        client(fake.endpoint(), "eu-central-1", AwsRetryStrategy.doNotRetry(), null)) {
      frankfurt.describeStackResource(r -> r.stackName(STACK).logicalResourceId(RESOURCE));
    }

    RecordedRequest request = fake.requests().get(0);
    assertThat(request.accessKeyId()).isEqualTo(ACCESS_KEY);
    assertThat(request.region()).isEqualTo("eu-central-1");
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/");
    assertThat(request.protocol()).isEqualTo(RecordedRequest.Protocol.QUERY_XML);
    assertThat(request.headers().get("content-type"))
        .startsWith("application/x-www-form-urlencoded");
    assertThat(request.host()).isEqualTo("127.0.0.1:" + fake.endpoint().getPort());
    assertThat(request.params())
        .containsEntry("Action", "DescribeStackResource")
        .containsEntry("Version", "2010-05-15")
        .containsEntry("StackName", STACK)
        .containsEntry("LogicalResourceId", RESOURCE);
    assertThat(request.action()).isEqualTo("DescribeStackResource");
    assertThat(request.stackName()).isEqualTo(STACK);
    assertThat(request.logicalId()).isEqualTo(RESOURCE);
  }

  @Test
  void describeStackResources_listsResourcesWithoutMetadata() {
    fake.resource("Bucket").type("AWS::S3::Bucket");

    DescribeStackResourcesResponse all = client.describeStackResources(r -> r.stackName(STACK));
    DescribeStackResourcesResponse one =
        client.describeStackResources(r -> r.stackName(fake.stackId()).logicalResourceId("Bucket"));

    assertThat(all.stackResources())
        .extracting(r -> r.logicalResourceId())
        .containsExactly(RESOURCE, "Bucket");
    assertThat(all.stackResources().get(0).timestamp())
        .isEqualTo(fake.resource(RESOURCE).lastUpdated());
    assertThat(one.stackResources())
        .singleElement()
        .satisfies(r -> assertThat(r.resourceType()).isEqualTo("AWS::S3::Bucket"));
  }

  private StackResourceDetail describe(String stackName, String logicalId) {
    return client
        .describeStackResource(r -> r.stackName(stackName).logicalResourceId(logicalId))
        .stackResourceDetail();
  }

  static CloudFormationClient client(
      URI endpoint, String region, RetryStrategy retryStrategy, Duration attemptTimeout) {
    return CloudFormationClient.builder()
        .endpointOverride(endpoint)
        .region(Region.of(region))
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(ACCESS_KEY, "sdk-secret-not-real")))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .overrideConfiguration(
            o -> o.retryStrategy(retryStrategy).apiCallAttemptTimeout(attemptTimeout))
        .build();
  }
}
