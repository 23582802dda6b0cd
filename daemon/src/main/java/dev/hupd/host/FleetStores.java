package dev.hupd.host;

import dev.hupd.aws.Endpoints;
import dev.hupd.aws.ProxySelection;
import dev.hupd.aws.SsmRolloutStore;
import dev.hupd.aws.SsmStores;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import dev.hupd.rollout.DirStore;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** Opens the store a fleet's settings name: SSM Parameter Store or a local folder. */
public final class FleetStores {

  private FleetStores() {}

  public static RolloutStore open(
      HupdSettings.Fleet fleet, Configuration config, Map<String, String> env)
      throws ConfigException {
    if (fleet.store() instanceof HupdSettings.Store.Dir d) {
      try {
        return DirStore.open(d.path());
      } catch (StoreException e) {
        throw new ConfigException(
            new ConfigProblem(
                config.settings().file().orElse(HupdSettings.DEFAULT_FILE),
                0,
                "[hupd] store",
                "cannot use " + d.path() + ": " + e.getMessage(),
                "a writable folder on a local filesystem (hard links needed)"));
      }
    }
    return SsmStores.open(
        config.cfnHup().main(), config.settings(), fleet, env, Runner.systemProperties());
  }

  /**
   * The store of an operator's command ({@code hupd push}, {@code hupd rollout}): a folder, or SSM
   * in {@code region} with the operator's own credentials, not a host's.
   *
   * @param region the SSM region; required for SSM
   * @param env the process environment: credentials and proxy
   * @throws StoreException when the folder cannot be used
   */
  public static RolloutStore openForOperator(
      HupdSettings.Store store,
      Optional<String> region,
      Optional<URI> ssmUrl,
      Map<String, String> env)
      throws StoreException {
    if (store instanceof HupdSettings.Store.Dir d) {
      return DirStore.open(d.path());
    }
    String r = region.orElseThrow(() -> new IllegalArgumentException("SSM needs a region"));
    URI endpoint = Endpoints.ssm(r, ssmUrl);
    Optional<URI> proxy =
        ProxySelection.choose(
            endpoint, Optional.empty(), Optional.empty(), env, Runner.systemProperties());
    // one-shot commands meet the account's Put quota in bursts: retry throttling for a while
    return new dev.hupd.rollout.RetryingStore(
        SsmRolloutStore.create(r, endpoint, operatorCredentials(env), proxy), 120_000);
  }

  /**
   * Keys in {@code env} as the SDK's chain would read them from the environment (so a caller's
   * environment, not only the process's, counts), else the SDK's default chain: profiles, SSO,
   * container and instance credentials, as on an operator's laptop.
   */
  static AwsCredentialsProvider operatorCredentials(Map<String, String> env) {
    String id = env.getOrDefault("AWS_ACCESS_KEY_ID", "");
    String secret = env.getOrDefault("AWS_SECRET_ACCESS_KEY", "");
    String token = env.getOrDefault("AWS_SESSION_TOKEN", "");
    if (!id.isBlank() && !secret.isBlank()) {
      return StaticCredentialsProvider.create(
          token.isBlank()
              ? AwsBasicCredentials.create(id, secret)
              : AwsSessionCredentials.create(id, secret, token));
    }
    return DefaultCredentialsProvider.builder().build();
  }

  static String agentId(HupdSettings.Fleet fleet, HupdSettings settings, Map<String, String> env)
      throws ConfigException {
    return SsmStores.agentId(settings, fleet, env);
  }

  /** Wakes {@code onChange} when the folder store changes; nothing for SSM (it is polled). */
  static AutoCloseable watch(RolloutStore store, Runnable onChange) {
    if (store instanceof DirStore d) {
      try {
        return d.watch(onChange);
      } catch (StoreException e) {
        return () -> {};
      }
    }
    return () -> {};
  }
}
