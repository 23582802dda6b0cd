package dev.hupd.config;

import dev.hupd.metadata.MetadataPath;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * hupd's own settings ({@code /etc/hupd/hupd.conf}, section {@code [hupd]}): everything cfn-hup has
 * no key for. Unknown keys are rejected, since a typo here would silently change behaviour.
 * Relative paths are resolved against the settings file's folder.
 *
 * @param source where metadata comes from
 * @param stateDir where last-seen values live
 * @param pollInterval overrides cfn-hup's {@code interval} when set
 * @param firstPollSplay upper bound of the random delay before the first poll; empty = default
 * @param actionTimeout default per-action timeout
 * @param stopTimeout how long a running action may continue after SIGTERM
 * @param maxFailures default cap on retries of one failing change; empty = retry forever
 * @param retryBudget total time one poll may spend backing off on throttling/5xx/timeouts
 * @param proxy HTTP proxy for AWS calls (wins over cfn-hup.conf and the environment)
 * @param imdsEndpoint instance metadata endpoint; empty = environment or the EC2 default
 * @param logFile optional log file (rotated at 10 MB, 5 kept) in addition to the console
 * @param cfnHupState cfn-hup's state file to import on first start; empty = don't
 * @param file the settings file, or empty when defaults are used
 * @param toolchains the toolchain reconcile, when {@code toolchains-path} is set
 * @param fleet fleet coordination (canary-first rollout), when {@code store} is set
 * @param bamboo the Bamboo agent lifecycle, when {@code bamboo-url} is set
 * @param statusListen where the local status server listens; empty = {@code status-listen = off}
 */
