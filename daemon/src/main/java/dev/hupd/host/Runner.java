package dev.hupd.host;

import dev.hupd.apply.HooksStep;
import dev.hupd.apply.PassGate;
import dev.hupd.apply.PassStep;
import dev.hupd.apply.Pipeline;
import dev.hupd.aws.CloudFormationSource;
import dev.hupd.bamboo.AgentLifecycle;
import dev.hupd.config.ConfigException;
import dev.hupd.config.HupdSettings;
import dev.hupd.docker.DockerEngine;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.Backoff;
import dev.hupd.poll.LogLimiter;
import dev.hupd.poll.RetryingSource;
import dev.hupd.poll.Schedule;
import dev.hupd.poll.Sleeper;
import dev.hupd.source.FileMetadataSource;
import dev.hupd.source.MetadataSource;
import dev.hupd.toolchain.DockerImageHost;
import dev.hupd.toolchain.ToolchainStep;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A configuration turned into running parts: the metadata source (with retries), the action runner,
 * the apply pipeline and the poll schedule. A reload builds a fresh Runner and swaps it in only
 * when it was built without error.
 *
 * @param configuration what it was built from
 * @param source the (retrying) metadata source
 * @param actions the action runner (told about shutdown)
 * @param pipeline the apply pipeline
 * @param schedule when to poll
 * @param engine the container engine client, when toolchains are managed
 * @param bamboo the Bamboo agent lifecycle (also the pipeline's gate), when {@code bamboo-url} is
 *     set
 */
public record Runner(
    Configuration configuration,
    MetadataSource source,
    ActionRunner actions,
    Pipeline pipeline,
    Schedule schedule,
    AutoCloseable engine,
    Optional<AgentLifecycle> bamboo)
    implements AutoCloseable {

  /** Longest random delay before the first CloudFormation poll (never longer than the interval). */
  static final Duration MAX_DEFAULT_SPLAY = Duration.ofSeconds(60);

  public static Runner build(
      Configuration c,
      StateStore state,
      Map<String, String> env,
      Sleeper sleeper,
      LogLimiter limiter)
      throws ConfigException {
    return build(c, state, env, sleeper, limiter, configuredSource(c, env, sleeper));
  }

  /** The metadata source the settings name (CloudFormation or a file), with retries. */
  public static MetadataSource configuredSource(
      Configuration c, Map<String, String> env, Sleeper sleeper) throws ConfigException {
    HupdSettings s = c.settings();
    MetadataSource raw;
    if (s.source() instanceof HupdSettings.Source.LocalFile f) {
      raw = new FileMetadataSource(f.path());
    } else if (s.source() instanceof HupdSettings.Source.Pushed) {
      HupdSettings.Fleet fleet = s.fleet().orElseThrow();
      try {
        raw =
            new dev.hupd.rollout.StoreSource(
                FleetStores.open(fleet, c, env), new dev.hupd.rollout.Names(fleet.name()));
      } catch (dev.hupd.rollout.StoreException e) {
        throw new ConfigException(
            new dev.hupd.config.ConfigProblem(
                s.file().orElse(HupdSettings.DEFAULT_FILE),
                0,
                "[hupd] store",
                e.getMessage(),
                "a usable store"));
      }
    } else {
      raw = CloudFormationSource.create(c.cfnHup().main(), s, env, systemProperties());
    }
    return new RetryingSource(
        raw, Backoff.standard(s.retryBudget()), sleeper, ThreadLocalRandom.current());
  }

  /** A runner whose pipeline reads {@code source}; fleet mode pins it to a revision. */
  public static Runner build(
      Configuration c,
      StateStore state,
      Map<String, String> env,
      Sleeper sleeper,
      LogLimiter limiter,
      MetadataSource source)
      throws ConfigException {
    HupdSettings s = c.settings();
    ActionRunner actions = new ActionRunner(env, c.cfnHup().main().umask());
    HooksStep hooks =
        new HooksStep(c.cfnHup().hooks(), actions, s.actionTimeout(), s.maxFailures(), limiter);
    Duration interval =
        s.pollInterval().orElse(Duration.ofMinutes(c.cfnHup().main().intervalMinutes()));
    Duration splay =
        s.firstPollSplay()
            .orElse(
                s.source() instanceof HupdSettings.Source.LocalFile
                        || (s.source() instanceof HupdSettings.Source.Pushed
                            && s.fleet()
                                .map(f -> f.store() instanceof HupdSettings.Store.Dir)
                                .orElse(false))
                    ? Duration.ZERO
                    : (interval.compareTo(MAX_DEFAULT_SPLAY) < 0 ? interval : MAX_DEFAULT_SPLAY));
    List<PassStep> steps = new ArrayList<>();
    steps.add(hooks);
    AutoCloseable engine = () -> {};
    if (s.toolchains().isPresent()) {
      HupdSettings.Toolchains t = s.toolchains().get();
      DockerEngine docker = new DockerEngine(t.dockerSocket(), Duration.ofMinutes(2));
      engine = docker;
      steps.add(
          new ToolchainStep(
              t.manifestPath(),
              new DockerImageHost(docker, t.dockerConfig(), owner(s.stateDir())),
              limiter,
              Clock.systemUTC(),
              t.repository()));
    }
    Optional<AgentLifecycle> bamboo = Optional.empty();
    if (s.bamboo().isPresent()) {
      bamboo =
          Optional.of(
              BambooWiring.lifecycle(
                  c,
                  s.bamboo().get(),
                  state,
                  env,
                  sleeper,
                  sleeper instanceof Wakeup w ? w::stopping : () -> false,
                  limiter));
    }
    return new Runner(
        c,
        source,
        actions,
        new Pipeline(source, state, steps, bamboo.<PassGate>map(b -> b).orElse(PassGate.NONE)),
        new Schedule(interval, splay),
        engine,
        bamboo);
  }

  /** When the Bamboo lifecycle wants the loop awake next, as a {@link System#nanoTime} value. */
  long bambooWake() {
    if (bamboo.isEmpty()) {
      return Long.MAX_VALUE;
    }
    Duration left = Duration.between(java.time.Instant.now(), bamboo.get().nextWake());
    return System.nanoTime() + Math.max(0, left.toNanos());
  }

  /** A stable short id of this hupd: its state folder. */
  static String owner(java.nio.file.Path stateDir) {
    return dev.hupd.metadata.Json.sha256(stateDir.toAbsolutePath().normalize().toString())
        .substring(0, 12);
  }

  static Map<String, String> systemProperties() {
    Map<String, String> out = new TreeMap<>();
    Properties p = System.getProperties();
    for (String name : p.stringPropertyNames()) {
      out.put(name, p.getProperty(name));
    }
    return out;
  }

  @Override
  public void close() {
    source.close();
    bamboo.ifPresent(AgentLifecycle::close);
    try {
      engine.close();
    } catch (Exception e) {
      // closing a client cannot fail in a way that matters on the way out
    }
  }
}
