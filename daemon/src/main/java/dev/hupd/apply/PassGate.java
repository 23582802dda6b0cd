package dev.hupd.apply;

/**
 * Wraps every pass of a {@link Pipeline}: asked before the steps run whether they may (for example,
 * only once the CI agent on this host is drained), and told afterwards how the pass went (to
 * re-enable the agent once what the pass changed is verified). The Bamboo lifecycle is the one
 * implementation; without it a pipeline runs as cfn-hup does.
 */
public interface PassGate {

  /** The gate's answer before a pass. */
  sealed interface Decision {
    /** Run the steps. */
    record Proceed() implements Decision {}

    /** Run none of the steps; nothing is recorded, so the next pass sees the same changes. */
    record Skip(String reason) implements Decision {}
  }

  Decision PROCEED = new Decision.Proceed();

  /**
   * Called after the pass's reads are possible and before any step runs.
   *
   * @param disruptive whether some step would change what builds on this host see (run an action,
   *     switch or retire a toolchain)
   */
  Decision before(PassContext context, boolean disruptive);

  /** Called after the steps ran (not after a skip). */
  void after(PassContext context, PassReport report);

  /** A pipeline without a gate. */
  PassGate NONE =
      new PassGate() {
        @Override
        public Decision before(PassContext context, boolean disruptive) {
          return PROCEED;
        }

        @Override
        public void after(PassContext context, PassReport report) {}
      };
}
