package dev.hupd.rollout.sim;

import dev.hupd.rollout.Local;
import dev.hupd.rollout.Policy;
import java.util.Optional;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * One simulated host: a switch takes a random time around the nominal apply time and ends healthy
 * unless the scenario's change is bad. It survives its agent's process (a restart finds the host as
 * it was), but a switch running when the process dies dies with it, as the action's process group
 * does.
 */
final class SimLocal implements Local {

  /** How a bad change shows itself on a host that switches to it. */
  enum BadChange {
    /** The change is good. */
    NONE,
    /** The apply or its first health check fails. */
    APPLY,
    /** The apply looks fine; a health re-check during the bake fails. */
    BAKE
  }

  /** Told of every switch a host starts, before it runs. */
  interface Observer {
    void began(SimLocal host, Switch s);
  }

  private final int index;
  private final LongSupplier now;
  private final Random random;
  private final long applyMs;
  private final double spread;
  private final long badRevision;
  private final BadChange bad;
  private final Observer observer;

  private Switch running;
  private long doneAt;
  private long tookMs;
  private Outcome outcome;
  private long onRevision;
  private long onSince;

  SimLocal(
      int index,
      LongSupplier now,
      Random random,
      long applyMs,
      double spread,
      long badRevision,
      BadChange bad,
      Observer observer) {
    this.index = index;
    this.now = now;
    this.random = random;
    this.applyMs = applyMs;
    this.spread = spread;
    this.badRevision = badRevision;
    this.bad = bad;
    this.observer = observer;
  }

  int index() {
    return index;
  }

  /** The revision the host last switched to completely (0: none). */
  long onRevision() {
    return onRevision;
  }

  /** Whether a switch is running. */
  boolean busy() {
    return running != null && outcome == null;
  }

  /** When the running switch ends (virtual ms), if one runs. */
  long doneAt() {
    return doneAt;
  }

  /** The agent's process died: a running switch dies with it. */
  void processDied() {
    running = null;
    outcome = null;
  }

  @Override
  public void begin(Switch s) {
    observer.began(this, s);
    tookMs = Math.round(applyMs * (1 - spread + 2 * spread * random.nextDouble()));
    running = s;
    outcome = null;
    doneAt = now.getAsLong() + tookMs;
  }

  @Override
  public Optional<Outcome> poll() {
    if (running == null) {
      return Optional.empty();
    }
    if (outcome == null) {
      if (now.getAsLong() < doneAt) {
        return Optional.empty();
      }
      boolean fails = bad == BadChange.APPLY && breaks(running);
      outcome = new Outcome(!fails, fails ? "health command exited 1" : "", tookMs);
      onRevision = running.revision();
      onSince = doneAt;
    }
    Optional<Outcome> o = Optional.of(outcome);
    running = null;
    outcome = null;
    return o;
  }

  @Override
  public Optional<String> recheck(Policy policy) {
    if (bad == BadChange.BAKE && onRevision == badRevision && now.getAsLong() > onSince + 20_000) {
      return Optional.of("health command exited 1 during bake");
    }
    return Optional.empty();
  }

  private boolean breaks(Switch s) {
    return s.revision() == badRevision && !s.rollback();
  }
}
