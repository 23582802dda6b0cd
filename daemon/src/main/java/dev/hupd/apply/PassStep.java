package dev.hupd.apply;

/**
 * One step of an apply pass. A pass runs its steps in order over the same {@link PassContext} (one
 * metadata read per resource, one report). The core has one step, {@link HooksStep}; later
 * capabilities (toolchain reconcile, rollout gates) add their own.
 */
public interface PassStep {

  /** A short name for logs. */
  String name();

  void run(PassContext context);

  /**
   * Whether {@link #run} would change something builds on this host depend on (run a hook action,
   * switch or retire a toolchain), judged from the same per-pass reads. A {@link PassGate} drains
   * the CI agent only for such passes. Must not change anything itself. The default is the safe
   * answer.
   */
  default boolean wouldAct(PassContext context) {
    return true;
  }
}