public record HupdSettings(
    Source source,
    Path stateDir,
    Optional<Duration> pollInterval,
    Optional<Duration> firstPollSplay,
    Duration actionTimeout,
    Duration stopTimeout,
    OptionalInt maxFailures,
    Duration retryBudget,
    Optional<URI> proxy,
    Optional<URI> imdsEndpoint,
    Optional<Path> logFile,
    Optional<Path> cfnHupState,
    Optional<Path> file,
    Optional<Toolchains> toolchains,
    Optional<Fleet> fleet,
    Optional<BambooSettings> bamboo,
    Optional<StatusListen> statusListen) {

  /**
   * Settings of fleet coordination (docs/rollout.md §3).
   *
   * @param store where the fleet's records live
   * @param name the fleet: records sit under {@code /hupd/<name>}
   * @param agentId this agent's id; empty = the EC2 instance id from instance metadata
   * @param roles this agent's roles; {@code canary} makes it a canary candidate
   * @param rolloutPath where the rollout policy sits in the metadata
   * @param ssmEndpoint SSM endpoint override (tests, VPC endpoints)
   * @param region SSM region; empty = as for CloudFormation
   * @param registerEvery how often a canary candidate reads CloudFormation for new content
   * @param storePoll the shortest idle interval between store reads; empty = 30 s for SSM, 1 s for
   *     a folder (the fleet-wide read budgets still lengthen it for large fleets)
   * @param coordinate whether changes go through the canary-first rollout ({@code rollout = on},
   *     the default); off reads pushed documents as a plain cfn-hup source
   */
  public record Fleet(
      Store store,
      String name,
      Optional<String> agentId,
      java.util.Set<String> roles,
      Optional<MetadataPath> rolloutPath,
      Optional<URI> ssmEndpoint,
      Optional<String> region,
      Duration registerEvery,
      Optional<Duration> storePoll,
      boolean coordinate) {}

  /** Where a fleet's records live. */
  public sealed interface Store {
    /** SSM Parameter Store. */
    record Ssm() implements Store {}

    /** A local folder shared by agents on one machine. */
    record Dir(Path path) implements Store {}
  }

  /**
   * Settings of the Docker toolchain reconcile.
   *
   * @param manifestPath where the manifest lives in the stack metadata
   * @param dockerSocket the Docker Engine's unix socket
   * @param dockerConfig a docker {@code config.json} with registry credentials, if any
   * @param repository local repository prefix of the {@code :active}/{@code :previous} tags ({@code
   *     hupd} → {@code hupd/<name>:active}); distinct per agent when several share a host
   */
  public record Toolchains(
      MetadataPath manifestPath,
      Path dockerSocket,
      Optional<Path> dockerConfig,
      String repository) {}

  public static final Path DEFAULT_DOCKER_SOCKET = Path.of("/var/run/docker.sock");
  public static final Path DEFAULT_DOCKER_CONFIG = Path.of("/root/.docker/config.json");

  public static final Path DEFAULT_FILE = Path.of("/etc/hupd/hupd.conf");
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/hupd");
  public static final Path DEFAULT_CFN_HUP_STATE =
      Path.of("/var/lib/cfn-hup/data/metadata_db.json");

  /** Where metadata is read from. */
  public sealed interface Source {
    /** CloudFormation DescribeStackResource, as cfn-hup. */
    record CloudFormation() implements Source {}

    /** A local JSON file or a folder of {@code <LogicalId>.json} files. */
    record LocalFile(Path path) implements Source {}

    /** Documents published with {@code hupd push}, read from the fleet's store. */
    record Pushed() implements Source {}
  }

  private static final Map<String, String> KEYS =
      withBambooKeys(
          Map.ofEntries(
              Map.entry(
                  "source", "cloudformation, file:<path> or store (documents from hupd push)"),
              Map.entry("store", "ssm or dir:<path>"),
              Map.entry("fleet", "a fleet name of letters, digits, '.', '_' or '-' (1-64)"),
              Map.entry("agent-id", "an agent id of letters, digits, '.', '_' or '-' (1-64)"),
              Map.entry("roles", "comma-separated role names, e.g. canary"),
              Map.entry("rollout-path", "Resources.<LogicalId>.Metadata.<key>"),
              Map.entry("ssm-url", "http[s]://host[:port]"),
              Map.entry("ssm-region", "an AWS region such as eu-west-1"),
              Map.entry("register-every", Durations.EXPECTED),
              Map.entry("rollout", "on or off"),
              Map.entry("store-poll", Durations.EXPECTED),
              Map.entry("state-dir", "a folder path"),
              Map.entry("poll-seconds", "a whole number of seconds >= 1"),
              Map.entry("first-poll-splay", Durations.EXPECTED),
              Map.entry("action-timeout", Durations.EXPECTED),
              Map.entry("stop-timeout", Durations.EXPECTED),
              Map.entry("max-failures", "a positive whole number"),
              Map.entry("retry-budget", Durations.EXPECTED),
              Map.entry("proxy", "http://host:port"),
              Map.entry("imds-endpoint", "http://host[:port]"),
              Map.entry("log-file", "a file path"),
              Map.entry("import-cfn-hup-state", "a file path, or none"),
              Map.entry("toolchains-path", MetadataPath.EXPECTED_FORM),
              Map.entry("docker-socket", "the Docker Engine's unix socket path"),
              Map.entry(
                  "toolchain-repository",
                  "a local repository name of lowercase letters, digits and . _ - (default hupd)"),
              Map.entry(
                  "docker-config", "a docker config.json with registry credentials, or none")));

  private static Map<String, String> withBambooKeys(Map<String, String> core) {
    Map<String, String> all = new java.util.HashMap<>(core);
    all.putAll(BambooKeys.EXPECTED);
    all.putAll(StatusListen.KEYS);
    return Map.copyOf(all);
  }

  public static HupdSettings defaults() {
    return new HupdSettings(
        new Source.CloudFormation(),
        DEFAULT_STATE_DIR,
        Optional.empty(),
        Optional.empty(),
        Duration.ofMinutes(30),
        Duration.ofSeconds(60),
        OptionalInt.empty(),
        Duration.ofMinutes(2),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.of(DEFAULT_CFN_HUP_STATE),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.of(StatusListen.DEFAULT));
  }

  /**
   * Loads the settings file. A missing file is fine when it is the default location (all defaults
   * apply) and an error when the operator named it.
   */
  public static HupdSettings load(Path file, boolean explicit) throws ConfigException {
    return load(file, explicit, HupdSettings::localHostName);
  }

  /**
   * As {@link #load(Path, boolean)}, with the default {@code bamboo-agent-name} from {@code
   * hostName} (tests pass a fixed name, so no name lookup happens).
   */
  static HupdSettings load(Path file, boolean explicit, Supplier<String> hostName)
      throws ConfigException {
    if (!Files.exists(file)) {
      if (explicit) {
        throw new ConfigException(
            new ConfigProblem(
                file, 0, "", "settings file not found", "an INI file with a [hupd] section"));
      }
      return defaults();
    }
    IniParser parser = new IniParser();
    parser.read(file);
    return read(parser, file, hostName);
  }

  /**
   * Settings from text held in memory as if read from {@code file} (a template's {@code
   * /etc/hupd/hupd.conf} entry); the default agent name is a stand-in, no name lookup happens.
   */
  public static HupdSettings fromText(Path file, String text) throws ConfigException {
    IniParser parser = new IniParser();
    parser.read(file, text);
    return read(parser, file, () -> "(host name)");
  }

  private static HupdSettings read(IniParser parser, Path file, Supplier<String> hostName)
      throws ConfigException {
    List<ConfigProblem> problems = new ArrayList<>(parser.problems());
    IniDocument doc = parser.document();
    Path base = file.toAbsolutePath().getParent();
    HupdSettings d = defaults();
    for (IniDocument.Section s : doc.sections()) {
      if (!s.name().equals("hupd")) {
        problems.add(
            new ConfigProblem(file, s.line(), "[" + s.name() + "]", "unknown section", "[hupd]"));
      }
    }
    Optional<IniDocument.Section> section = doc.section("hupd");
    if (section.isEmpty()) {
      if (problems.isEmpty()) {
        problems.add(
            new ConfigProblem(file, 0, "[hupd]", "section is missing", "a [hupd] section"));
      }
      throw new ConfigException(problems);
    }
    Values v = new Values(doc, file, problems);
    for (IniDocument.Entry e : section.get().entries().values()) {
      if (!KEYS.containsKey(e.key())) {
        problems.add(
            new ConfigProblem(
                file,
                e.line(),
                "[hupd] " + e.key(),
                "unknown key",
                "one of " + String.join(", ", KEYS.keySet().stream().sorted().toList())));
      }
    }
    Source source = d.source();
    Optional<String> sourceText = v.text("source");
    if (sourceText.isPresent()) {
      String t = sourceText.get();
      if (t.equalsIgnoreCase("cloudformation")) {
        source = new Source.CloudFormation();
      } else if (t.startsWith("file:") && t.length() > 5) {
        source = new Source.LocalFile(base.resolve(t.substring(5)).normalize());
      } else if (t.equalsIgnoreCase("store")) {
        source = new Source.Pushed();
      } else {
        v.problem("source", "unknown source '" + t + "'", KEYS.get("source"));
      }
    }
    Path stateDir = v.text("state-dir").map(t -> base.resolve(t).normalize()).orElse(d.stateDir());
    Optional<Duration> poll = Optional.empty();
    Optional<String> pollText = v.text("poll-seconds");
    if (pollText.isPresent()) {
      try {
        int n = Integer.parseInt(pollText.get());
        if (n < 1) {
          throw new NumberFormatException();
        }
        poll = Optional.of(Duration.ofSeconds(n));
      } catch (NumberFormatException e) {
        v.problem(
            "poll-seconds",
            "not a whole number >= 1: '" + pollText.get() + "'",
            KEYS.get("poll-seconds"));
      }
    }
    Optional<Duration> splay = v.duration("first-poll-splay", true);
    Duration actionTimeout = v.duration("action-timeout", false).orElse(d.actionTimeout());
    Duration stopTimeout = v.duration("stop-timeout", true).orElse(d.stopTimeout());
    Duration retryBudget = v.duration("retry-budget", true).orElse(d.retryBudget());
    OptionalInt maxFailures = OptionalInt.empty();
    Optional<String> maxText = v.text("max-failures");
    if (maxText.isPresent()) {
      try {
        int n = Integer.parseInt(maxText.get());
        if (n < 1) {
          throw new NumberFormatException();
        }
        maxFailures = OptionalInt.of(n);
      } catch (NumberFormatException e) {
        v.problem(
            "max-failures",
            "not a positive whole number: '" + maxText.get() + "'",
            KEYS.get("max-failures"));
      }
    }
    Optional<URI> proxy = v.uri("proxy");
    Optional<URI> imds = v.uri("imds-endpoint");
    Optional<Path> logFile = v.text("log-file").map(t -> base.resolve(t).normalize());
    Optional<Path> cfnHupState = d.cfnHupState();
    Optional<String> importText = v.text("import-cfn-hup-state");
    if (importText.isPresent()) {
      cfnHupState =
          importText.get().equalsIgnoreCase("none")
              ? Optional.empty()
              : Optional.of(base.resolve(importText.get()).normalize());
    }
    Optional<Toolchains> toolchains = Optional.empty();
    Optional<String> manifestText = v.text("toolchains-path");
    Path socket =
        v.text("docker-socket").map(t -> base.resolve(t).normalize()).orElse(DEFAULT_DOCKER_SOCKET);
    Optional<Path> dockerConfig = Optional.of(DEFAULT_DOCKER_CONFIG);
    Optional<String> dockerConfigText = v.text("docker-config");
    if (dockerConfigText.isPresent()) {
      dockerConfig =
          dockerConfigText.get().equalsIgnoreCase("none")
              ? Optional.empty()
              : Optional.of(base.resolve(dockerConfigText.get()).normalize());
    }
    String repository = v.text("toolchain-repository").orElse("hupd");
    if (!repository.matches("[a-z0-9]+(?:[._-][a-z0-9]+)*") || repository.length() > 100) {
      v.problem(
          "toolchain-repository",
          "not a repository name: '" + repository + "'",
          KEYS.get("toolchain-repository"));
    }
    if (manifestText.isPresent()) {
      String[] error = new String[1];
      Optional<MetadataPath> path = MetadataPath.parse(manifestText.get(), error);
      if (path.isEmpty() || path.get().target() != MetadataPath.Target.METADATA) {
        v.problem(
            "toolchains-path",
            path.isEmpty() ? error[0] : "must point into Metadata",
            "Resources.<LogicalId>.Metadata.<key>, e.g. Resources.AgentLaunchTemplate.Metadata.Toolchains");
      } else {
        toolchains = Optional.of(new Toolchains(path.get(), socket, dockerConfig, repository));
      }
    }
    Optional<Fleet> fleet = fleet(v, base, source);
    Optional<BambooSettings> bamboo = BambooKeys.read(v, base, hostName);
    Optional<StatusListen> statusListen = StatusListen.read(v);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new HupdSettings(
        source,
        stateDir,
        poll,
        splay,
        actionTimeout,
        stopTimeout,
        maxFailures,
        retryBudget,
        proxy,
        imds,
        logFile,
        cfnHupState,
        Optional.of(file),
        toolchains,
        fleet,
        bamboo,
        statusListen);
  }

  /**
   * This host's name as {@code InetAddress.getLocalHost()} reports it (the agent's own default
   * name), else {@code HOSTNAME}, else {@code localhost}.
   */
  static String localHostName() {
    try {
      String name = java.net.InetAddress.getLocalHost().getHostName();
      if (name != null && !name.isBlank()) {
        return name;
      }
    } catch (java.io.IOException e) {
      // fall through: no resolvable name
    }
    String env = System.getenv("HOSTNAME");
    return env == null || env.isBlank() ? "localhost" : env.strip();
  }

  private static Optional<Fleet> fleet(Values v, Path base, Source source) {
    Optional<String> storeText = v.text("store");
    if (storeText.isEmpty()) {
      for (String k :
          List.of(
              "fleet",
              "agent-id",
              "roles",
              "rollout-path",
              "ssm-url",
              "ssm-region",
              "register-every",
              "store-poll",
              "rollout")) {
        if (v.text(k).isPresent()) {
          v.problem(k, "needs a store to coordinate through", "also set store = ssm or dir:<path>");
        }
      }
      if (source instanceof Source.Pushed) {
        v.problem("source", "source = store needs a store", "also set store = ssm or dir:<path>");
      }
      return Optional.empty();
    }
    Store store;
    String t = storeText.get();
    if (t.equalsIgnoreCase("ssm")) {
      store = new Store.Ssm();
    } else if (t.startsWith("dir:") && t.length() > 4) {
      store = new Store.Dir(base.resolve(t.substring(4)).normalize());
    } else {
      v.problem("store", "unknown store '" + t + "'", KEYS.get("store"));
      return Optional.empty();
    }
    Optional<String> name = v.text("fleet");
    if (name.isEmpty()) {
      v.problem("fleet", "missing: a store needs a fleet name", KEYS.get("fleet"));
      return Optional.empty();
    }
    if (!name.get().matches("[A-Za-z0-9_.-]{1,64}")) {
      v.problem("fleet", "not a fleet name: '" + name.get() + "'", KEYS.get("fleet"));
    }
    Optional<String> agent = v.text("agent-id");
    if (agent.isPresent() && !agent.get().matches("[A-Za-z0-9_.-]{1,64}")) {
      v.problem("agent-id", "not an agent id: '" + agent.get() + "'", KEYS.get("agent-id"));
    }
    java.util.Set<String> roles = new java.util.TreeSet<>();
    for (String r : v.text("roles").orElse("").split(",")) {
      String role = r.strip();
      if (role.isEmpty()) {
        continue;
      }
      if (!role.matches("[A-Za-z0-9_.-]{1,64}")) {
        v.problem("roles", "not a role name: '" + role + "'", KEYS.get("roles"));
      }
      roles.add(role);
    }
    Optional<MetadataPath> rolloutPath = Optional.empty();
    Optional<String> rp = v.text("rollout-path");
    if (rp.isPresent()) {
      String[] error = new String[1];
      Optional<MetadataPath> path = MetadataPath.parse(rp.get(), error);
      if (path.isEmpty() || path.get().target() != MetadataPath.Target.METADATA) {
        v.problem(
            "rollout-path",
            path.isEmpty() ? error[0] : "must point into Metadata",
            "Resources.<LogicalId>.Metadata.<key>, e.g. Resources.AgentLaunchTemplate.Metadata.Rollout");
      } else {
        rolloutPath = path;
      }
    }
    Optional<URI> ssmUrl = v.uri("ssm-url");
    Optional<String> region = v.text("ssm-region");
    Duration every = v.duration("register-every", false).orElse(Duration.ofSeconds(30));
    boolean coordinate = true;
    Optional<String> rollout = v.text("rollout");
    if (rollout.isPresent()) {
      if (rollout.get().equalsIgnoreCase("off")) {
        coordinate = false;
      } else if (!rollout.get().equalsIgnoreCase("on")) {
        v.problem("rollout", "not on or off: '" + rollout.get() + "'", KEYS.get("rollout"));
      }
    }
    if (!coordinate && !(source instanceof Source.Pushed)) {
      v.problem(
          "rollout",
          "rollout = off only makes sense with source = store",
          "source = store, or drop rollout = off");
    }
    return Optional.of(
        new Fleet(
            store,
            name.get(),
            agent,
            java.util.Set.copyOf(roles),
            rolloutPath,
            ssmUrl,
            region,
            every,
            v.duration("store-poll", false),
            coordinate));
  }

  /** Reads {@code [hupd]} values and collects every problem with file, line, key, expected form. */
  record Values(IniDocument doc, Path file, List<ConfigProblem> problems) {
    Optional<String> text(String key) {
      try {
        return doc.get("hupd", key).map(String::strip).filter(s -> !s.isEmpty());
      } catch (ConfigException e) {
        problems.addAll(e.problems());
        return Optional.empty();
      }
    }

    Optional<Duration> duration(String key, boolean zeroAllowed) {
      Optional<String> t = text(key);
      if (t.isEmpty()) {
        return Optional.empty();
      }
      Optional<Duration> d = Durations.parse(t.get()).filter(x -> zeroAllowed || !x.isZero());
      if (d.isEmpty()) {
        problem(key, "not a duration: '" + t.get() + "'", KEYS.get(key));
      }
      return d;
    }

    Optional<URI> uri(String key) {
      Optional<String> t = text(key);
      if (t.isEmpty()) {
        return Optional.empty();
      }
      try {
        URI u = new URI(t.get());
        if (u.getScheme() == null
            || u.getHost() == null
            || !u.getScheme().toLowerCase(Locale.ROOT).startsWith("http")) {
          throw new URISyntaxException(t.get(), "not http");
        }
        return Optional.of(u);
      } catch (URISyntaxException e) {
        problem(key, "not an http URL: '" + t.get() + "'", KEYS.get(key));
        return Optional.empty();
      }
    }

    /** Whether the key is written at all, even with an empty value. */
    boolean present(String key) {
      return doc.entry("hupd", key).isPresent();
    }

    void problem(String key, String message, String expected) {
      problemAt(key, key, message, expected);
    }

    /** A problem about {@code key} located at the line of {@code lineKey} (e.g. a missing key). */
    void problemAt(String lineKey, String key, String message, String expected) {
      int line = doc.entry("hupd", lineKey).map(IniDocument.Entry::line).orElse(0);
      problems.add(new ConfigProblem(file, line, "[hupd] " + key, message, expected));
    }
  }
}
