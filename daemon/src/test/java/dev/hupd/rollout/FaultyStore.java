package dev.hupd.rollout;

import dev.hupd.rollout.StoreException.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * A {@link RolloutStore} decorator that injects the faults SSM shows: throttling, transient errors,
 * stale reads and lost responses. Decisions come from one seeded {@link Random}, drawn only for
 * switches that are on, so a given seed, switch setting and sequence of calls always gives the same
 * faults.
 *
 * <p>Per call, in this order: a throttle (next N, else probability) throws {@link Kind#THROTTLED}
 * and a transient failure throws {@link Kind#TRANSIENT}, both before the delegate is called; a
 * write that then succeeds may lose its response (the write stays, the caller gets {@link
 * Kind#TRANSIENT}). A {@link #get} may serve a name from a replica that lags {@code staleMs}
 * behind, rebuilt from the writes seen through this decorator; it never serves a state newer than
 * the delegate's or one it did not see written.
 */
public final class FaultyStore implements RolloutStore {

  private final RolloutStore delegate;
  private final Random random;
  private final LongSupplier clockMs;

  private int throttleNext;
  private double throttleProbability;
  private int failNext;
  private double failProbability;
  private int loseNext;
  private double loseProbability;
  private double staleProbability;
  private long staleMs;

  private final Map<String, List<Write>> history = new HashMap<>();
  private final Map<String, Long> calls = new TreeMap<>();
  private long throttled;
  private long failed;
  private long lost;
  private long staleServed;
  private long writes;

  /** One state of a name as written through this decorator; {@code entry} null = deleted. */
  private record Write(long atMs, Entry entry) {}

  /** What to do with one call, decided before it runs. */
  private record Fate(Kind fault, boolean loseResponse) {}

  /**
   * @param delegate the real store
   * @param seed seeds every random decision
   * @param clockMs the time of writes and reads for stale reads, epoch ms
   */
  public FaultyStore(RolloutStore delegate, long seed, LongSupplier clockMs) {
    this.delegate = delegate;
    this.random = new Random(seed);
    this.clockMs = clockMs;
  }

  // ---- switches

  /** The next {@code count} calls throw {@link Kind#THROTTLED} without reaching the store. */
  public synchronized FaultyStore throttleNext(int count) {
    throttleNext = requireCount(count);
    return this;
  }

  /** Each call throws {@link Kind#THROTTLED} with probability {@code p}. */
  public synchronized FaultyStore throttleWithProbability(double p) {
    throttleProbability = requireProbability(p);
    return this;
  }

  /** The next {@code count} calls throw {@link Kind#TRANSIENT} without reaching the store. */
  public synchronized FaultyStore failNext(int count) {
    failNext = requireCount(count);
    return this;
  }

  /** Each call throws {@link Kind#TRANSIENT} with probability {@code p}, not reaching the store. */
  public synchronized FaultyStore failWithProbability(double p) {
    failProbability = requireProbability(p);
    return this;
  }

  /** The next {@code count} writes happen but throw {@link Kind#TRANSIENT}. */
  public synchronized FaultyStore loseResponsesNext(int count) {
    loseNext = requireCount(count);
    return this;
  }

  /** Each write happens but throws {@link Kind#TRANSIENT} with probability {@code p}. */
  public synchronized FaultyStore loseResponsesWithProbability(double p) {
    loseProbability = requireProbability(p);
    return this;
  }

  /**
   * With probability {@code p} per name, a {@link #get} answers as of {@code lagMs} ago: an older
   * version, or absent if the name was created (or the old version if deleted) less than that ago.
   */
  public synchronized FaultyStore staleReads(double p, long lagMs) {
    if (lagMs < 0) {
      throw new IllegalArgumentException("lagMs must not be negative, got " + lagMs);
    }
    staleProbability = requireProbability(p);
    staleMs = lagMs;
    return this;
  }

  /** Turns every switch off; counters and the write history stay. */
  public synchronized FaultyStore heal() {
    throttleNext = 0;
    throttleProbability = 0;
    failNext = 0;
    failProbability = 0;
    loseNext = 0;
    loseProbability = 0;
    staleProbability = 0;
    return this;
  }

  // ---- counters

  /** Calls of {@code method} ("get", "create", …), faulted or not. */
  public synchronized long calls(String method) {
    return calls.getOrDefault(method, 0L);
  }

  /** Calls per method, faulted or not. */
  public synchronized Map<String, Long> calls() {
    return new TreeMap<>(calls);
  }

  public synchronized long throttled() {
    return throttled;
  }

  /** Calls failed with an injected {@link Kind#TRANSIENT} before reaching the store. */
  public synchronized long failed() {
    return failed;
  }

  /** Writes that happened but whose caller got an error. */
  public synchronized long lostResponses() {
    return lost;
  }

  /** Names a {@link #get} answered staler than the store did. */
  public synchronized long staleReads() {
    return staleServed;
  }

  /** Writes (create, overwrite, delete, label) the store carried out, lost responses included. */
  public synchronized long writes() {
    return writes;
  }

  // ---- the port

  @Override
  public Map<String, Entry> get(Collection<String> names) throws StoreException {
    enter("get", false);
    Map<String, Entry> fresh = delegate.get(names);
    return serve(names, fresh);
  }

  @Override
  public long create(String name, String value) throws StoreException {
    Fate fate = enter("create", true);
    long version = delegate.create(name, value);
    wrote(name, new Entry(name, value, version, clockMs.getAsLong()), fate);
    return version;
  }

  @Override
  public long overwrite(String name, String value) throws StoreException {
    Fate fate = enter("overwrite", true);
    long version = delegate.overwrite(name, value);
    wrote(name, new Entry(name, value, version, clockMs.getAsLong()), fate);
    return version;
  }

  @Override
  public Page list(String path, Optional<String> token) throws StoreException {
    enter("list", false);
    return delegate.list(path, token);
  }

  @Override
  public void delete(Collection<String> names) throws StoreException {
    Fate fate = enter("delete", true);
    delegate.delete(names);
    synchronized (this) {
      for (String name : names) {
        record(name, null);
      }
    }
    afterWrite(fate, "delete " + names);
  }

  @Override
  public void label(String name, long version, String label) throws StoreException {
    Fate fate = enter("label", true);
    delegate.label(name, version, label);
    afterWrite(fate, "label " + name);
  }

  @Override
  public String description() {
    return "faulty(" + delegate.description() + ")";
  }

  @Override
  public void close() {
    delegate.close();
  }

  // ---- decisions

  /** Counts the call, decides its fate and throws an injected fault. */
  private synchronized Fate enter(String method, boolean write) throws StoreException {
    calls.merge(method, 1L, Long::sum);
    Fate fate = decide(write);
    if (fate.fault() == Kind.THROTTLED) {
      throttled++;
      throw new StoreException(Kind.THROTTLED, "injected: rate exceeded (" + method + ")");
    }
    if (fate.fault() == Kind.TRANSIENT) {
      failed++;
      throw new StoreException(Kind.TRANSIENT, "injected: service unavailable (" + method + ")");
    }
    return fate;
  }

  private Fate decide(boolean write) {
    if (take(throttleNext > 0, throttleProbability)) {
      throttleNext = Math.max(0, throttleNext - 1);
      return new Fate(Kind.THROTTLED, false);
    }
    if (take(failNext > 0, failProbability)) {
      failNext = Math.max(0, failNext - 1);
      return new Fate(Kind.TRANSIENT, false);
    }
    boolean lose = write && take(loseNext > 0, loseProbability);
    if (lose) {
      loseNext = Math.max(0, loseNext - 1);
    }
    return new Fate(null, lose);
  }

  /** True when a counted fault is armed, else with probability {@code p} (drawn only if p > 0). */
  private boolean take(boolean counted, double p) {
    return counted || (p > 0 && random.nextDouble() < p);
  }

  private void wrote(String name, Entry entry, Fate fate) throws StoreException {
    synchronized (this) {
      record(name, entry);
    }
    afterWrite(fate, "write " + name);
  }

  private synchronized void afterWrite(Fate fate, String what) throws StoreException {
    writes++;
    if (fate.loseResponse()) {
      lost++;
      throw new StoreException(Kind.TRANSIENT, "injected: response lost after " + what);
    }
  }

  private void record(String name, Entry entry) {
    history
        .computeIfAbsent(name, n -> new ArrayList<>())
        .add(new Write(clockMs.getAsLong(), entry));
  }

  // ---- stale reads

  private synchronized Map<String, Entry> serve(
      Collection<String> names, Map<String, Entry> fresh) {
    if (staleProbability <= 0) {
      return fresh;
    }
    long now = clockMs.getAsLong();
    Map<String, Entry> served = new LinkedHashMap<>();
    for (String name : names) {
      Entry answer = fresh.get(name);
      if (history.containsKey(name) && random.nextDouble() < staleProbability) {
        Entry lagged = lagged(history.get(name), answer, now);
        if (lagged != answer) {
          staleServed++;
        }
        answer = lagged;
      }
      if (answer != null) {
        served.put(name, answer);
      }
    }
    return served;
  }

  /** The state of a name {@code staleMs} ago, unless that is not older than {@code fresh}. */
  private Entry lagged(List<Write> writes, Entry fresh, long now) {
    int freshAt = positionOf(writes, fresh);
    if (freshAt < 0) {
      return fresh; // the store shows a state we did not see written: nothing to lag behind
    }
    int laggedAt = -1;
    for (int i = 0; i < writes.size() && writes.get(i).atMs() <= now - staleMs; i++) {
      laggedAt = i;
    }
    if (laggedAt >= freshAt) {
      return fresh;
    }
    if (laggedAt < 0) {
      Entry first = writes.get(0).entry();
      boolean createdHere = first != null && first.version() == 1;
      return createdHere ? null : fresh; // before our first write: only a creation says "absent"
    }
    return writes.get(laggedAt).entry();
  }

  /** Where in {@code writes} the state {@code fresh} was written; -1 when it was not seen. */
  private static int positionOf(List<Write> writes, Entry fresh) {
    for (int i = writes.size() - 1; i >= 0; i--) {
      Entry e = writes.get(i).entry();
      boolean same =
          fresh == null
              ? e == null
              : e != null && e.version() == fresh.version() && e.value().equals(fresh.value());
      if (same) {
        return i;
      }
    }
    return -1;
  }

  private static int requireCount(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    return count;
  }

  private static double requireProbability(double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("probability must be in [0, 1], got " + p);
    }
    return p;
  }
}
