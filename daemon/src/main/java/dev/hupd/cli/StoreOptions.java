package dev.hupd.cli;

import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import dev.hupd.host.Daemon;
import dev.hupd.host.FleetStores;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.rollout.Names;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * Where an operator's command finds the fleet: {@code --settings} (a hupd.conf; the default one
 * when it exists) layered under explicit flags, which win.
 */
final class StoreOptions {

  @Option(
      names = "--store",
      paramLabel = "ssm|dir:PATH",
      description = "the fleet's store (overrides store in the settings)")
  String store;

  @Option(names = "--fleet", paramLabel = "NAME", description = "the fleet name")
  String fleet;

  @Option(
      names = "--region",
      paramLabel = "R",
      description = "SSM region (else ssm-region, AWS_REGION, AWS_DEFAULT_REGION)")
  String region;

  @Option(names = "--ssm-url", paramLabel = "URL", description = "SSM endpoint override")
  String ssmUrl;

  @Option(
      names = "--rollout-path",
      paramLabel = "P",
      description = "where the rollout policy sits, e.g. Resources.Agent.Metadata.Rollout")
  String rolloutPath;

  /**
   * The fleet to act on.
   *
   * @param store where its records live
   * @param name the fleet name
   * @param region SSM region (always present for SSM)
   * @param ssmUrl SSM endpoint override
   * @param rolloutPath where a pushed document carries its policy
   */
  record Target(
      HupdSettings.Store store,
      String name,
      Optional<String> region,
      Optional<URI> ssmUrl,
      Optional<MetadataPath> rolloutPath) {

    Names names() {
      return new Names(name);
    }

    /** Opens the store; exit 1 when a folder store cannot be used. */
    RolloutStore open(Map<String, String> env) throws CommandException {
      try {
        return FleetStores.openForOperator(store, region, ssmUrl, env);
      } catch (StoreException e) {
        throw new CommandException(Daemon.EXIT_FAILURE, "store: " + e.getMessage());
      }
    }
  }

  /** Resolves settings and flags; 64 for a missing or malformed flag, 78 for a bad file. */
  Target resolve(Path settingsFile, Map<String, String> env) throws CommandException {
    Optional<HupdSettings.Fleet> file = settings(settingsFile);
    HupdSettings.Store st =
        store != null ? parseStore(store) : file.map(HupdSettings.Fleet::store).orElse(null);
    String name = fleet != null ? fleet : file.map(HupdSettings.Fleet::name).orElse(null);
    if (st == null || name == null) {
      throw new CommandException(
          Daemon.EXIT_USAGE,
          "which fleet? give --store ssm|dir:PATH and --fleet NAME, or --settings FILE with"
              + " store and fleet");
    }
    if (!Names.validId(name)) {
      throw new CommandException(
          Daemon.EXIT_USAGE,
          "--fleet " + name + ": expected 1–64 letters, digits, '.', '_' or '-'");
    }
    Optional<String> r =
        Optional.ofNullable(region).or(() -> file.flatMap(HupdSettings.Fleet::region));
    Optional<URI> url =
        ssmUrl != null ? Optional.of(parseUrl(ssmUrl)) : file.flatMap(f -> f.ssmEndpoint());
    Optional<MetadataPath> path =
        rolloutPath != null
            ? Optional.of(parsePath(rolloutPath))
            : file.flatMap(HupdSettings.Fleet::rolloutPath);
    if (st instanceof HupdSettings.Store.Ssm && r.isEmpty()) {
      r = firstOf(env, "AWS_REGION", "AWS_DEFAULT_REGION");
      if (r.isEmpty()) {
        throw new CommandException(
            Daemon.EXIT_USAGE,
            "--store ssm needs a region: --region R, ssm-region in the settings, or AWS_REGION");
      }
    }
    return new Target(st, name, r, url, path);
  }

  private static Optional<HupdSettings.Fleet> settings(Path explicit) throws CommandException {
    Path file = explicit != null ? explicit : HupdSettings.DEFAULT_FILE;
    if (explicit == null && !Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return HupdSettings.load(file, explicit != null).fleet();
    } catch (ConfigException e) {
      throw new CommandException(
          Daemon.EXIT_CONFIG,
          e.problems().stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
    }
  }

  private static HupdSettings.Store parseStore(String text) throws CommandException {
    if (text.equalsIgnoreCase("ssm")) {
      return new HupdSettings.Store.Ssm();
    }
    if (text.startsWith("dir:") && text.length() > 4) {
      return new HupdSettings.Store.Dir(Path.of(text.substring(4)).toAbsolutePath().normalize());
    }
    throw new CommandException(Daemon.EXIT_USAGE, "--store " + text + ": expected ssm or dir:PATH");
  }

  private static URI parseUrl(String text) throws CommandException {
    try {
      URI u = new URI(text);
      if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
        return u;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    throw new CommandException(
        Daemon.EXIT_USAGE, "--ssm-url " + text + ": expected http[s]://host[:port]");
  }

  private static MetadataPath parsePath(String text) throws CommandException {
    String[] error = new String[1];
    Optional<MetadataPath> p = MetadataPath.parse(text, error);
    if (p.isEmpty() || p.get().target() != MetadataPath.Target.METADATA) {
      throw new CommandException(
          Daemon.EXIT_USAGE,
          "--rollout-path "
              + text
              + ": "
              + (p.isEmpty() ? error[0] : "must point into Metadata")
              + "; expected Resources.<LogicalId>.Metadata.<key>");
    }
    return p.get();
  }

  private static Optional<String> firstOf(Map<String, String> env, String... keys) {
    for (String k : keys) {
      String v = env.get(k);
      if (v != null && !v.isBlank()) {
        return Optional.of(v.strip());
      }
    }
    return Optional.empty();
  }
}
