package dev.hupd.host;

import dev.hupd.apply.PassReport;
import dev.hupd.config.Durations;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.rollout.Local;
import dev.hupd.rollout.Policy;
import dev.hupd.source.PinnedSource;
import dev.hupd.status.StatusBoard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet agent's own host: a switch pins the revision's document and runs one ordinary apply pass
 * (hooks, then toolchains) against it; health is judged from that pass and the policy's health
 * command (docs/rollout.md §4, §13). Runs synchronously on the daemon's thread.
 */
final class FleetHost implements Local {

  private static final Logger log = LoggerFactory.getLogger(FleetHost.class);

  private final PinnedSource pinned;
  private final Supplier<Runner> runner;
  private final BooleanSupplier stopping;
  private final Runnable progress;
  private final String agentId;
  private final StatusBoard board;
  private Optional<Outcome> outcome = Optional.empty();
  private long current; // the revision of the last switch, for the health command's environment

  FleetHost(
      PinnedSource pinned,
      Supplier<Runner> runner,
      BooleanSupplier stopping,
      Runnable progress,
      String agentId,
      StatusBoard board) {
    this.progress = progress;
    this.agentId = agentId;
    this.board = board;
    this.pinned = pinned;
    this.runner = runner;
    this.stopping = stopping;
  }

  @Override
  public void begin(Switch s) {
    long started = System.nanoTime();
    current = s.revision();
    pinned.pin(s.content(), "revision " + s.revision() + (s.rollback() ? ", rollback" : ""));
    Runner r = runner.get();
    ActionRunner actions = r.actions();
    actions.setPassEnvironment(
        Map.of(
            "HUPD_AGENT",
            agentId,
            "HUPD_REVISION",
            Long.toString(s.revision()),
            "HUPD_FROM_REVISION",
            Long.toString(s.from()),
            "HUPD_ROLLBACK",
            s.rollback() ? "1" : "0"));
    PassReport report;
    Policy gated = s.policy().orElse(null);
    r.bamboo()
        .ifPresent(
            b ->
                b.limitDrain(
                    gated == null
                        ? Optional.empty()
                        : Optional.of(gated.turnLease().dividedBy(2))));
    try {
      report = r.pipeline().runPass(stopping, progress);
      board.passDone(report, Duration.ofNanos(System.nanoTime() - started));
    } finally {
      actions.setPassEnvironment(Map.of());
      r.bamboo().ifPresent(b -> b.limitDrain(Optional.empty()));
    }
    List<String> problems = new ArrayList<>();
    Policy p = s.policy().orElse(null);
    if (report.readErrors() > 0) {
      problems.add(report.readErrors() + " resource(s) unreadable");
    }
    if ((p == null || p.healthHooks()) && report.actionsFailed() > 0) {
      List<String> hooks = new ArrayList<>();
      for (PassReport.HookOutcome o : report.outcomes()) {
        if (!o.result().equals("succeeded") && !o.result().equals("no-change")) {
          hooks.add(
              "hook "
                  + o.hook()
                  + " "
                  + o.result()
                  + (o.detail().isEmpty() ? "" : " (" + o.detail() + ")"));
        }
      }
      problems.add(
          hooks.isEmpty()
              ? report.actionsFailed() + " hook action(s) failed"
              : String.join(", ", hooks));
    }
    if ((p == null || p.healthToolchains()) && report.stepErrors() > 0) {
      problems.add(report.stepErrors() + " toolchain/step error(s)");
    }
    report.skippedReason().ifPresent(why -> problems.add("pass skipped: " + why));
    if (stopping.getAsBoolean()) {
      problems.add("hupd is stopping");
    }
    if (problems.isEmpty() && p != null && p.healthBamboo() && r.bamboo().isPresent()) {
      bambooHealth(r, p.healthTimeout()).ifPresent(problems::add);
    }
    if (problems.isEmpty() && p != null && !s.rollback()) {
      recheck(p).ifPresent(problems::add);
    }
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    boolean healthy = s.policy().isEmpty() && !s.rollback() ? true : problems.isEmpty();
    if (s.policy().isEmpty() && !problems.isEmpty()) {
      log.warn(
          "event=fleet.pass revision={} problems=\"{}\" next=\"retried at the next pass, as cfn-hup\"",
          s.revision(),
          String.join("; ", problems));
    }
    outcome = Optional.of(new Outcome(healthy, String.join("; ", problems), took));
  }

  @Override
  public Optional<Outcome> poll() {
    Optional<Outcome> o = outcome;
    outcome = Optional.empty();
    return o;
  }

  /**
   * Waits up to {@code limit} for the Bamboo agent to be online and enabled (a file-mode restart
   * takes a moment to reconnect); the last reason when it is not.
   */
  private Optional<String> bambooHealth(Runner r, java.time.Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      Optional<String> problem = r.bamboo().get().health();
      if (problem.isEmpty() || System.nanoTime() >= deadline || stopping.getAsBoolean()) {
        return problem;
      }
      progress.run();
      try {
        Thread.sleep(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return problem;
      }
    }
  }

  /** Runs the policy's health command, if any: exit 0 within the timeout is healthy. */
  @Override
  public Optional<String> recheck(Policy p) {
    if (p.healthBamboo()) {
      Runner r = runner.get();
      if (r.bamboo().isPresent()) {
        Optional<String> problem = r.bamboo().get().health();
        if (problem.isPresent()) {
          return problem;
        }
      }
    }
    return command(p);
  }

  private Optional<String> command(Policy p) {
    if (p.healthCommand().isEmpty()) {
      return Optional.empty();
    }
    java.nio.file.Path output = null;
    try {
      output = java.nio.file.Files.createTempFile("hupd-health", ".out");
      ProcessBuilder pb =
          new ProcessBuilder(p.healthCommand())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      if (!pb.environment().containsKey("PATH")) {
        pb.environment().put("PATH", ActionRunner.DEFAULT_PATH);
      }
      pb.environment().put("HUPD_AGENT", agentId);
      pb.environment().put("HUPD_REVISION", Long.toString(current));
      Process proc = pb.start();
      // in slices, telling systemd the loop is alive while the command runs within its timeout
      long deadline = System.nanoTime() + p.healthTimeout().toNanos();
      boolean done = false;
      while (!done && System.nanoTime() - deadline < 0) {
        progress.run();
        long left = deadline - System.nanoTime();
        done = proc.waitFor(Math.max(1, Math.min(100_000_000L, left)), TimeUnit.NANOSECONDS);
      }
      if (!done) {
        proc.descendants().forEach(ProcessHandle::destroyForcibly);
        proc.destroyForcibly();
        return Optional.of("health command timed out after " + Durations.format(p.healthTimeout()));
      }
      if (proc.exitValue() != 0) {
        String text = java.nio.file.Files.readString(output, StandardCharsets.UTF_8).strip();
        String last = text.isEmpty() ? "" : text.substring(text.lastIndexOf('\n') + 1);
        if (last.length() > 300) {
          last = last.substring(0, 300) + "…";
        }
        return Optional.of(
            "health command exited "
                + proc.exitValue()
                + (last.isEmpty() ? "" : ": " + ActionRunner.printable(last)));
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("health command could not run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } finally {
      if (output != null) {
        try {
          java.nio.file.Files.deleteIfExists(output);
        } catch (IOException e) {
          // a temporary file left in /tmp is harmless
        }
      }
    }
  }
}
