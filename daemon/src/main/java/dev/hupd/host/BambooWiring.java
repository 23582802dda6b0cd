package dev.hupd.host;

import dev.hupd.aws.InstanceMetadata;
import dev.hupd.aws.SsmSecrets;
import dev.hupd.bamboo.AgentHome;
import dev.hupd.bamboo.AgentLifecycle;
import dev.hupd.bamboo.AgentProcess;
import dev.hupd.bamboo.BambooClient;
import dev.hupd.bamboo.Secret;
import dev.hupd.bamboo.SecretException;
import dev.hupd.bamboo.Secrets;
import dev.hupd.config.BambooSettings;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.poll.Sleeper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** Builds the Bamboo agent lifecycle from the settings: secrets, REST client, agent process. */
final class BambooWiring {

  private BambooWiring() {}

  static AgentLifecycle lifecycle(
      Configuration c,
      BambooSettings b,
      StateStore state,
      Map<String, String> env,
      Sleeper sleeper,
      BooleanSupplier stopping,
      LogLimiter limiter)
      throws ConfigException {
    HupdSettings s = c.settings();
    SsmSecrets[] ssm = new SsmSecrets[1];
    Function<String, Secret.Reader> fromSsm =
        name ->
            () -> {
              try {
                if (ssm[0] == null) {
                  ssm[0] =
                      SsmSecrets.forSettings(c.cfnHup().main(), s, env, Runner.systemProperties());
                }
              } catch (ConfigException e) {
                throw new SecretException(
                    "cannot reach SSM for " + name + ": " + e.problems().get(0).message());
              }
              return ssm[0].reader(name).read();
            };
    Secret token = secret(s, "bamboo-token", b.token(), fromSsm);
    Optional<Secret> agentToken = Optional.empty();
    if (b.agentSecurityToken().isPresent()) {
      agentToken =
          Optional.of(
              secret(s, "bamboo-agent-security-token", b.agentSecurityToken().get(), fromSsm));
    }
    Optional<URI> proxy = b.proxy();
    if (proxy.isEmpty()) {
      proxy =
          dev.hupd.aws.ProxySelection.choose(
              b.url(), s.proxy(), c.cfnHup().main().proxy(), env, Runner.systemProperties());
    }
    BambooClient client;
    try {
      client = BambooClient.create(b.url(), token, proxy, b.caFile(), b.timeout());
    } catch (IllegalArgumentException e) {
      throw problem(s, "bamboo-url", e.getMessage(), "a usable Bamboo URL, proxy and CA file");
    }
    AgentProcess process =
        AgentProcess.of(
            b.agentProcess(),
            b.agentUser(),
            env,
            AgentProcess.DEFAULT_ENV_FILE,
            AgentProcess.DEFAULT_TIMEOUT);
    AgentLifecycle lifecycle =
        new AgentLifecycle(
            b,
            client,
            new AgentHome(b.agentHome()),
            process,
            agentToken,
            state,
            s.stateDir(),
            hostId(s, env),
            s.toolchains().isPresent(),
            Clock.systemUTC(),
            sleeper,
            stopping,
            limiter);
    lifecycle.onClose(
        () -> {
          if (ssm[0] != null) {
            ssm[0].close();
          }
        });
    return lifecycle;
  }

  /**
   * A secret; a {@code file:} one is read at once, so that a wrong mode or owner stops the start
   * with the key named ({@code ssm:} ones are read on first use and show in {@code hupd status}).
   */
  private static Secret secret(
      HupdSettings s, String key, String spec, Function<String, Secret.Reader> fromSsm)
      throws ConfigException {
    try {
      Secret secret = Secrets.open(spec, fromSsm);
      if (spec.startsWith("file:")) {
        secret.value();
      }
      return secret;
    } catch (SecretException e) {
      throw problem(
          s, key, e.getMessage(), "file:PATH (mode 0600, owned by hupd's user) or ssm:NAME");
    }
  }

  /** Whose identity the agent files should be: the fleet agent id, else the EC2 instance id. */
  static String hostId(HupdSettings s, Map<String, String> env) {
    if (s.fleet().isPresent() && s.fleet().get().agentId().isPresent()) {
      return s.fleet().get().agentId().get();
    }
    try {
      Optional<String> id =
          InstanceMetadata.fromSettings(s.imdsEndpoint(), env)
              .get("meta-data/instance-id")
              .map(String::strip);
      if (id.isPresent() && !id.get().isEmpty()) {
        return id.get();
      }
    } catch (IOException e) {
      // not on EC2 (or metadata off): fall back to the machine id
    }
    try {
      String machine = Files.readString(Path.of("/etc/machine-id")).strip();
      if (!machine.isEmpty()) {
        return "machine-" + machine;
      }
    } catch (IOException e) {
      // no machine id either
    }
    return "host-" + env.getOrDefault("HOSTNAME", "unknown");
  }

  private static ConfigException problem(
      HupdSettings s, String key, String message, String expected) {
    return new ConfigException(
        new ConfigProblem(
            s.file().orElse(HupdSettings.DEFAULT_FILE), 0, "[hupd] " + key, message, expected));
  }
}
