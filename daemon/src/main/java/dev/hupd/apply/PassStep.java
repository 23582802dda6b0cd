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
}
