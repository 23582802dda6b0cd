package dev.hupd.host;

import dev.hupd.apply.PassReport;
import dev.hupd.bamboo.AgentLifecycle;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.Durations;
import dev.hupd.config.HupdSettings;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.status.StatusBoard;
import dev.hupd.status.StatusServer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process: load configuration, take the instance lock, open the state, then either one pass
 * ({@code once}) or the poll loop ({@code run}), which never forks. SIGTERM lets a running action
 * finish (up to {@code stop-timeout}) and exits 0; SIGINT does the same and exits 130; SIGHUP
 * re-reads the configuration and swaps in a freshly built runner only if it is valid.
 */
public final class Daemon {

  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_USAGE = 64;
  public static final int EXIT_LOCKED = 75;
  public static final int EXIT_CONFIG = 78;
  public static final int EXIT_INTERRUPTED = 130;

  private static final Logger log = LoggerFactory.getLogger(Daemon.class);
  private static final Duration SETTLE = Duration.ofMillis(50);

  private final Configuration.Locations where;
  private final boolean verboseFlag;
  private final Map<String, String> env;
  private final Wakeup wakeup = new Wakeup();
  private final LogLimiter limiter = new LogLimiter();
  private volatile Runner runner;
  private volatile StatusBoard board;
  private volatile SystemdNotify notify = SystemdNotify.off();

  public Daemon(Configuration.Locations where, boolean verboseFlag, Map<String, String> env) {
    this.where = where;
    this.verboseFlag = verboseFlag;
    this.env = env;
  }

  /** Runs until stopped ({@code once=false}) or for one pass; returns the exit code. */
  public int run(boolean once) {
    installSignals(); // first: a SIGTERM or SIGHUP during start-up must not kill the JVM
    Configuration config;
    try {
      config = Configuration.load(where);
    } catch (ConfigException e) {
      reportProblems(e);
      return EXIT_CONFIG;
    }
    boolean verbose = verboseFlag || config.cfnHup().main().verbose();
    if (config.settings().logFile().isPresent()) {
      Logging.configure(verbose, config.settings().logFile());
    } else {
      Logging.setVerbose(verbose);
    }
    config.cfnHup().warnings().forEach(w -> log.warn("event=config.warning problem=\"{}\"", w));
    if (!once) {
      try {
        notify = SystemdNotify.fromEnvironment(env, ProcessHandle.current().pid());
      } catch (SystemdNotify.UnavailableException e) {
        // Failing fast beats systemd waiting for a READY=1 that never comes (TimeoutStartSec).
        log.error(
            "event=systemd.notify-unavailable reason=\"{}\" hint=\"{}\"", e.getMessage(), e.hint());
        return EXIT_CONFIG;
      }
    }
    try {
      return runLocked(config, once);
    } finally {
      notify.close();
    }
  }

  private int runLocked(Configuration config, boolean once) {
    try (InstanceLock lock = InstanceLock.acquire(config.settings().stateDir())) {
      StateStore state =
          StateStore.open(config.settings().stateDir(), config.settings().cfnHupState());
      boolean fleet = config.settings().fleet().map(HupdSettings.Fleet::coordinate).orElse(false);
      if (fleet && once) {
        log.error(
            "event=daemon.usage reason=\"once is not available with a store: a fleet agent only"
                + " switches through the rollout\" hint=\"use hupd run\"");
        return EXIT_USAGE;
      }
      dev.hupd.source.PinnedSource pinned = new dev.hupd.source.PinnedSource();
      try {
        runner =
            fleet
                ? Runner.build(config, state, env, wakeup, limiter, pinned)
                : Runner.build(config, state, env, wakeup, limiter);
      } catch (ConfigException e) {
        reportProblems(e);
        return EXIT_CONFIG;
      } catch (RuntimeException e) {
        log.error("event=config.unusable reason=\"{}\"", e.toString());
        return EXIT_CONFIG;
      }
      if (once) {
        try {
          return runOnce();
        } finally {
          runner.close();
        }
      }
      board = StatusServers.board(fleet ? "fleet" : "cfn-hup");
      Optional<StatusServer> status = StatusServers.start(config.settings().statusListen(), board);
      try {
        if (fleet) {
          return new FleetLoop(
                  config, state, wakeup, lock, pinned, () -> runner, env, board, notify)
              .run();
        }
        return loop(state, lock);
      } finally {
        board.stopping();
        status.ifPresent(StatusServer::close);
        runner.close();
      }
    } catch (InstanceLock.HeldException e) {
      log.error("event=daemon.locked reason=\"{}\"", e.getMessage());
      return EXIT_LOCKED;
    } catch (IOException e) {
      log.error(
          "event=daemon.failed reason=\"{}: {}\" hint=\"the state folder must be writable by uid {}\"",
          e.getClass().getSimpleName(),
          e.getMessage(),
          new com.sun.security.auth.module.UnixSystem().getUid());
      return EXIT_FAILURE;
    }
  }

