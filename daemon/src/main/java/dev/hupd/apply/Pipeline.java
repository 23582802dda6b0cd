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

  public Pipeline(MetadataSource source, StateStore state, List<PassStep> steps) {
    this.source = source;
    this.state = state;
    this.steps = List.copyOf(steps);
  }

  public PassReport runPass(BooleanSupplier stopping) {
    PassContext context = new PassContext(source, state, stopping);
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
    return context.report();
  }

  public MetadataSource source() {
    return source;
  }
}
