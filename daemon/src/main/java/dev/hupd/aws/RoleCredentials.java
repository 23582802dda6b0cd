package dev.hupd.aws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * cfn-hup's {@code role=}: the instance role's temporary credentials from instance metadata
 * (IMDSv2), cached until five minutes before they expire. If the instance's actual role differs
 * from the configured one, it warns and uses the instance's.
 */
public final class RoleCredentials implements AwsCredentialsProvider {

  private static final Logger log = LoggerFactory.getLogger(RoleCredentials.class);
  private static final Duration REFRESH_BEFORE = Duration.ofMinutes(5);
  private static final String PREFIX = "meta-data/iam/security-credentials/";

  private final InstanceMetadata imds;
  private final String configuredRole;
  private String role;
  private AwsSessionCredentials cached;
  private Instant expires = Instant.EPOCH;

  public RoleCredentials(InstanceMetadata imds, String configuredRole) {
    this.imds = imds;
    this.configuredRole = configuredRole;
  }

  /** The role actually used (after comparing with the instance's role list). */
  synchronized String role() throws IOException {
    if (role == null) {
      List<String> roles =
          imds.get(PREFIX)
              .map(
                  s ->
                      Arrays.stream(s.split("\n"))
                          .map(String::strip)
                          .filter(r -> !r.isEmpty())
                          .toList())
              .orElse(List.of());
      if (roles.isEmpty() || roles.contains(configuredRole)) {
        role = configuredRole;
      } else {
        log.warn(
            "event=role.mismatch configured={} instance_role={} using={}",
            configuredRole,
            roles.get(0),
            roles.get(0));
        role = roles.get(0);
      }
    }
    return role;
  }

  @Override
  public synchronized AwsCredentials resolveCredentials() {
    if (cached != null && Instant.now().plus(REFRESH_BEFORE).isBefore(expires)) {
      return cached;
    }
    try {
      String name = role();
      Optional<String> body = imds.get(PREFIX + name);
      if (body.isEmpty()) {
        throw SdkClientException.create("instance metadata has no credentials for role " + name);
      }
      JsonNode doc = Json.parse(body.get());
      if (!"Success".equals(doc.path("Code").asText("Success"))) {
        throw SdkClientException.create(
            "instance metadata refused credentials for role "
                + name
                + ": "
                + doc.path("Code").asText());
      }
      cached =
          AwsSessionCredentials.create(
              doc.path("AccessKeyId").asText(),
              doc.path("SecretAccessKey").asText(),
              doc.path("Token").asText());
      expires = Instant.parse(doc.path("Expiration").asText());
      log.debug("event=role.credentials role={} expires={}", name, expires);
      return cached;
    } catch (IOException | IllegalArgumentException | java.time.format.DateTimeParseException e) {
      if (cached != null && Instant.now().isBefore(expires)) {
        log.warn(
            "event=role.refresh-failed reason=\"{}\" using=\"cached credentials until they expire\"",
            e.getMessage());
        return cached;
      }
      throw SdkClientException.create(
          "cannot get role credentials from instance metadata: " + e.getMessage(), e);
    }
  }
}
