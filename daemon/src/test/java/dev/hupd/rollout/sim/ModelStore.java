package dev.hupd.rollout.sim;

import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import dev.hupd.rollout.StoreException.Kind;
import dev.hupd.testing.FakeSsmModel;
import dev.hupd.testing.FakeSsmModel.PutRequest;
import dev.hupd.testing.SsmServiceError;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * A {@link RolloutStore} over the in-process {@link FakeSsmModel}, calling it as one caller (one
 * agent's credentials), so the model's per-caller counters and shared quotas apply as they would to
 * a fleet on one account. Counts its own reads and writes too, split the way the budgets are.
 */
public final class ModelStore implements RolloutStore {

  /**
   * Calls this store made: reads and writes the service carried out or refused for a reason of its
   * own, and calls refused by a quota (which write nothing), counted apart.
   */
  public static final class Tally {
    public long reads;
    public long writes;
    public long throttledReads;
    public long throttledWrites;
    public long invalid;

    void add(Tally t) {
      reads += t.reads;
      writes += t.writes;
      throttledReads += t.throttledReads;
      throttledWrites += t.throttledWrites;
      invalid += t.invalid;
    }

    /** Every call the model counted for this caller. */
    public long calls() {
      return reads + writes + throttledReads + throttledWrites;
    }

    /** This tally minus {@code before}. */
    public Tally since(Tally before) {
      Tally d = new Tally();
      d.reads = reads - before.reads;
      d.writes = writes - before.writes;
      d.throttledReads = throttledReads - before.throttledReads;
      d.throttledWrites = throttledWrites - before.throttledWrites;
      d.invalid = invalid - before.invalid;
      return d;
    }

    public Tally copy() {
      Tally t = new Tally();
      t.add(this);
      return t;
    }
  }

  private static final BiConsumer<String, String> NO_LEDGER = (name, caller) -> {};

  private final FakeSsmModel model;
  private final String caller;
  private final BiConsumer<String, String> onCreated;
  private final Tally tally = new Tally();

  /**
   * @param caller the caller id the model counts this store's calls under
   * @param onCreated told {@code (name, caller)} after every create the model carried out, even
   *     when a decorator above loses the response
   */
  public ModelStore(FakeSsmModel model, String caller, BiConsumer<String, String> onCreated) {
    this.model = model;
    this.caller = caller;
    this.onCreated = onCreated;
  }

  public ModelStore(FakeSsmModel model, String caller) {
    this(model, caller, NO_LEDGER);
  }

  public String caller() {
    return caller;
  }

  public Tally tally() {
    return tally;
  }

  @Override
  public Map<String, Entry> get(Collection<String> names) throws StoreException {
    FakeSsmModel.Fetched f = call(false, () -> model.getParameters(caller, new ArrayList<>(names)));
    Map<String, Entry> out = new LinkedHashMap<>();
    for (FakeSsmModel.Parameter p : f.parameters()) {
      out.put(p.name(), entry(p));
    }
    return out;
  }

  @Override
  public long create(String name, String value) throws StoreException {
    long v = call(true, () -> model.putParameter(caller, PutRequest.create(name, value))).version();
    onCreated.accept(name, caller);
    return v;
  }

  @Override
  public long overwrite(String name, String value) throws StoreException {
    return call(true, () -> model.putParameter(caller, PutRequest.overwrite(name, value)))
        .version();
  }

  @Override
  public Page list(String path, Optional<String> token) throws StoreException {
    FakeSsmModel.Page p =
        call(
            false,
            () -> model.getParametersByPath(caller, path, true, MAX_BATCH, token.orElse(null)));
    List<Entry> entries = new ArrayList<>();
    p.parameters().forEach(e -> entries.add(entry(e)));
    return new Page(entries, p.nextToken());
  }

  @Override
  public void delete(Collection<String> names) throws StoreException {
    call(true, () -> model.deleteParameters(caller, new ArrayList<>(names)));
  }

  @Override
  public void label(String name, long version, String label) throws StoreException {
    call(true, () -> model.labelParameterVersion(caller, name, version, List.of(label)));
  }

  @Override
  public String description() {
    return "ssm-model caller=" + caller;
  }

  private static Entry entry(FakeSsmModel.Parameter p) {
    return new Entry(p.name(), p.value(), p.version(), p.modifiedMs());
  }

  private interface Call<T> {
    T run();
  }

  private <T> T call(boolean write, Call<T> c) throws StoreException {
    try {
      T t = c.run();
      count(write);
      return t;
    } catch (SsmServiceError e) {
      Kind kind = kindOf(e);
      if (e.code().equals("ThrottlingException")) {
        if (write) {
          tally.throttledWrites++;
        } else {
          tally.throttledReads++;
        }
      } else {
        count(write);
      }
      if (kind == Kind.INVALID || kind == Kind.DENIED) {
        tally.invalid++;
      }
      throw new StoreException(kind, e.toString(), e);
    }
  }

  private void count(boolean write) {
    if (write) {
      tally.writes++;
    } else {
      tally.reads++;
    }
  }

  /** How the agent should take an SSM error code. */
  static Kind kindOf(SsmServiceError e) {
    if (e.httpStatus() >= 500) {
      return Kind.TRANSIENT;
    }
    return switch (e.code()) {
      case "ParameterAlreadyExists" -> Kind.ALREADY_EXISTS;
      case "ThrottlingException", "TooManyUpdates" -> Kind.THROTTLED;
      case "AccessDeniedException" -> Kind.DENIED;
      default -> Kind.INVALID;
    };
  }
}
