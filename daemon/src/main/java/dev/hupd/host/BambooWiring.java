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
import dev.hupd.hooks.Account;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.poll.Sleeper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** Builds the Bamboo agent lifecycle from the settings: secrets, REST client, agent process. */
public final class BambooWiring {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BambooWiring.class);

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
    Checked checked = check(c);
    if (!checked.problems().isEmpty()) {
      throw new ConfigException(checked.problems());
    }
    checked.warnings().forEach(w -> log.warn("event=config.warning problem=\"{}\"", w));
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
      throw new ConfigException(
          problem(s, "bamboo-url", e.getMessage(), "a usable Bamboo URL and proxy"));
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
      throw new ConfigException(
          problem(
              s,
              key,
              e.getMessage(),
              "file:PATH (mode 0600 or 0400, owned by hupd's user) or ssm:NAME"));
    }
  }

  /** What {@link #check} found: problems stop the start; warnings are printed. */
  public record Checked(List<ConfigProblem> problems, List<ConfigProblem> warnings) {}

  /**
   * Everything about the Bamboo settings that can be checked on this host without the network (so
   * {@code hupd check} and the start agree): {@code file:} secrets (mode, owner, one line), the CA
   * file, the agent account; the agent's home and script are warnings (an AMI may install it
   * later). {@code ssm:} secrets are read at start only.
   */
  public static Checked check(Configuration c) {
    HupdSettings s = c.settings();
    List<ConfigProblem> problems = new ArrayList<>();
    List<ConfigProblem> warnings = new ArrayList<>();
    if (s.bamboo().isEmpty()) {
      return new Checked(problems, warnings);
    }
    BambooSettings b = s.bamboo().get();
    checkSecret(s, "bamboo-token", b.token(), problems);
    b.agentSecurityToken()
        .ifPresent(t -> checkSecret(s, "bamboo-agent-security-token", t, problems));
    b.caFile()
        .ifPresent(
            f -> {
              try {
                BambooClient.checkCaFile(f);
              } catch (IllegalArgumentException e) {
                problems.add(
                    problem(
                        s,
                        "bamboo-ca-file",
                        e.getMessage(),
                        "a readable file of PEM certificates"));
              }
            });
    if (b.agentUser().isPresent()) {
      try {
        if (Account.lookup(b.agentUser().get()).isEmpty()) {
          problems.add(
              problem(
                  s,
                  "bamboo-agent-user",
                  "no account '" + b.agentUser().get() + "' on this host",
                  "an existing account, e.g. bamboo"));
        }
      } catch (IOException e) {
        problems.add(problem(s, "bamboo-agent-user", e.getMessage(), "an existing account"));
      }
    }
    if (!Files.isDirectory(b.agentHome())) {
      warnings.add(
          problem(
              s,
              "bamboo-agent-home",
              b.agentHome()
                  + " does not exist (yet): hupd cannot start the agent until it is installed",
              "the home of an agent installed with Atlassian's agent installer"));
    }
    if (b.agentProcess().startsWith("command:")) {
      Path script = Path.of(b.agentProcess().substring("command:".length()));
      if (!Files.isExecutable(script)) {
        warnings.add(
            problem(
                s,
                "bamboo-agent-process",
                script + " is not an executable file (yet)",
                "the agent's control script, e.g. <agent-home>/bin/bamboo-agent.sh"));
      }
      if (b.agentUser().isEmpty() && new com.sun.security.auth.module.UnixSystem().getUid() == 0) {
        warnings.add(
            problem(
                s,
                "bamboo-agent-user",
                "not set: the agent would run as root, like hupd",
                "bamboo-agent-user = bamboo (the account builds should run as)"));
      }
    }
    return new Checked(problems, warnings);
  }

  private static void checkSecret(
      HupdSettings s, String key, String spec, List<ConfigProblem> problems) {
    if (!spec.startsWith("file:")) {
      return;
    }
    try {
      Secrets.open(spec, name -> () -> "").value();
    } catch (SecretException e) {
      problems.add(
          problem(
              s,
              key,
              e.getMessage(),
              "file:PATH (mode 0600 or 0400, owned by hupd's user) or ssm:NAME"));
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

  private static ConfigProblem problem(
      HupdSettings s, String key, String message, String expected) {
    return new ConfigProblem(
        s.file().orElse(HupdSettings.DEFAULT_FILE),
        lineOf(s, key),
        "[hupd] " + key,
        message,
        expected);
  }

  /** The line of {@code key} in the settings file (0 when unknown), for the message. */
  private static int lineOf(HupdSettings s, String key) {
    if (s.file().isEmpty()) {
      return 0;
    }
    try {
      List<String> lines =
          Files.readAllLines(s.file().get(), java.nio.charset.StandardCharsets.ISO_8859_1);
      java.util.regex.Pattern p =
          java.util.regex.Pattern.compile(
              "\\s*" + java.util.regex.Pattern.quote(key) + "\\s*[=:].*");
      for (int i = 0; i < lines.size(); i++) {
        if (p.matcher(lines.get(i)).matches()) {
          return i + 1;
        }
      }
    } catch (IOException e) {
      // the file was read a moment ago; without it the message still names the key
    }
    return 0;
  }
}
