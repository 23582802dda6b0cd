package dev.hupd.apply;

import dev.hupd.metadata.StackResource;
import dev.hupd.metadata.StateStore;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * State shared by the steps of one pass: the metadata source with a per-pass cache (one read per
 * logical id, failures included, so an outage costs one call per resource and not one per hook),
 * the state store, the report and the stop flag.
 */
public final class PassContext {

  private final MetadataSource source;
  private final StateStore state;
  private final BooleanSupplier stopping;
  private final Runnable progress;
  private final PassReport report = new PassReport();
  private final Map<String, Object> cache = new HashMap<>();
  private final Map<Class<?>, Object> attachments = new HashMap<>();

  public PassContext(MetadataSource source, StateStore state, BooleanSupplier stopping) {
    this(source, state, stopping, () -> {});
  }

  /**
   * @param progress called by steps while they wait on bounded work (an action, a pull, a verify, a
   *     drain), so that the daemon can tell systemd the pass is alive; cheap and rate-limited by
   *     the callee
   */
  public PassContext(
      MetadataSource source, StateStore state, BooleanSupplier stopping, Runnable progress) {
    this.source = source;
    this.state = state;
    this.stopping = stopping;
    this.progress = progress;
  }

  /** Reads a resource, at most once per pass. */
  public StackResource resource(String logicalId) throws SourceException {
    Object cached = cache.get(logicalId);
    if (cached == null) {
      try {
        cached = source.describe(logicalId);
      } catch (SourceException e) {
        cached = e;
      }
      cache.put(logicalId, cached);
    }
    if (cached instanceof SourceException e) {
      throw e;
    }
    return (StackResource) cached;
  }

  /** Lets a step share what it parsed (e.g. the toolchain manifest) with the pass's gate. */
  public <T> void attach(Class<T> type, T value) {
    attachments.put(type, value);
  }

  public <T> java.util.Optional<T> attachment(Class<T> type) {
    return java.util.Optional.ofNullable(type.cast(attachments.get(type)));
  }

  public StateStore state() {
    return state;
  }

  public PassReport report() {
    return report;
  }

  /**
   * True once hupd has been asked to stop: steps must not start new work. A step asking this is
   * working, so it also counts as {@link #progress}.
   */
  public boolean stopping() {
    progress.run();
    return stopping.getAsBoolean();
  }

  /**
   * The pass is still working: a step calls this while it waits on work whose own deadline bounds
   * it (each slice of an action's wait, each line of a pull, each slice of a verify or a drain).
   */
  public void progress() {
    progress.run();
  }
}
