package dev.hupd.aws;

import dev.hupd.config.ConfigException;
import dev.hupd.config.HupdSettings;
import dev.hupd.config.MainConfig;
import dev.hupd.metadata.StackResource;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.StackResourceDetail;

/**
 * Metadata from CloudFormation's {@code DescribeStackResource}, through the AWS SDK v2 with its own
 * retries switched off (hupd's {@code RetryingSource} owns backoff, bounded per pass).
 */
public final class CloudFormationSource implements MetadataSource {

  private static final Logger log = LoggerFactory.getLogger(CloudFormationSource.class);
  private static final Set<String> THROTTLING =
      Set.of(
          "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException");
  private static final Set<String> DENIED =
      Set.of(
          "AccessDenied",
          "AccessDeniedException",
          "UnauthorizedOperation",
          "InvalidClientTokenId",
          "SignatureDoesNotMatch",
          "ExpiredToken",
          "ExpiredTokenException",
          "InvalidAccessKeyId");

  private final CloudFormationClient client;
  private final String stack;
  private final URI endpoint;
  private final String region;

  CloudFormationSource(CloudFormationClient client, String stack, URI endpoint, String region) {
    this.client = client;
    this.stack = stack;
    this.endpoint = endpoint;
    this.region = region;
  }

  /**
   * Builds the client from cfn-hup.conf and hupd's settings.
   *
   * @throws ConfigException when the credential file is unusable
   */
  public static CloudFormationSource create(
      MainConfig main,
      HupdSettings settings,
      Map<String, String> env,
      Map<String, String> jvmProperties)
      throws ConfigException {
    InstanceMetadata imds = InstanceMetadata.fromSettings(settings.imdsEndpoint(), env);
    RegionResolver.Resolved region =
        RegionResolver.resolve(main, env, RegionResolver.fromInstanceMetadata(imds));
    URI endpoint = Endpoints.cloudFormation(region.region(), main.url());
    HostCredentials host = HostCredentials.of(main, imds);
    AwsCredentialsProvider credentials = host.provider();
    String credentialSource = host.description();
    Optional<URI> proxy =
        ProxySelection.choose(endpoint, settings.proxy(), main.proxy(), env, jvmProperties);
    CloudFormationClient client =
        CloudFormationClient.builder()
            .region(Region.of(region.region()))
            .endpointOverride(endpoint)
            .credentialsProvider(credentials)
            .httpClient(HttpClients.urlConnection(proxy))
            .overrideConfiguration(
                o ->
                    o.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(Duration.ofSeconds(60)))
            .build();
    log.info(
        "event=source.cloudformation stack={} region={} region_from=\"{}\" endpoint={} credentials=\"{}\" proxy={}",
        main.stack(),
        region.region(),
        region.source(),
        endpoint,
        credentialSource,
        proxy.map(ProxySelection::redacted).orElse("none"));
    return new CloudFormationSource(client, main.stack(), endpoint, region.region());
  }

  @Override
  public String description() {
    return "cloudformation stack=" + stack + " region=" + region + " endpoint=" + endpoint;
  }

  @Override
  public StackResource describe(String logicalId) throws SourceException {
    StackResourceDetail d;
    try {
      d =
          client
              .describeStackResource(r -> r.stackName(stack).logicalResourceId(logicalId))
              .stackResourceDetail();
    } catch (CloudFormationException e) {
      throw classify(e, logicalId);
    } catch (SdkClientException e) {
      throw new SourceException(
          SourceException.Kind.NETWORK,
          "NetworkError",
          "DescribeStackResource " + logicalId + " at " + endpoint + " failed: " + e.getMessage(),
          e);
    } catch (SdkException e) {
      throw new SourceException(SourceException.Kind.OTHER, "SdkError", e.getMessage(), e);
    }
    if (d == null || d.resourceStatusAsString() == null) {
      throw new SourceException(
          SourceException.Kind.INVALID,
          "InvalidResponse",
          "DescribeStackResource " + logicalId + " returned no ResourceStatus",
          null);
    }
    return new StackResource(
        logicalId,
        d.resourceType(),
        d.resourceStatusAsString(),
        Optional.ofNullable(d.physicalResourceId()),
        Optional.ofNullable(d.lastUpdatedTimestamp()),
        Optional.ofNullable(d.metadata()));
  }

  private SourceException classify(CloudFormationException e, String logicalId) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    String message =
        e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
    int status = e.statusCode();
    String what =
        "DescribeStackResource "
            + logicalId
            + " on stack "
            + stack
            + " at "
            + endpoint
            + " failed: HTTP "
            + status
            + (code == null ? "" : " " + code)
            + (message == null || message.isBlank() ? "" : ": " + message);
    SourceException.Kind kind;
    if ((code != null && THROTTLING.contains(code)) || status == 429) {
      kind = SourceException.Kind.THROTTLED;
    } else if (status >= 500) {
      kind = SourceException.Kind.SERVER;
    } else if ((code != null && DENIED.contains(code)) || status == 403) {
      kind = SourceException.Kind.ACCESS_DENIED;
    } else if ("ValidationError".equals(code)
        && message != null
        && message.contains("does not exist")) {
      kind = SourceException.Kind.NOT_FOUND;
    } else {
      kind = SourceException.Kind.OTHER;
    }
    return new SourceException(kind, code == null ? "HTTP" + status : code, what, e);
  }

  @Override
  public void close() {
    client.close();
  }
}
