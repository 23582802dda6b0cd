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
      step.run(context);
    }
    return context.report();
  }

  public MetadataSource source() {
    return source;
  }
}
