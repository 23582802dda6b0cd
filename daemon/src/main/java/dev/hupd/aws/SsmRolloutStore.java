package dev.hupd.aws;

import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse;
import software.amazon.awssdk.services.ssm.model.LabelParameterVersionResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterTier;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The {@link RolloutStore} on SSM Parameter Store, through the AWS SDK v2 with its own retries
 * switched off: the rollout's callers own backoff, since throttling is an account-wide budget.
 * Every value is a Standard-tier String parameter; create-if-absent is PutParameter without
 * Overwrite.
 */
public final class SsmRolloutStore implements RolloutStore {

  private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(60);
  private static final Set<String> THROTTLING =
      Set.of(
          "ThrottlingException",
          "Throttling",
          "TooManyUpdates",
          "RequestLimitExceeded",
          "TooManyRequestsException");
  private static final Set<String> DENIED =
      Set.of(
          "AccessDenied",
          "AccessDeniedException",
          "UnrecognizedClientException",
          "InvalidClientTokenId",
          "ExpiredToken",
          "ExpiredTokenException",
          "SignatureDoesNotMatch",
          "MissingAuthenticationTokenException",
          "InvalidAccessKeyId");

  private final SsmClient client;
  private final String region;
  private final URI endpoint;

  /** Wraps a client built elsewhere (tests); {@code region} and {@code endpoint} only describe. */
  public SsmRolloutStore(SsmClient client, String region, URI endpoint) {
    this.client = Objects.requireNonNull(client, "client");
    this.region = Objects.requireNonNull(region, "region");
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
  }

  /**
   * Builds the SDK client: URLConnection HTTP, SDK retries off, one minute per call at most.
   *
   * @param endpoint e.g. from {@link Endpoints#ssm}
   * @param proxy the proxy {@link ProxySelection} chose, if any
   */
  public static SsmRolloutStore create(
      String region, URI endpoint, AwsCredentialsProvider credentials, Optional<URI> proxy) {
    return new SsmRolloutStore(client(region, endpoint, credentials, proxy), region, endpoint);
  }

  /** The SDK client every SSM user of hupd shares the settings of (also {@link SsmSecrets}). */
  static SsmClient client(
      String region, URI endpoint, AwsCredentialsProvider credentials, Optional<URI> proxy) {
    return SsmClient.builder()
        .region(Region.of(region))
        .endpointOverride(endpoint)
        .credentialsProvider(credentials)
        .httpClient(HttpClients.urlConnection(proxy))
        .overrideConfiguration(
            o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(API_CALL_TIMEOUT))
        .build();
  }

  @Override
  public Map<String, Entry> get(Collection<String> names) throws StoreException {
    requireBatch("GetParameters", names);
    if (names.isEmpty()) {
      return Map.of();
    }

    List<Parameter> found =
        call(
                "GetParameters",
                String.join(",", names),
                () -> client.getParameters(r -> r.names(names)))
            .parameters();

    Map<String, Entry> entries = new LinkedHashMap<>();
    for (Parameter p : found) {
      entries.put(p.name(), entry(p));
    }
    return entries;
  }

  @Override
  public long create(String name, String value) throws StoreException {
    return put(name, value, false);
  }

  @Override
  public long overwrite(String name, String value) throws StoreException {
    return put(name, value, true);
  }

  @Override
  public Page list(String path, Optional<String> token) throws StoreException {
    GetParametersByPathResponse page =
        call(
            "GetParametersByPath",
            path,
            () ->
                client.getParametersByPath(
                    r ->
                        r.path(path)
                            .recursive(true)
                            .maxResults(MAX_BATCH)
                            .nextToken(token.orElse(null))));

    List<Entry> entries = page.parameters().stream().map(SsmRolloutStore::entry).toList();
    return new Page(entries, Optional.ofNullable(page.nextToken()).filter(t -> !t.isEmpty()));
  }

