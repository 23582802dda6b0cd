package dev.hupd.host;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.apply.PassReport;
import dev.hupd.config.ConfigException;
import dev.hupd.config.Durations;
import dev.hupd.config.HupdSettings;
import dev.hupd.metadata.StateStore;
import dev.hupd.rollout.Names;
import dev.hupd.rollout.Publisher;
import dev.hupd.rollout.RolloutAgent;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreContents;
import dev.hupd.rollout.StoreException;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.PinnedSource;
import dev.hupd.status.StatusBoard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon loop with fleet coordination on (docs/rollout.md §3): the rollout agent decides which
 * revision this host may run and drives switches through {@link FleetHost}; a {@link Registrar}
 * publishes new content read from CloudFormation or a file; between switches, ordinary passes
 * re-run the applied revision so failed hooks retry as in cfn-hup.
 */
final class FleetLoop {

  private static final Logger log = LoggerFactory.getLogger(FleetLoop.class);

  /** The journal's key in the state file. */
  static String journalKey(String fleet) {
    return "rollout/" + fleet;
  }

  private final Configuration config;
  private final StateStore state;
  private final Wakeup wakeup;
  private final InstanceLock lock;
  private final PinnedSource pinned;
  private final Supplier<Runner> runner;
  private final java.util.Map<String, String> env;
  private final StatusBoard board;
  private final SystemdNotify notify;

  FleetLoop(
      Configuration config,
      StateStore state,
      Wakeup wakeup,
      InstanceLock lock,
      PinnedSource pinned,
      Supplier<Runner> runner,
      java.util.Map<String, String> env,
      StatusBoard board,
      SystemdNotify notify) {
    this.config = config;
    this.state = state;
    this.wakeup = wakeup;
    this.lock = lock;
    this.pinned = pinned;
    this.runner = runner;
    this.env = env;
    this.board = board;
    this.notify = notify;
  }

  int run() {
    HupdSettings.Fleet fleet = config.settings().fleet().orElseThrow();
    String agentId;
    RolloutStore store;
    try {
      agentId = FleetStores.agentId(fleet, config.settings(), env);
      store = FleetStores.open(fleet, config, env);
    } catch (ConfigException e) {
      e.problems().forEach(p -> log.error("event=config.invalid problem=\"{}\"", p));
      return Daemon.EXIT_CONFIG;
    }
    try (store) {
      return loop(fleet, agentId, store);
    } catch (StoreException e) {
      log.error(
          "event=fleet.unusable store=\"{}\" reason=\"{}\"", store.description(), e.getMessage());
      return Daemon.EXIT_CONFIG;
    }
  }

