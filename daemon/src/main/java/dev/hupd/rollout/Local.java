package dev.hupd.rollout;

import java.util.Optional;

/**
 * What a rollout agent does on its own host: switch to a revision's content (hooks and toolchains
 * together, then the health checks) and re-check health during a bake. The daemon implements it
 * with its apply pipeline; the fleet simulation with timers.
 */
public interface Local {

  /**
   * Starts switching to {@code s}. The outcome is read with {@link #poll()}; an implementation may
   * finish before returning.
   */
  void begin(Switch s);

  /** The outcome of the last {@link #begin}, once finished. */
  Optional<Outcome> poll();

  /** Health during a bake: empty when healthy, else the reason. */
  Optional<String> recheck(Policy policy);

  /**
   * One switch.
   *
   * @param revision the revision to run
   * @param sha its content's sha256
   * @param content the content: a stack-shaped JSON document
   * @param from the revision run before (0: none)
   * @param rollback whether this returns to {@code revision} after {@code from} failed or stopped
   * @param policy the policy judging health; empty for an ungated switch
   */
  record Switch(
      long revision,
      String sha,
      String content,
      long from,
      boolean rollback,
      Optional<Policy> policy) {}

  /**
   * How a switch ended.
   *
   * @param healthy all health checks of the policy passed (always true for an ungated switch)
   * @param reason why not, for the verdict
   * @param tookMs how long the switch took
   */
  record Outcome(boolean healthy, String reason, long tookMs) {}
}