  private int runOnce() {
    if (wakeup.stopping()) {
      return wakeup.exitCode();
    }
    PassReport report = runner.pipeline().runPass(wakeup::stopping);
    log.info(
        "event=pass.done mode=once actions={} failed={} read_errors={} state_errors={} skipped=\"{}\"",
        report.actionsRun(),
        report.actionsFailed(),
        report.readErrors(),
        report.stateErrors(),
        report.skippedReason().orElse(""));
    if (wakeup.stopping()) {
      return wakeup.exitCode();
    }
    return report.clean() ? EXIT_OK : EXIT_FAILURE;
  }

  private int loop(StateStore state, InstanceLock lock) {
    Runner r = runner;
    r.source().watch(wakeup::changed);
    Duration first = r.schedule().firstDelay(ThreadLocalRandom.current());
    log.info(
        "event=daemon.started pid={} source=\"{}\" hooks={} interval={} first_poll_in={} state={}",
        ProcessHandle.current().pid(),
        r.source().description(),
        r.configuration().cfnHup().hooks().size(),
        Durations.format(r.schedule().interval()),
        Durations.format(first),
        state.file());
    board.started(
        r.source().description(),
        StatusServers.expectations(r.configuration().settings(), r.schedule().interval()),
        first,
        state.snapshot());
    long next = System.nanoTime() + first.toNanos();
    boolean ready = false;
    while (true) {
      long wake = Math.min(next, runner.bambooWake());
      Wakeup.Reason reason = wakeup.await(notify.wakeBy(wake));
      notify.keepAlive();
      if (reason == Wakeup.Reason.STOP) {
        break;
      }
      if (reason == Wakeup.Reason.TIMER && System.nanoTime() < wake) {
        continue; // woken only for the watchdog
      }
      if (reason == Wakeup.Reason.TIMER && System.nanoTime() < next) {
        runner.bamboo().ifPresent(AgentLifecycle::tick); // registration only, not a pass
        board.waiting(untilWake(next), state.snapshot());
        continue;
      }
      if (reason == Wakeup.Reason.RELOAD) {
        notify.reloading();
        notify.ready(
            reload(state)
                ? "Ready: configuration reloaded"
                : "Ready: reload rejected (invalid configuration, see the log); previous"
                    + " configuration kept");
      } else if (reason == Wakeup.Reason.CHANGED) {
        // let an editor finish writing (several events arrive for one save)
        wakeup.sleep(SETTLE);
        wakeup.clearChanged();
        log.debug("event=source.changed");
      }
      if (wakeup.stopping()) {
        break;
      }
      long started = System.nanoTime();
      board.busy();
      PassReport report = runner.pipeline().runPass(wakeup::stopping, notify::progress);
      board.passDone(report, Duration.ofNanos(System.nanoTime() - started));
      log.debug(
          "event=pass.done duration_ms={} actions={} read_errors={} step_errors={}",
          Duration.ofNanos(System.nanoTime() - started).toMillis(),
          report.actionsRun(),
          report.readErrors(),
          report.stepErrors());
      if (!ready && report.readErrors() == 0 && !wakeup.stopping()) {
        ready = true;
        log.info(
            "event=daemon.ready first_pass_ms={} actions={}",
            Duration.ofNanos(System.nanoTime() - started).toMillis(),
            report.actionsRun());
        notify.ready("Ready: first pass done, " + report.actionsRun() + " actions");
      } else {
        notify.passDone(Instant.now(), report.actionsRun(), report.actionsFailed());
      }
      if (!lock.stillHeld()) {
        log.error(
            "event=daemon.lock-lost state={} reason=\"the state folder or its lock file was removed\""
                + " next=\"exiting so that a restart takes a fresh lock and state\"",
            state.file().getParent());
        return EXIT_FAILURE;
      }
      next = System.nanoTime() + runner.schedule().nextDelay(ThreadLocalRandom.current()).toNanos();
      board.waiting(untilWake(next), state.snapshot());
    }
    stopBamboo(runner, env, wakeup);
    log.info("event=daemon.stopped exit={}", wakeup.exitCode());
    return wakeup.exitCode();
  }