  private int loop(HupdSettings.Fleet fleet, String agentId, RolloutStore store)
      throws StoreException {
    Names names = new Names(fleet.name());
    StoreContents contents = new StoreContents(store, names);
    Path revisions = config.settings().stateDir().resolve("revisions");
    RolloutAgent.ContentCache cache = new FileCache(revisions);
    String key = journalKey(fleet.name());
    RolloutAgent.Journal journal =
        new RolloutAgent.Journal() {
          @Override
          public Optional<JsonNode> load() {
            return Optional.ofNullable(state.document(key));
          }

          @Override
          public void save(JsonNode s) {
            try {
              state.putDocument(key, s);
            } catch (StateStore.StateException e) {
              throw new UncheckedIOException(e);
            }
          }
        };
    FleetHost host =
        new FleetHost(pinned, runner, wakeup::stopping, notify::progress, agentId, board);
    boolean local = fleet.store() instanceof HupdSettings.Store.Dir;
    RolloutAgent agent =
        new RolloutAgent(
            agentId,
            fleet.roles(),
            store,
            names,
            contents,
            host,
            journal,
            cache,
            System::currentTimeMillis,
            new java.util.Random(new SecureRandom().nextLong()),
            fleet
                .storePoll()
                .map(d -> RolloutAgent.Pacing.floor(d.toMillis()))
                .orElse(local ? RolloutAgent.Pacing.local() : RolloutAgent.Pacing.ssm()));
    if (agent.applied() > 0) {
      cache.get(agent.appliedSha()).ifPresent(c -> pinned.pin(c, "revision " + agent.applied()));
    }
    Registrar registrar = null;
    MetadataSource configured = null;
    if (!(config.settings().source() instanceof HupdSettings.Source.Pushed)) {
      try {
        configured = Runner.configuredSource(config, env, wakeup);
      } catch (ConfigException e) {
        e.problems().forEach(p -> log.error("event=config.invalid problem=\"{}\"", p));
        return Daemon.EXIT_CONFIG;
      }
      Publisher publisher =
          new Publisher(
              new dev.hupd.rollout.RetryingStore(store, 30_000),
              names,
              contents,
              System::currentTimeMillis,
              agentId);
      registrar =
          new Registrar(
              configured,
              publisher,
              config,
              fleet.rolloutPath().map(p -> p.text()),
              config.settings().source() instanceof HupdSettings.Source.CloudFormation);
    }
    AutoCloseable watch = FleetStores.watch(store, wakeup::changed);
    Duration interval = runner.get().schedule().interval();
    boolean fastRegistrar = fleet.roles().contains("canary");
    Duration registerEvery =
        fastRegistrar || interval.compareTo(fleet.registerEvery()) < 0
            ? fleet.registerEvery()
            : interval;
    log.info(
        "event=daemon.started pid={} mode=fleet fleet={} agent={} roles={} store=\"{}\""
            + " registers={} state={}",
        ProcessHandle.current().pid(),
        fleet.name(),
        agentId,
        fleet.roles(),
        store.description(),
        registrar == null ? "no (source = store)" : "every " + Durations.format(registerEvery),
        state.file());
    board.started(
        "fleet " + fleet.name() + " (" + store.description() + ")",
        StatusServers.expectations(config.settings(), interval),
        Duration.ZERO,
        state.snapshot());
    long nextRegister = System.nanoTime();
    long nextMaintenance = System.nanoTime() + interval.toNanos();
    boolean ready = false;
    long lastApplied = agent.applied();
    try {
      while (!wakeup.stopping()) {
        if (registrar != null && System.nanoTime() >= nextRegister) {
          registrar.run(config.cfnHup().main().stack());
          nextRegister = System.nanoTime() + registerEvery.toNanos();
        }
        long delayMs;
        board.busy();
        try {
          delayMs = agent.tick();
        } catch (UncheckedIOException e) {
          log.error(
              "event=fleet.journal-failed reason=\"{}\" next=\"exiting: without its journal an"
                  + " agent could act twice\"",
              e.getCause().getMessage());
          return Daemon.EXIT_FAILURE;
        }
        if (agent.applied() != lastApplied) {
          lastApplied = agent.applied();
          nextMaintenance = System.nanoTime() + interval.toNanos();
        }
        if (!ready) {
          ready = true;
          log.info(
              "event=daemon.ready agent={} applied={} holding=\"{}\"",
              agentId,
              agent.applied(),
              agent.holding());
          notify.ready("Ready: fleet agent, revision " + agent.applied());
        }
        if (System.nanoTime() >= nextMaintenance && pinned.pinned() && !agent.switching()) {
          long started = System.nanoTime();
          PassReport report = runner.get().pipeline().runPass(wakeup::stopping, notify::progress);
          board.passDone(report, Duration.ofNanos(System.nanoTime() - started));
          notify.passDone(java.time.Instant.now(), report.actionsRun(), report.actionsFailed());
          log.debug(
              "event=pass.done mode=maintenance revision={} actions={} failed={}",
              agent.applied(),
              report.actionsRun(),
              report.actionsFailed());
          nextMaintenance = System.nanoTime() + interval.toNanos();
        }
        if (!lock.stillHeld()) {
          log.error(
              "event=daemon.lock-lost reason=\"the state folder or its lock file was removed\"");
          return Daemon.EXIT_FAILURE;
        }
        runner.get().bamboo().ifPresent(dev.hupd.bamboo.AgentLifecycle::tick);
        long deadline = System.nanoTime() + Duration.ofMillis(delayMs).toNanos();
        deadline = Math.min(deadline, runner.get().bambooWake());
        if (registrar != null) {
          deadline = Math.min(deadline, nextRegister);
        }
        if (pinned.pinned()) {
          deadline = Math.min(deadline, nextMaintenance);
        }
        board.waiting(Duration.ofNanos(deadline - System.nanoTime()), state.snapshot());
        Wakeup.Reason why = wakeup.await(notify.wakeBy(deadline));
        notify.keepAlive();
        if (why == Wakeup.Reason.STOP) {
          break;
        }
        if (why == Wakeup.Reason.RELOAD) {
          notify.reloading();
          log.info(
              "event=config.reload-partial reason=\"fleet mode re-reads hooks at restart only\"");
          notify.ready(
              "Ready: fleet agent, revision "
                  + agent.applied()
                  + " (reload: fleet mode re-reads its configuration only at a restart)");
        }
      }
    } finally {
      if (configured != null) {
        configured.close();
      }
      try {
        watch.close();
      } catch (Exception e) {
        // closing a watcher on the way out cannot matter
      }
    }
    Daemon.stopBamboo(runner.get(), env, wakeup);
    log.info("event=daemon.stopped exit={} applied={}", wakeup.exitCode(), agent.applied());
    return wakeup.exitCode();
  }

  /** Revision contents in {@code <state-dir>/revisions/<sha256>.json}. */
  static final class FileCache implements RolloutAgent.ContentCache {
    private final Path dir;

    FileCache(Path dir) {
      this.dir = dir;
    }

    @Override
    public void put(String sha, String content) {
      try {
        Files.createDirectories(dir);
        Path target = dir.resolve(sha + ".json");
        if (Files.exists(target)) {
          return;
        }
        Path tmp = Files.createTempFile(dir, ".rev", ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public Optional<String> get(String sha) {
      if (!sha.matches("[0-9a-f]{64}")) {
        return Optional.empty();
      }
      try {
        return Optional.of(Files.readString(dir.resolve(sha + ".json"), StandardCharsets.UTF_8));
      } catch (IOException e) {
        return Optional.empty();
      }
    }
  }
}