  @Override
  public void delete(Collection<String> names) throws StoreException {
    requireBatch("DeleteParameters", names);
    if (names.isEmpty()) {
      return;
    }
    call(
        "DeleteParameters",
        String.join(",", names),
        () -> client.deleteParameters(r -> r.names(names)));
  }

  @Override
  public void label(String name, long version, String label) throws StoreException {
    LabelParameterVersionResponse response =
        call(
            "LabelParameterVersion",
            name,
            () ->
                client.labelParameterVersion(
                    r -> r.name(name).parameterVersion(version).labels(label)));
    if (!response.invalidLabels().isEmpty()) {
      throw new StoreException(
          StoreException.Kind.INVALID,
          "LabelParameterVersion "
              + name
              + " version "
              + version
              + " refused label '"
              + label
              + "': at most 100 letters, digits, '.', '-' or '_', not starting with a digit,"
              + " 'aws' or 'ssm'");
    }
  }

  @Override
  public String description() {
    return "ssm region=" + region + " endpoint=" + endpoint;
  }

  @Override
  public void close() {
    client.close();
  }

  private long put(String name, String value, boolean overwrite) throws StoreException {
    return call(
            "PutParameter",
            name,
            () ->
                client.putParameter(
                    r ->
                        r.name(name)
                            .value(value)
                            .type(ParameterType.STRING)
                            .tier(ParameterTier.STANDARD)
                            .overwrite(overwrite)))
        .version();
  }

  private static Entry entry(Parameter p) {
    long modifiedMs = p.lastModifiedDate() == null ? 0 : p.lastModifiedDate().toEpochMilli();
    return new Entry(p.name(), p.value(), p.version(), modifiedMs);
  }

  private static void requireBatch(String action, Collection<String> names) throws StoreException {
    if (names.size() > MAX_BATCH) {
      throw new StoreException(
          StoreException.Kind.INVALID,
          action + " takes at most " + MAX_BATCH + " names, got " + names.size() + ": " + names);
    }
  }

  /** One SDK call, with every failure turned into a {@link StoreException} naming the target. */
  private <T> T call(String action, String target, SdkCall<T> call) throws StoreException {
    try {
      return call.run();
    } catch (AwsServiceException e) {
      throw classify(action, target, e);
    } catch (SdkClientException e) {
      throw new StoreException(
          StoreException.Kind.TRANSIENT,
          action + " " + target + " at " + endpoint + " failed: " + e.getMessage(),
          e);
    } catch (SdkException e) {
      throw new StoreException(
          StoreException.Kind.INVALID,
          action + " " + target + " at " + endpoint + " failed: " + e.getMessage(),
          e);
    }
  }

  private StoreException classify(String action, String target, AwsServiceException e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    String message =
        e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
    int status = e.statusCode();
    String what =
        action
            + " "
            + target
            + " at "
            + endpoint
            + " failed: HTTP "
            + status
            + (code == null ? "" : " " + code)
            + (message == null || message.isBlank() ? "" : ": " + message);
    return new StoreException(kind(code, message, status), what, e);
  }

  static StoreException.Kind kind(String code, String message, int status) {
    if ("ParameterAlreadyExists".equals(code)) {
      return StoreException.Kind.ALREADY_EXISTS;
    }
    if ((code != null && THROTTLING.contains(code))
        || status == 429
        || (message != null && message.contains("Rate exceeded"))) {
      return StoreException.Kind.THROTTLED;
    }
    if (status >= 500) {
      return StoreException.Kind.TRANSIENT;
    }
    if ((code != null && (DENIED.contains(code) || code.startsWith("AccessDenied")))
        || status == 403) {
      return StoreException.Kind.DENIED;
    }
    return StoreException.Kind.INVALID;
  }

  /** An SDK call that may throw the SDK's unchecked exceptions. */
  @FunctionalInterface
  private interface SdkCall<T> {
    T run();
  }
}
