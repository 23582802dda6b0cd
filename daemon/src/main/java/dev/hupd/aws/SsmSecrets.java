package dev.hupd.aws;

import dev.hupd.bamboo.Secret;
import dev.hupd.bamboo.SecretException;
import dev.hupd.config.ConfigException;
import dev.hupd.config.HupdSettings;
import dev.hupd.config.MainConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Reads the {@code ssm:NAME} secrets of hupd.conf: one GetParameter with decryption, and only a
 * SecureString is accepted, since a String parameter is readable by anyone with {@code
 * ssm:GetParameter*} and shows in the console. Errors name the parameter and the IAM actions the
 * host role needs, never the value.
 */
public final class SsmSecrets implements AutoCloseable {

  static final String ACTIONS = "ssm:GetParameter on the parameter and kms:Decrypt on its key";

  private static final Logger log = LoggerFactory.getLogger(SsmSecrets.class);
  private static final Set<String> DENIED =
      Set.of(
          "AccessDenied",
          "AccessDeniedException",
          "UnrecognizedClientException",
          "InvalidClientTokenId",
          "ExpiredToken",
          "ExpiredTokenException",
          "KMSAccessDeniedException",
          "KMS.AccessDeniedException");

  private final SsmClient client;

  public SsmSecrets(SsmClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * A reader for this host's secrets: region, endpoint, credentials and proxy as for the fleet's
   * SSM store ({@code ssm-region}/{@code ssm-url} when a fleet is set, else as for CloudFormation).
   */
  public static SsmSecrets forSettings(
      MainConfig main,
      HupdSettings settings,
      Map<String, String> env,
      Map<String, String> jvmProperties)
      throws ConfigException {
    SsmStores.Connection c =
        SsmStores.connection(main, settings, settings.fleet(), env, jvmProperties);
    log.info(
        "event=secrets.ssm region={} endpoint={} credentials=\"{}\" proxy={}",
        c.region(),
        c.endpoint(),
        c.credentials().description(),
        c.proxy().map(ProxySelection::redacted).orElse("none"));
    return new SsmSecrets(
        SsmRolloutStore.client(c.region(), c.endpoint(), c.credentials().provider(), c.proxy()));
  }

  /** The reader of parameter {@code name}, for {@code Secrets.open(spec, ssmSecrets::reader)}. */
  public Secret.Reader reader(String name) {
    return reader(client, name);
  }

  /** Reads SecureString {@code name} (decrypted) with {@code client} on each call. */
  public static Secret.Reader reader(SsmClient client, String name) {
    return () -> read(client, name);
  }

  private static String read(SsmClient client, String name) throws SecretException {
    Parameter p;
    try {
      p = client.getParameter(r -> r.name(name).withDecryption(true)).parameter();
    } catch (AwsServiceException e) {
      throw failure(name, e);
    } catch (SdkException e) {
      throw new SecretException(
          "cannot read SSM parameter " + name + ": " + e.getClass().getSimpleName(), e);
    }
    if (p.type() != ParameterType.SECURE_STRING) {
      throw new SecretException(
          "SSM parameter "
              + name
              + " is of type "
              + p.typeAsString()
              + "; store the token as a SecureString (aws ssm put-parameter --type SecureString"
              + " --overwrite) so it is encrypted and not shown in the console");
    }
    String value = p.value() == null ? "" : p.value().strip();
    if (value.isEmpty()) {
      throw new SecretException("SSM parameter " + name + " is empty");
    }
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new SecretException(
          "SSM parameter " + name + " has more than one line; it must hold the token alone");
    }
    return value;
  }

  private static SecretException failure(String name, AwsServiceException e) {
    String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
    if ("ParameterNotFound".equals(code)) {
      return new SecretException(
          "SSM parameter "
              + name
              + " not found (ParameterNotFound); create it as a SecureString"
              + " in this region, and allow "
              + ACTIONS,
          e);
    }
    if (DENIED.contains(code) || e.statusCode() == 403) {
      return new SecretException(
          "SSM parameter "
              + name
              + ": access denied ("
              + code
              + "); the host role needs "
              + ACTIONS,
          e);
    }
    return new SecretException(
        "cannot read SSM parameter "
            + name
            + ": "
            + (code == null || code.isEmpty() ? "HTTP " + e.statusCode() : code)
            + " (needs "
            + ACTIONS
            + ")",
        e);
  }

  @Override
  public void close() {
    client.close();
  }
}
