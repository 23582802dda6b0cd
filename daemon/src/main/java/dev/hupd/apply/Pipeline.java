package dev.hupd.apply;

import dev.hupd.metadata.StateStore;
import dev.hupd.source.MetadataSource;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Runs the steps of one apply pass in order. */
public final class Pipeline {

  private final MetadataSource source;
  private final StateStore state;
  private final List<PassStep> steps;
  private final PassGate gate;

  public Pipeline(MetadataSource source, StateStore state, List<PassStep> steps) {
    this(source, state, steps, PassGate.NONE);
  }

  public Pipeline(MetadataSource source, StateStore state, List<PassStep> steps, PassGate gate) {
    this.source = source;
    this.state = state;
    this.steps = List.copyOf(steps);
    this.gate = gate;
  }

  public PassReport runPass(BooleanSupplier stopping) {
    return runPass(stopping, () -> {});
  }

  /**
   * One pass; {@code progress} is called whenever a step shows it is still working (see {@link
   * PassContext#progress}).
   */
  public PassReport runPass(BooleanSupplier stopping, Runnable progress) {
    PassContext context = new PassContext(source, state, stopping, progress);
    if (gate != PassGate.NONE) {
      boolean disruptive = false;
      for (PassStep step : steps) {
        try {
          disruptive |= step.wouldAct(context);
        } catch (RuntimeException e) {
          disruptive = true; // when in doubt, drain
        }
      }
      if (gate.before(context, disruptive) instanceof PassGate.Decision.Skip skip) {
        context.report().skipped(skip.reason());
        return context.report();
      }
    }
    runSteps(context);
    if (gate != PassGate.NONE) {
      try {
        gate.after(context, context.report());
      } catch (RuntimeException e) {
        context.report().stepError();
        org.slf4j.LoggerFactory.getLogger(Pipeline.class)
            .error("event=gate.failed reason=\"{}\" next=\"retried next pass\"", e.toString(), e);
      }
    }
    return context.report();
  }

  private void runSteps(PassContext context) {
    for (PassStep step : steps) {
      if (context.stopping()) {
        break;
      }
      try {
        step.run(context);
      } catch (RuntimeException | StackOverflowError e) {
        // one step's bug or bad input must not take the others (or the process) down
        context.report().stepError();
        org.slf4j.LoggerFactory.getLogger(Pipeline.class)
            .error(
                "event=step.failed step={} reason=\"{}\" next=\"retried next pass\"",
                step.name(),
                e.toString(),
                e);
      }
    }
  }

  public MetadataSource source() {
    return source;
  }
}