  /** How long until the loop wakes: the next pass or the Bamboo lifecycle's next wish. */
  private Duration untilWake(long nextPass) {
    return Duration.ofNanos(Math.min(nextPass, runner.bambooWake()) - System.nanoTime());
  }

  /** After the loop: the Bamboo agent's stop policy (drain, remove), on the main thread. */
  static void stopBamboo(Runner r, Map<String, String> env, Wakeup wakeup) {
    if (r.bamboo().isEmpty()) {
      return;
    }
    boolean scaleIn = false;
    if (r.configuration().settings().bamboo().orElseThrow().remove()
        == dev.hupd.config.BambooSettings.Remove.SCALE_IN) {
      try {
        scaleIn =
            dev.hupd.aws.InstanceMetadata.fromSettings(
                    r.configuration().settings().imdsEndpoint(), env)
                .get("meta-data/autoscaling/target-lifecycle-state")
                .map(v -> v.strip().equals("Terminated"))
                .orElse(false);
      } catch (IOException e) {
        log.info(
            "event=bamboo.scale-in-unknown reason=\"{}\" next=\"not treated as a scale-in\"",
            e.getMessage());
      }
    }
    r.bamboo().get().stop(scaleIn, wakeup::sleepWhileStopping);
  }

  /** Re-reads every configuration file; false (and the old one kept) when it is not valid. */
  private boolean reload(StateStore state) {
    log.info("event=config.reload");
    Configuration fresh;
    Runner built;
    try {
      fresh = Configuration.load(where);
      if (!fresh.settings().stateDir().equals(runner.configuration().settings().stateDir())) {
        log.warn(
            "event=config.reload-partial reason=\"state-dir changes need a restart\" keeping={}",
            runner.configuration().settings().stateDir());
      }
      if (!fresh
          .settings()
          .statusListen()
          .equals(runner.configuration().settings().statusListen())) {
        log.warn(
            "event=config.reload-partial reason=\"status-listen changes need a restart\" keeping={}",
            runner.configuration().settings().statusListen().map(l -> l.display()).orElse("off"));
      }
      built = Runner.build(fresh, state, env, wakeup, limiter);
    } catch (RuntimeException e) {
      log.error(
          "event=config.reload-rejected reason=\"{}\" keeping=\"previous configuration\"",
          e.toString());
      return false;
    } catch (ConfigException e) {
      reportProblems(e);
      log.error(
          "event=config.reload-rejected reason=\"invalid configuration\" keeping=\"previous configuration\"");
      return false;
    }
    Runner old = runner;
    runner = built;
    old.close();
    Logging.setVerbose(verboseFlag || fresh.cfnHup().main().verbose());
    fresh.cfnHup().warnings().forEach(w -> log.warn("event=config.warning problem=\"{}\"", w));
    built.source().watch(wakeup::changed);
    board.reconfigured(
        built.source().description(),
        StatusServers.expectations(fresh.settings(), built.schedule().interval()));
    log.info(
        "event=config.reloaded hooks={} source=\"{}\"",
        fresh.cfnHup().hooks().size(),
        built.source().description());
    return true;
  }

  private void installSignals() {
    Signals.listen(
        new Signals.Listener() {
          @Override
          public void stop(int exitCode, String signal) {
            requestStop(exitCode, signal);
          }

          @Override
          public void reload() {
            wakeup.reload();
          }
        });
  }

  private void requestStop(int code, String why) {
    if (wakeup.stopping()) {
      wakeup.stop(code); // a second signal: cuts the shutdown drain short
      return;
    }
    Runner r = runner;
    Duration grace = r == null ? Duration.ZERO : r.configuration().settings().stopTimeout();
    log.info("event=daemon.stopping signal={} action_grace={}", why, Durations.format(grace));
    StatusBoard b = board;
    if (b != null) {
      b.stopping();
    }
    notify.stopping();
    if (r != null) {
      r.actions().stopWithin(grace);
    }
    wakeup.stop(code);
  }

  private static void reportProblems(ConfigException e) {
    for (ConfigProblem w : e.warnings()) {
      log.warn("event=config.warning problem=\"{}\"", w);
    }
    for (ConfigProblem p : e.problems()) {
      log.error("event=config.invalid problem=\"{}\"", p);
    }
  }
}
