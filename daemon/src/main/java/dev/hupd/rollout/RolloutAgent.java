package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's side of the canary-first rollout (docs/rollout.md §7–§10): a state machine driven by
 * {@link #tick()}, which reads the few records that could change its decision (one {@code
 * GetParameters} call in the common case), takes at most a few steps, and says when it wants to be
 * called again. Everything it must remember across a crash is in its {@link Journal}, written
 * before each store write that acts on it.
 *
 * <p>It never judges health from the store: verdicts come from {@link Local}. Store errors only
 * delay; throttling is never a failure.
 */
public final class RolloutAgent {

  private static final Logger log = LoggerFactory.getLogger(RolloutAgent.class);

  /** Durable memory of one agent. */
  public interface Journal {
    Optional<JsonNode> load();

    void save(JsonNode state);
  }

  /** Revision contents this agent ran, kept locally so a rollback never depends on the store. */
  public interface ContentCache {
    void put(String sha, String content);

    Optional<String> get(String sha);
  }

  /**
   * Poll pacing floors. SSM needs {@link #ssm()} (reads cost quota); the folder store reads for
   * free and uses {@link #local()}.
   */
  public record Pacing(
      long followerFloorMs, long candidateMs, long turnFloorMs, double jitter, int unknownFleet) {
    /** SSM: reads cost quota; an unknown fleet is assumed to have 1,000 agents. */
    public static Pacing ssm() {
      return new Pacing(30_000, 3_000, 2_000, 0.2, 1_000);
    }

    /** A folder store: reads are free, so no fleet-wide budget applies. */
    public static Pacing local() {
      return new Pacing(1_000, 500, 300, 0.2, 0);
    }

    /**
     * Floors derived from one idle interval (the {@code store-poll} setting): the operator's
     * explicit choice, so an unknown fleet size does not lengthen it.
     */
    public static Pacing floor(long followerFloorMs) {
      long f = Math.max(200, followerFloorMs);
      return new Pacing(
          f, Math.max(200, Math.min(3_000, f / 2)), Math.max(200, Math.min(2_000, f / 3)), 0.2, 0);
    }
  }

  /** Counters for status and benchmarks. */
  public static final class Counters {
    public long reads;
    public long writes;
    public long lostCreates;
    public long throttled;
    public long switches;
  }

  private final String id;
  private final Set<String> roles;
  private final RolloutStore store;
  private final Names names;
  private final Contents contents;
  private final Local local;
  private final Journal journal;
  private final ContentCache cache;
  private final LongSupplier clock;
  private final Random random;
  private final Pacing pacing;
  private final FleetView view;
  private final Counters counters = new Counters();

  // durable state (journal)
  private long applied;
  private String appliedSha = "";
  private long failedRev;
  private boolean registered;
  private Hold hold;
  private long direct; // a revision being applied without a turn (boot, ungated, bootstrap)

  // memory only
  private boolean localBusy;
  private int slowPolls;
  private long plannedDelay; // what the last decision asked for, before jitter and slow polls
  private boolean exact; // the last decision aimed at a moment (a turn's expected end): no jitter
  private long cadence; // the regular poll interval of the current state, for retries
  private int bootReads; // extra reads a booting agent made to catch up with head
  private int failingTicks; // ticks in a row that ended in a store error
  private final Map<Long, Long> approvedSeenAt = new HashMap<>();
  private final Map<String, Long> closedSeenAt = new HashMap<>();
  private long lastRecheck;
  private Queue queue; // where this agent waits for a turn
  private Queue placed; // its place in the newest plan it read (before approval too)
  private PlanBuilder planBuilder;
  private RecordCollector collector; // the records this agent deletes after creating a complete
  private boolean rejoin; // skipped or missing from a plan: its registry record may be gone
  private long rejoinAfter;
  private long nextCompletionCheck;
  private String lastEvent = "";

  /** A seat attempt or a turn this agent created and acts in. */
  private static final class Hold {
    String kind; // seat | turn
    long rev;
    String name;
    String nonce;
    long at;
    long leaseMs;
    String step; // claiming claimed applying baking failing rolling-back
    long base;
    String baseSha = "";
    long bakeUntil;
    String reason = "";
    String verdict = ""; // what to write after a rollback: failed | aborted | released
    long applyMs;
    boolean overflow;

    ObjectNode toJson() {
      ObjectNode n = Json.MAPPER.createObjectNode();
      n.put("kind", kind);
      n.put("rev", rev);
      n.put("name", name);
      n.put("nonce", nonce);
      n.put("at", at);
      n.put("leaseMs", leaseMs);
      n.put("step", step);
      n.put("base", base);
      n.put("baseSha", baseSha);
      n.put("bakeUntil", bakeUntil);
      n.put("reason", reason);
      n.put("verdict", verdict);
      n.put("applyMs", applyMs);
      n.put("overflow", overflow);
      return n;
    }

    static Hold fromJson(JsonNode n) {
      Hold h = new Hold();
      h.kind = n.path("kind").asText();
      h.rev = n.path("rev").asLong();
      h.name = n.path("name").asText();
      h.nonce = n.path("nonce").asText();
      h.at = n.path("at").asLong();
      h.leaseMs = n.path("leaseMs").asLong();
      h.step = n.path("step").asText();
      h.base = n.path("base").asLong();
      h.baseSha = n.path("baseSha").asText("");
      h.bakeUntil = n.path("bakeUntil").asLong();
      h.reason = n.path("reason").asText("");
      h.verdict = n.path("verdict").asText("");
      h.applyMs = n.path("applyMs").asLong();
      h.overflow = n.path("overflow").asBoolean();
      return h;
    }
  }

  /** The turn this agent waits for in one revision's waves. */
  private static final class Queue {
    long rev;
    int slot;
    int turn;
    boolean overflow;
    int windowLow;
    List<String> order;
    JsonNode plan;
  }

  public RolloutAgent(
      String id,
      Set<String> roles,
      RolloutStore store,
      Names names,
      Contents contents,
      Local local,
      Journal journal,
      ContentCache cache,
      LongSupplier clock,
      Random random,
      Pacing pacing) {
    if (!Names.validId(id)) {
      throw new IllegalArgumentException(
          "agent id " + id + " must be 1–64 characters of letters, digits, '.', '_' or '-'");
    }
    this.id = id;
    this.roles = Set.copyOf(roles);
    this.store = store;
    this.names = names;
    this.contents = contents;
    this.local = local;
    this.journal = journal;
    this.cache = cache;
    this.clock = clock;
    this.random = random;
    this.pacing = pacing;
    this.view = new FleetView(names);
    journal.load().ifPresent(this::restore);
  }

  // ---------------------------------------------------------------- what others may look at

  public String id() {
    return id;
  }

  /** The revision this agent last applied completely (0: none). */
  public long applied() {
    return applied;
  }

  public String appliedSha() {
    return appliedSha;
  }

  /** Whether a switch (forward or back) is running or claimed right now. */
  public boolean switching() {
    return localBusy || direct != 0 || (hold != null && !hold.step.equals("baking"));
  }

  /** Whether this agent holds an open follower turn: claimed and not yet closed (in flight). */
  public boolean inTurn() {
    return hold != null && hold.kind.equals("turn") && !hold.step.equals("claiming");
  }

  /** Whether this agent holds a canary seat attempt right now. */
  public boolean inSeat() {
    return hold != null && hold.kind.equals("seat") && !hold.step.equals("claiming");
  }

  /** A seat or turn this agent holds, e.g. {@code seat rev 8 (baking)}; empty when none. */
  public String holding() {
    return hold == null ? "" : hold.kind + " rev " + hold.rev + " (" + hold.step + ")";
  }

  public Counters counters() {
    return counters;
  }

  public FleetView view() {
    return view;
  }

  /** The last thing this agent did, for status lines. */
  public String lastEvent() {
    return lastEvent;
  }

  // ---------------------------------------------------------------- the loop

  /**
   * Reads, decides, acts; returns milliseconds until it wants to be called again. Never throws for
   * store trouble.
   */
  public long tick() {
    long now = clock.getAsLong();
    if (localBusy) {
      Optional<Local.Outcome> o = local.poll();
      if (o.isEmpty()) {
        return 200;
      }
      localBusy = false;
      onOutcome(o.get(), now);
    }
    try {
      if (!registered) {
        register(now);
      }
      refresh(now);
      exact = false;
      cadence = -1;
      long delay = decide(clock.getAsLong());
      plannedDelay = cadence >= 0 ? cadence : delay;
      if (slowPolls > 0 && !exact) {
        slowPolls--;
        delay *= 2; // after throttling, regular polls slow down; a wake-up aimed at a turn does not
      }
      failingTicks = 0;
      return collect(exact ? delay : jitter(delay));
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.THROTTLED) {
        counters.throttled++;
      }
      failingTicks++;
      if (e.retryable() && (failingTicks == 10 || failingTicks % 100 == 0)) {
        // throttling alone is normal; ten decisions in a row that could not be made are not
        log.warn(
            "event=rollout.store-trouble agent={} failed_ticks={} reason=\"{}\""
                + " next=\"still retrying; this agent stays on revision {}\"",
            id,
            failingTicks,
            e.getMessage(),
            applied);
      }
      slowPolls = 3;
      // never sooner than the poll it replaces: idle agents retrying a throttled poll every few
      // seconds instead of every interval turn a full quota into a storm of throttled calls
      long base =
          e.retryable()
              ? Math.max(Math.max(1_000, pacing.turnFloorMs()), plannedDelay)
              : followerInterval();
      if (!e.retryable()) {
        log.warn("event=rollout.store-error agent={} reason=\"{}\"", id, e.getMessage());
      }
      return jitter(base * (1 + random.nextInt(2)));
    }
  }

  private long jitter(long ms) {
    double j = pacing.jitter();
    return Math.max(0, (long) (ms * (1 - j + 2 * j * random.nextDouble())));
  }

  private void register(long now) throws StoreException {
    if (rejoin) {
      rejoin(now);
      return;
    }
    ObjectNode rec = Records.envelope("agent", id, nonce(), now);
    rec.putPOJO("roles", List.copyOf(roles));
    try {
      write(() -> store.create(names.agent(id), Records.write(rec)));
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
    registered = true;
    save();
  }

  /**
   * Makes sure this agent's registry record exists after it was skipped or found itself missing
   * from a plan: a collector takes a skipped agent without records in the rollout for a ghost and
   * deletes its record, and the next plan is built from the registry. Read first, so a record still
   * there costs no write. SSM refuses to create a name deleted less than 30 s ago, so a refused
   * create is retried on a tick {@value #REJOIN_RETRY_MS} ms later, never holding this one up.
   */
  private void rejoin(long now) {
    if (now < rejoinAfter) {
      return;
    }
    try {
      counters.reads++;
      if (store.get(List.of(names.agent(id))).isEmpty()) {
        ObjectNode rec = Records.envelope("agent", id, nonce(), now);
        rec.putPOJO("roles", List.copyOf(roles));
        write(() -> store.create(names.agent(id), Records.write(rec)));
        event("registered again");
      }
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        counters.throttled += e.kind() == StoreException.Kind.THROTTLED ? 1 : 0;
        rejoinAfter = now + REJOIN_RETRY_MS;
        return;
      }
    }
    rejoin = false;
    registered = true;
    save();
  }

  private static final long REJOIN_RETRY_MS = 30_000;

  /** Checks this agent's registry record on a coming tick (see {@link #rejoin}). */
  private void rejoinLater() {
    if (!rejoin) {
      rejoin = true;
      registered = false;
      save();
    }
  }

  /** Lets a running collector make its due calls; wakes up no later than its next one is due. */
  private long collect(long delay) {
    if (collector == null) {
      return delay;
    }
    long next = collector.step(clock.getAsLong());
    if (next < 0) {
      collector = null;
      return delay;
    }
    return Math.min(delay, Math.max(pacing.candidateMs(), next));
  }

  /**
   * Starts collecting after creating {@code complete} of {@code r}, keeping this agent's applied
   * revision and the one followers fall back to if {@code r} is halted later.
   */
  private void startCollector(long r, JsonNode plan, long now) {
    long floor = applied;
    for (long q = r - 1; q > 0 && q >= r - 20; q--) {
      if (view.approved(q) && view.haltReason(q).isEmpty()) {
        floor = floor > 0 ? Math.min(floor, q) : q;
        break;
      }
    }
    collector = new RecordCollector(store, names, contents, id, r, plan, floor, now);
  }

  // ---------------------------------------------------------------- reading

  private void refresh(long now) throws StoreException {
    Set<String> probe = new LinkedHashSet<>();
    probe.add(names.head());
    long latest = Math.max(view.latest(), view.head().path("latest").asLong(0) - 1);
    probe.add(names.meta(latest + 1));
    // in the same call: a revision first seen already in its bake has its plan read at once
    probe.add(names.plan(latest + 1));
    probe.add(names.approved(latest + 1));
    if (latest > 0 && !view.meta(latest).isPresent()) {
      probe.add(names.meta(latest));
    }
    long hint = view.head().path("approved").asLong(0);
    if (hint > 0 && !view.approved(hint)) {
      probe.add(names.approved(hint));
      probe.add(names.meta(hint));
    }
    for (long r = Math.max(1, applied); r <= view.latest(); r++) {
      if (r < view.latest() - 3 && r != applied) {
        continue;
      }
      revisionProbes(r, probe);
    }
    if (hold != null) {
      revisionProbes(hold.rev, probe);
      if (hold.kind.equals("seat")) {
        probe.add(hold.name);
      }
    }
    if (queue != null) {
      queueProbes(probe);
    }
    read(new ArrayList<>(probe));
  }

  private void revisionProbes(long r, Set<String> probe) {
    if (!view.meta(r).isPresent()) {
      probe.add(names.meta(r));
      return;
    }
    if (!view.approved(r)) {
      probe.add(names.approved(r));
    }
    probe.add(names.ctl(r, view.ctlCount(r)));
    Optional<Policy> p = view.policy(r);
    if (p.isEmpty() || view.direct(r)) {
      return;
    }
    if (!view.approved(r)) {
      if (view.plan(r).isEmpty()) {
        probe.add(names.plan(r));
      }
      for (int k = 0; k < p.get().canaryCount(); k++) {
        int a = view.newestAttempt(r, k);
        if (a >= 0 && view.seat(r, k).map(s -> s.verdict().isEmpty()).orElse(false)) {
          probe.add(names.seat(r, k, a));
        }
        probe.add(names.seat(r, k, a + 1));
      }
    } else {
      probe.add(names.fail(r, view.failCount(r)));
      if (view.plan(r).isEmpty()) {
        probe.add(names.plan(r));
      }
      if (!view.has(names.complete(r)) && candidate(r)) {
        probe.add(names.complete(r));
      }
    }
  }

  private void queueProbes(Set<String> probe) {
    Queue q = queue;
    for (int t = Math.max(0, q.windowLow); t <= q.turn; t++) {
      probe.add(names.turn(q.rev, q.slot, t));
    }
  }

  private void read(List<String> all) throws StoreException {
    for (int i = 0; i < all.size(); i += RolloutStore.MAX_BATCH) {
      List<String> batch = all.subList(i, Math.min(all.size(), i + RolloutStore.MAX_BATCH));
      counters.reads++;
      view.mergeAll(store.get(batch).values());
    }
  }

  private interface Write {
    long run() throws StoreException;
  }

  private long write(Write w) throws StoreException {
    counters.writes++;
    try {
      return w.run();
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.ALREADY_EXISTS) {
        counters.lostCreates++;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- deciding

  private long decide(long now) throws StoreException {
    if (hold != null) {
      return continueHold(now);
    }
    if (direct != 0) {
      return startDirect(direct, now);
    }
    long target = view.target();
    if (target > 0) {
      approvedSeenAt.putIfAbsent(target, now);
    }
    // boot: no revision yet; take the approved one without a turn (not a switch of a serving agent)
    if (failedRev > 0 && view.haltReason(failedRev).isEmpty() && view.ctlCount(failedRev) > 0) {
      // an operator resumed (or promoted) the revision this agent failed: it may try again
      log.info("event=rollout.retry agent={} revision={} reason=\"resumed\"", id, failedRev);
      failedRev = 0;
      save();
    }
    if (applied == 0) {
      long hinted = view.head().path("latest").asLong(0);
      if ((hinted > view.latest() || view.head().path("approved").asLong(0) > target)
          && bootReads++ < 3) {
        return 0; // head names newer revisions than this first read covered: read them first
      }
      if (target == 0) {
        return candidate(view.latest()) ? pacing.candidateMs() : followerInterval();
      }
      return startDirect(target, now);
    }
    long latest = view.latest();
    // a canary seat on the newest revision
    if (latest > applied && latest != failedRev) {
      long d = maybeClaimSeat(latest, now);
      if (d >= 0) {
        return d;
      }
    }
    // leader duties: plan, approval, completion
    long duty = duties(now);
    if (duty >= 0) {
      return duty;
    }
    // a follower's switch to the approved revision
    if (target > applied && target != failedRev) {
      if (view.direct(target) || view.policy(target).isEmpty()) {
        return startDirect(target, now);
      }
      return seekTurn(target, now);
    }
    queue = null;
    if (latest > applied && view.policy(latest).isPresent() && !view.approved(latest)) {
      return beforeApproval(latest, now);
    }
    return candidate(latest) ? pacing.candidateMs() : followerInterval();
  }

  /** Idle fleet-wide poll interval: {@code max(floor, N / followerReads)}. */
  private long followerInterval() {
    int n = view.head().path("n").asInt(0);
    if (n <= 0) {
      n = pacing.unknownFleet();
    }
    Policy p = currentPolicy();
    return Math.max(pacing.followerFloorMs(), (long) (n / p.followerReads() * 1000));
  }

  private Policy currentPolicy() {
    for (long r = view.latest(); r > 0 && r >= view.latest() - 3; r--) {
      Optional<Policy> p = view.policy(r);
      if (p.isPresent()) {
        return p.get();
      }
    }
    return Policy.defaults();
  }

  private boolean candidate(long r) {
    Policy p = view.policy(r).orElse(currentPolicy());
    return p.candidate(id, roles);
  }

  // ---------------------------------------------------------------- canary seats

  /** Claims a seat of {@code r} if this agent may; −1 when it did not. */
  private long maybeClaimSeat(long r, long now) throws StoreException {
    Optional<Policy> pol = view.policy(r);
    if (pol.isEmpty() || view.approved(r) || view.haltReason(r).isPresent()) {
      return -1;
    }
    Policy p = pol.get();
    JsonNode meta = view.meta(r).orElseThrow();
    long published =
        Math.max(meta.path("at").asLong(), view.entry(names.meta(r)).orElseThrow().modifiedMs());
    boolean named = !p.canaryAgents().isEmpty();
    int myIndex = p.canaryAgents().indexOf(id);
    boolean roleHolder = roles.contains(p.canaryRole());
    for (int k = 0; k < p.canaryCount(); k++) {
      Optional<FleetView.Seat> s = view.seat(r, k);
      if (s.isPresent() && s.get().agent().equals(id) && s.get().verdict().isEmpty()) {
        return -1; // ours (a journal we lost); its lease will expire and another takes over
      }
    }
    for (int k = 0; k < p.canaryCount(); k++) {
      Optional<FleetView.Seat> s = view.seat(r, k);
      long freeSince;
      int attempt;
      if (s.isEmpty()) {
        freeSince = published;
        attempt = 0;
      } else {
        FleetView.Seat seat = s.get();
        String v = seat.verdict();
        if (v.equals("ok")) {
          continue;
        }
        if (v.equals("failed") && !view.forgiven(r, k, seat.attempt())) {
          return -1;
        }
        if (v.isEmpty()) {
          long end = Records.leaseEnd(seat.entry(), seat.record()) + p.margin().toMillis();
          if (now <= end) {
            continue;
          }
          freeSince = end;
        } else {
          freeSince = seat.entry().modifiedMs();
        }
        attempt = seat.attempt() + 1;
      }
      long grace = p.canaryGrace().toMillis();
      boolean eligible;
      if (myIndex == k) {
        eligible = true;
      } else if (named) {
        eligible = (myIndex >= 0 || roleHolder) && now >= freeSince + grace;
      } else {
        eligible = roleHolder;
      }
      if (!eligible && p.fallback()) {
        eligible = now >= freeSince + (named ? 2 * grace : grace);
      }
      if (!eligible) {
        continue;
      }
      // absence is only evidence once read: a seat taken since this agent last looked is not free
      String name = names.seat(r, k, attempt);
      read(List.of(name));
      if (view.has(name)) {
        return -1;
      }
      Hold h = new Hold();
      h.kind = "seat";
      h.rev = r;
      h.name = names.seat(r, k, attempt);
      h.nonce = nonce();
      h.at = now;
      h.leaseMs = p.seatLease().toMillis();
      h.step = "claiming";
      h.base = applied;
      h.baseSha = appliedSha;
      hold = h;
      save();
      return continueHold(now);
    }
    return -1;
  }

  // ---------------------------------------------------------------- holding a seat or a turn

  private long continueHold(long now) throws StoreException {
    Hold h = hold;
    Policy p = view.policy(h.rev).orElse(currentPolicy());
    switch (h.step) {
      case "claiming" -> {
        ObjectNode rec = Records.envelope(h.kind, id, h.nonce, h.at);
        rec.put("leaseMs", h.leaseMs);
        rec.put("from", h.base);
        if (h.overflow) {
          rec.put("overflow", true);
        }
        try {
          write(() -> store.create(h.name, Records.write(rec)));
        } catch (StoreException e) {
          if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
            throw e;
          }
          Map<String, RolloutStore.Entry> got = store.get(List.of(h.name));
          counters.reads++;
          RolloutStore.Entry mine = got.get(h.name);
          if (mine == null || !Records.read(mine.value()).path("nonce").asText().equals(h.nonce)) {
            event("lost " + h.name);
            if (mine != null && Records.read(mine.value()).path("agent").asText().equals(id)) {
              log.warn(
                  "event=rollout.duplicate-agent agent={} record={} reason=\"another process"
                      + " claimed this name as the same agent id\" hint=\"give every agent its own"
                      + " agent-id\"",
                  id,
                  h.name);
            }
            if (queue != null && h.kind.equals("turn")) {
              if (queue.overflow) {
                queue.turn++;
              } else {
                queue = null; // the planned turn went to a skip: take an overflow turn
                overflow(h.rev);
                rejoinLater();
              }
            }
            hold = null;
            save();
            return 0;
          }
          view.merge(mine);
        }
        h.step = "claimed";
        save();
        event("claimed " + h.name);
        return 0;
      }
      case "claimed" -> {
        Optional<String> stop = stopReason(h, now);
        if (stop.isPresent()) {
          close(h, "released", stop.get(), now);
          return 0;
        }
        String content = revisionContent(h.rev);
        h.step = "applying";
        save();
        begin(h.rev, content, h.base, false, Optional.of(p));
        return 0;
      }
      case "applying" -> {
        // a restart during the switch: resume it while the lease runs, else give the slot up
        if (now > h.at + h.leaseMs) {
          h.verdict = "released";
          h.reason = "lease ran out during the switch (restart)";
          h.step = "rolling-back";
          save();
          return rollback(h);
        }
        begin(h.rev, revisionContent(h.rev), h.base, false, Optional.of(p));
        return 0;
      }
      case "baking" -> {
        Optional<String> stop = stopReason(h, now);
        if (stop.isPresent()) {
          h.verdict = stop.get().startsWith("aborted") ? "aborted" : "released";
          h.reason = stop.get();
          h.step = "rolling-back";
          save();
          return rollback(h);
        }
        if (planBuilder != null || (view.plan(h.rev).isEmpty() && leader(h))) {
          long d = buildPlan(h.rev, h.bakeUntil, h.applyMs, now);
          if (d > 0) {
            return Math.min(d, pacing.candidateMs());
          }
        }
        if (now - lastRecheck >= p.healthInterval().toMillis()) {
          lastRecheck = now;
          Optional<String> bad = local.recheck(p);
          if (bad.isPresent()) {
            h.reason = bad.get();
            h.step = "failing";
            save();
            return 0;
          }
        }
        if (now < h.bakeUntil) {
          return Math.min(
              pacing.candidateMs(),
              Math.min(h.bakeUntil - now, lastRecheck + p.healthInterval().toMillis() - now));
        }
        if (now > h.at + h.leaseMs) {
          h.verdict = "released";
          h.reason = "lease ended before the bake did";
          h.step = "rolling-back";
          save();
          return rollback(h);
        }
        ObjectNode v = verdict(h, "ok", "");
        v.put("bakedMs", p.bake().toMillis());
        write(() -> store.overwrite(h.name, Records.write(v)));
        event("verdict ok " + h.name);
        setApplied(h.rev, view.meta(h.rev).map(m -> m.path("sha").asText()).orElse(""));
        hold = null;
        save();
        return 0;
      }
      case "failing" -> {
        if (h.kind.equals("seat")) {
          // the verdict first: that is the halt, and nobody takes over a seat with a verdict
          write(() -> store.overwrite(h.name, Records.write(verdict(h, "failed", h.reason))));
        } else {
          createFail(h, now);
        }
        event("failed " + h.name + ": " + h.reason);
        h.verdict = "failed";
        h.step = "rolling-back";
        save();
        return rollback(h);
      }
      case "rolling-back" -> {
        return rollback(h); // restart mid-rollback: run it again
      }
      case "closing" -> {
        close(h, h.verdict, h.reason, now);
        return 0;
      }
      default -> {
        hold = null;
        save();
        return 0;
      }
    }
  }

  private final Set<Long> overflowRevs = new java.util.HashSet<>();

  /** This agent will converge on {@code r} in an overflow turn, not at its planned place. */
  private void overflow(long r) {
    overflowRevs.add(r);
    placed = null;
  }

  /** The holder of seat 0 builds the plan during its bake; others only when approving. */
  private boolean leader(Hold h) {
    return h.name.startsWith(names.rev(h.rev) + "/seat/0/");
  }

  /** Something that stops a holder before it acts: abort, halt, supersede, or a takeover. */
  private Optional<String> stopReason(Hold h, long now) {
    Optional<String> halt = view.haltReason(h.rev);
    if (halt.isPresent()) {
      return halt;
    }
    if (h.kind.equals("seat")) {
      // someone judged this attempt expired and took the seat over
      String[] parts = h.name.split("/");
      int k = Integer.parseInt(parts[parts.length - 2]);
      int a = Integer.parseInt(parts[parts.length - 1]);
      if (view.newestAttempt(h.rev, k) > a) {
        return Optional.of("seat taken over after this attempt's lease");
      }
    }
    for (long r = view.latest(); r > h.rev; r--) {
      if (view.approved(r) && view.haltReason(r).isEmpty()) {
        return Optional.of("superseded by revision " + r);
      }
    }
    return Optional.empty();
  }

  private void begin(long rev, String content, long from, boolean rollback, Optional<Policy> p) {
    String sha = Publisher.identity(content);
    cache.put(sha, content);
    counters.switches++;
    localBusy = true;
    local.begin(new Local.Switch(rev, sha, content, from, rollback, p));
  }

  private void onOutcome(Local.Outcome o, long now) {
    if (direct != 0) {
      setApplied(direct, view.meta(direct).map(m -> m.path("sha").asText()).orElse(appliedSha));
      event("applied " + direct + " (" + (o.healthy() ? "healthy" : o.reason()) + ")");
      direct = 0;
      save();
      return;
    }
    Hold h = hold;
    if (h == null) {
      return;
    }
    if (h.step.equals("applying")) {
      h.applyMs = o.tookMs();
      if (!o.healthy()) {
        h.reason = o.reason();
        h.step = "failing";
      } else if (h.kind.equals("seat")) {
        Policy p = view.policy(h.rev).orElse(currentPolicy());
        h.step = "baking";
        h.bakeUntil = now + p.bake().toMillis();
        lastRecheck = now;
        event("baking " + h.name);
      } else {
        h.verdict = "ok";
        h.step = "closing";
      }
      save();
    } else if (h.step.equals("rolling-back")) {
      h.reason = h.reason + (o.healthy() ? "" : "; rollback unhealthy: " + o.reason());
      h.step = "closing";
      rollbackOk = o.healthy();
      save();
    }
  }

  private boolean rollbackOk = true;

  private long rollback(Hold h) {
    Optional<String> base = h.baseSha.isEmpty() ? Optional.empty() : cache.get(h.baseSha);
    if (h.base == 0 || base.isEmpty()) {
      // nothing to return to (the agent ran nothing before): stay, but close honestly
      h.step = "closing";
      h.reason = h.reason + "; no base revision to roll back to";
      save();
      return 0;
    }
    Policy p = view.policy(h.rev).orElse(currentPolicy());
    begin(h.base, base.get(), h.rev, true, Optional.of(p));
    return 0;
  }

  /** Writes the final version of a held record and lets go. */
  private void close(Hold h, String verdictText, String reason, long now) throws StoreException {
    if (h.kind.equals("seat")) {
      ObjectNode v = verdict(h, verdictText, reason);
      if (!verdictText.equals("ok")) {
        v.put("rollback", rollbackOk ? "ok" : "failed");
      }
      write(() -> store.overwrite(h.name, Records.write(v)));
    } else {
      ObjectNode v = Records.envelope("turn", id, h.nonce, h.at);
      v.put("leaseMs", h.leaseMs);
      v.put("from", h.base);
      v.put("close", verdictText);
      v.put("tookMs", h.applyMs);
      if (!reason.isEmpty()) {
        v.put("reason", reason);
      }
      if (verdictText.equals("failed")) {
        v.put("rollback", rollbackOk ? "ok" : "failed");
      }
      write(() -> store.overwrite(h.name, Records.write(v)));
    }
    event(verdictText + " " + h.name);
    if (verdictText.equals("ok")) {
      setApplied(h.rev, view.meta(h.rev).map(m -> m.path("sha").asText()).orElse(appliedSha));
    } else if (!h.step.equals("claimed")) {
      setApplied(h.base, h.baseSha);
      if (verdictText.equals("failed")) {
        failedRev = h.rev;
      }
    }
    if (h.kind.equals("turn") && !verdictText.equals("ok") && !verdictText.equals("failed")) {
      overflow(h.rev); // released: converge later in an overflow turn
    }
    rollbackOk = true;
    hold = null;
    queue = null;
    save();
  }

  private ObjectNode verdict(Hold h, String v, String reason) {
    ObjectNode rec = Records.envelope("seat", id, h.nonce, h.at);
    rec.put("leaseMs", h.leaseMs);
    rec.put("from", h.base);
    rec.put("verdict", v);
    rec.put("applyMs", h.applyMs);
    if (!reason.isEmpty()) {
      rec.put("reason", reason.length() > 1000 ? reason.substring(0, 1000) + "…" : reason);
    }
    return rec;
  }

  private void createFail(Hold h, long now) throws StoreException {
    int k = view.failCount(h.rev);
    for (int tries = 0; tries < 50; tries++, k++) {
      ObjectNode rec = Records.envelope("fail", id, h.nonce, now);
      rec.put("turn", h.name);
      rec.put("reason", h.reason.length() > 1000 ? h.reason.substring(0, 1000) : h.reason);
      final int kk = k;
      try {
        write(() -> store.create(names.fail(h.rev, kk), Records.write(rec)));
        return;
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
          throw e;
        }
      }
    }
  }

  private String revisionContent(long r) throws StoreException {
    JsonNode meta = view.meta(r).orElseThrow();
    String sha = meta.path("sha").asText();
    Optional<String> cached = cache.get(sha);
    if (cached.isPresent()) {
      return cached.get();
    }
    String text = Publisher.compact(contents.load(meta.path("content")));
    counters.reads++;
    if (!Publisher.identity(text).equals(sha)) {
      throw new StoreException(
          StoreException.Kind.INVALID,
          names.meta(r) + ": content sha256 differs from the record's " + sha);
    }
    cache.put(sha, text);
    return text;
  }

  private long startDirect(long r, long now) throws StoreException {
    direct = r;
    save();
    begin(r, revisionContent(r), applied, false, Optional.empty());
    return 0;
  }

  // ---------------------------------------------------------------- leader duties

  /** Plan, approval and completion, done by candidates; −1 when nothing is due. */
  private long duties(long now) throws StoreException {
    long latest = view.latest();
    for (long r = latest; r > 0 && r >= latest - 2; r--) {
      if (view.policy(r).isEmpty() || view.direct(r)) {
        continue;
      }
      if (!view.approved(r) && view.allSeatsOk(r) && view.haltReason(r).isEmpty()) {
        boolean holder = false;
        for (int k = 0; k < view.policy(r).get().canaryCount(); k++) {
          holder |= view.seat(r, k).map(s -> s.agent().equals(id)).orElse(false);
        }
        long lastVerdict = 0;
        for (int k = 0; k < view.policy(r).get().canaryCount(); k++) {
          lastVerdict =
              Math.max(lastVerdict, view.seat(r, k).map(s -> s.entry().modifiedMs()).orElse(0L));
        }
        // a seat holder at once; another candidate after 2 minutes; failing that, anyone (a
        // fallback seat holder may be the only live agent that knows the seats are ok)
        long wait = candidate(r) ? 120_000 : 240_000;
        if (holder || now > lastVerdict + wait) {
          return approve(r, now);
        }
      }
    }
    long target = view.target();
    if (target > 0
        && candidate(target)
        && !view.direct(target)
        && view.policy(target).isPresent()
        && !view.has(names.complete(target))
        && now >= nextCompletionCheck) {
      nextCompletionCheck = now + pacing.candidateMs() * 10;
      checkComplete(target, now);
    }
    return -1;
  }

  private long approve(long r, long now) throws StoreException {
    JsonNode meta = view.meta(r).orElseThrow();
    if (view.plan(r).isEmpty()) {
      long applyMs = 0;
      for (int k = 0; k < view.policy(r).get().canaryCount(); k++) {
        applyMs =
            Math.max(
                applyMs, view.seat(r, k).map(s -> s.record().path("applyMs").asLong()).orElse(0L));
      }
      long d = buildPlan(r, now, applyMs, now);
      if (d > 0) {
        return d;
      }
    }
    // waves of two revisions never overlap: the previous rollout finishes (or halts) first
    long previous = 0;
    for (long p = r - 1; p > 0 && p >= r - 20; p--) {
      if (view.approved(p) && view.haltReason(p).isEmpty()) {
        previous = p;
        break;
      }
      if (!view.meta(p).isPresent()) {
        read(List.of(names.meta(p), names.approved(p), names.ctl(p, view.ctlCount(p))));
        if (view.approved(p) && view.haltReason(p).isEmpty()) {
          previous = p;
          break;
        }
      }
    }
    if (previous > 0
        && !view.direct(previous)
        && view.policy(previous).isPresent()
        && !view.has(names.complete(previous))) {
      read(List.of(names.complete(previous), names.plan(previous)));
      if (!view.has(names.complete(previous)) && !checkComplete(previous, now)) {
        event("approval of " + r + " waits for revision " + previous + " to complete");
        return pacing.candidateMs();
      }
    }
    // the last look before the gate opens: every attempt of every seat, fresh
    List<String> attempts = new ArrayList<>();
    for (int k = 0; k < view.policy(r).get().canaryCount(); k++) {
      for (int a = 0; a <= view.newestAttempt(r, k) + 1; a++) {
        attempts.add(names.seat(r, k, a));
      }
    }
    attempts.add(names.ctl(r, view.ctlCount(r)));
    read(attempts);
    if (view.haltReason(r).isPresent() || !view.allSeatsOk(r)) {
      return 0;
    }
    ObjectNode rec = Records.envelope("approved", id, nonce(), now);
    rec.put("by", "canaries");
    rec.put("sha", meta.path("sha").asText());
    try {
      write(() -> store.create(names.approved(r), Records.write(rec)));
      event("approved " + r);
      updateHead(r, now);
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
    read(List.of(names.approved(r)));
    return 0;
  }

  private void updateHead(long approvedRev, long now) throws StoreException {
    ObjectNode head = Records.envelope("head", id, nonce(), now);
    head.put("latest", Math.max(view.latest(), view.head().path("latest").asLong(0)));
    head.put("approved", Math.max(approvedRev, view.head().path("approved").asLong(0)));
    int n = view.plan(approvedRev).map(p -> p.path("n").asInt(0)).orElse(0);
    head.put("n", n > 0 ? n : view.head().path("n").asInt(0));
    write(() -> store.overwrite(names.head(), Records.write(head)));
  }

  /** Reads the last planned turn of every slot; creates {@code complete} when all are closed. */
  private boolean checkComplete(long r, long now) throws StoreException {
    Optional<JsonNode> planRec = view.plan(r);
    if (planRec.isEmpty()) {
      read(List.of(names.plan(r)));
      planRec = view.plan(r);
      if (planRec.isEmpty()) {
        return false;
      }
    }
    JsonNode plan = planRec.get();
    int P = plan.path("P").asInt(1);
    int followers = plan.path("n").asInt() - plan.path("c").asInt();
    Policy p = view.policy(r).orElse(currentPolicy());
    List<String> lasts = new ArrayList<>();
    for (int s = 0; s < P && s < followers; s++) {
      lasts.add(names.turn(r, s, plannedLength(followers, P, s) - 1));
    }
    read(lasts);
    int ok = 0;
    boolean all = true;
    for (int s = 0; s < lasts.size(); s++) {
      String n = lasts.get(s);
      if (closed(n, p, now)) {
        ok++;
        continue;
      }
      all = false;
      if (view.entry(n).isEmpty()) {
        skipUnclaimedLastTurn(r, s, plannedLength(followers, P, s) - 1, plan, p, now);
      }
    }
    if (!all) {
      return false;
    }
    ObjectNode rec = Records.envelope("complete", id, nonce(), now);
    rec.put("slots", ok);
    rec.put("followers", followers);
    try {
      write(() -> store.create(names.complete(r), Records.write(rec)));
      event("complete " + r);
      startCollector(r, plan, now);
      updateHead(r, now);
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
    read(List.of(names.complete(r)));
    return true;
  }

  /**
   * The last planned turn of a slot has no successor to skip it when its owner is gone: the
   * completion checker does, once the turn has been claimable for {@code startGrace} plus the
   * margin by the store's clock.
   */
  private void skipUnclaimedLastTurn(long r, int slot, int last, JsonNode plan, Policy p, long now)
      throws StoreException {
    // only for a slot well past the time it should have finished: reading whole slots of a
    // rollout still in waves would cost P/10 calls per check
    long approvedAt = view.entry(names.approved(r)).map(RolloutStore.Entry::modifiedMs).orElse(now);
    long perTurn =
        2 * Math.max(1_000, plan.path("applyMs").asLong(0))
            + plan.path("startGraceMs").asLong(60_000);
    if (now < approvedAt + (last + 1) * perTurn) {
      return;
    }
    // the lowest turn of the slot that is not closed: with a run of dead agents at the end of a
    // slot, each is skipped in turn, once the one before it is closed
    List<String> all = new ArrayList<>();
    for (int t = 0; t <= last; t++) {
      all.add(names.turn(r, slot, t));
    }
    read(all);
    int turn = -1;
    for (int t = 0; t <= last; t++) {
      if (!closed(names.turn(r, slot, t), p, now)) {
        turn = t;
        break;
      }
    }
    if (turn < 0 || view.entry(names.turn(r, slot, turn)).isPresent()) {
      return; // all closed, or the lowest open one is claimed and running
    }
    long eligibleAt;
    if (turn == 0) {
      eligibleAt = roundZeroStart(r, slot, p, now);
    } else {
      String pred = names.turn(r, slot, turn - 1);
      RolloutStore.Entry e = view.entry(pred).orElseThrow();
      JsonNode rec = view.record(pred).orElseThrow();
      eligibleAt =
          rec.has("close") || rec.path("kind").asText().equals("skip")
              ? e.modifiedMs()
              : Records.leaseEnd(e, rec) + p.margin().toMillis();
    }
    long grace = plan.path("startGraceMs").asLong(60_000);
    if (now < eligibleAt + grace + p.margin().toMillis()) {
      return;
    }
    String name = names.turn(r, slot, turn);
    ObjectNode skip = Records.envelope("skip", id, nonce(), now);
    skip.put("reason", "last turn of its slot unclaimed " + grace + "ms after it became claimable");
    try {
      write(() -> store.create(name, Records.write(skip)));
      event("skipped " + name);
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
    read(List.of(name));
  }

  static int plannedLength(int followers, int P, int slot) {
    return Plans.plannedLength(followers, P, slot);
  }

  /** Incremental membership scan and plan write; returns 0 when the plan exists. */
  private long buildPlan(long r, long bakeUntil, long applyMs, long now) throws StoreException {
    if (view.plan(r).isPresent()) {
      planBuilder = null;
      return 0;
    }
    if (planBuilder == null || planBuilder.rev != r) {
      planBuilder = new PlanBuilder();
      planBuilder.rev = r;
    }
    PlanBuilder b = planBuilder;
    if (!b.done) {
      counters.reads++;
      RolloutStore.Page page = store.list(names.agents(), b.token);
      for (RolloutStore.Entry e : page.entries()) {
        b.members.add(Plans.agentOf(e));
      }
      b.token = page.next();
      b.done = page.next().isEmpty();
      if (!b.done) {
        return 250; // ≤ 4 TPS of scan
      }
    }
    Policy p = view.policy(r).orElseThrow();
    Set<String> seats = Plans.seatHolders(view, r, p);
    seats.add(id);
    List<String> order = Plans.order(r, b.members, seats);
    ObjectNode rec =
        Plans.fill(
            Records.envelope("plan", id, nonce(), now),
            order,
            p,
            bakeUntil,
            applyMs,
            pacing.turnFloorMs(),
            contents);
    int parallel = rec.path("P").asInt();
    try {
      write(() -> store.create(names.plan(r), Records.write(rec)));
      event("planned " + r + ": " + order.size() + " followers, P=" + parallel);
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
    planBuilder = null;
    read(List.of(names.plan(r)));
    return 0;
  }

  private static final class PlanBuilder {
    long rev;
    Optional<String> token = Optional.empty();
    boolean done;
    final Set<String> members = new java.util.TreeSet<>();
  }

  // ---------------------------------------------------------------- waves

  /** A follower before approval: reads the plan during the bake, sleeps until near its turn. */
  private long beforeApproval(long r, long now) throws StoreException {
    Optional<JsonNode> plan = view.plan(r);
    long fi = followerInterval();
    if (plan.isEmpty()) {
      return candidate(r) ? pacing.candidateMs() : fi;
    }
    Queue q = placeIn(r, plan.get());
    long expected =
        plan.get().path("bakeUntil").asLong(now)
            + q.turn * early(plan.get())
            - currentPolicy().maxClockSkew().toMillis();
    long wait = expected - now;
    if (wait <= 0) {
      return q.turn == 0
          ? handoffPoll(plan.get(), currentPolicy())
          : Math.max(
              handoffPoll(plan.get(), currentPolicy()),
              Math.min(fi, wait + q.turn * early(plan.get())));
    }
    exact = true;
    cadence = handoffPoll(plan.get(), currentPolicy());
    return Math.min(fi, wait);
  }

  /** This agent's turn in revision {@code r}'s waves, the one it waits for and reads. */
  private Queue queueFor(long r, JsonNode plan) throws StoreException {
    if (queue == null || queue.rev != r) {
      queue = placeIn(r, plan);
    }
    return queue;
  }

  /**
   * Where this agent stands in a plan, kept from the bake on (reading the order means parsing it)
   * until it moves to an overflow turn.
   */
  private Queue placeIn(long r, JsonNode plan) throws StoreException {
    if (placed != null && placed.rev == r) {
      return placed;
    }
    List<String> order = contents.loadOrder(plan.path("order"));
    int P = Math.max(1, plan.path("P").asInt(1));
    Queue q = new Queue();
    q.rev = r;
    q.plan = plan;
    q.order = order;
    int i = overflowRevs.contains(r) ? -1 : order.indexOf(id);
    if (i < 0 && !overflowRevs.contains(r)) {
      rejoinLater(); // not in the plan: registered too late for it, or taken for a ghost
    }
    if (i >= 0) {
      q.slot = i % P;
      q.turn = i / P;
    } else {
      q.overflow = true;
      q.slot = (int) (Long.parseUnsignedLong(Json.sha256(r + "|" + id).substring(0, 8), 16) % P);
      q.turn = plannedLength(order.size(), P, q.slot);
    }
    q.windowLow = Math.max(0, q.turn - 3);
    placed = q;
    return q;
  }

  private boolean closed(String name, Policy p, long now) {
    Optional<RolloutStore.Entry> e = view.entry(name);
    if (e.isEmpty()) {
      return false;
    }
    JsonNode rec = view.record(name).orElseThrow();
    boolean c =
        rec.has("close")
            || rec.path("kind").asText().equals("skip")
            || now > Records.leaseEnd(e.get(), rec) + p.margin().toMillis();
    if (c) {
      closedSeenAt.putIfAbsent(name, now);
    }
    return c;
  }

  /** Waits for, or claims, this agent's turn in the approved revision {@code r}. */
  private long seekTurn(long r, long now) throws StoreException {
    if (view.haltReason(r).isPresent()) {
      return followerInterval();
    }
    Optional<JsonNode> plan = view.plan(r);
    if (plan.isEmpty()) {
      read(List.of(names.plan(r)));
      plan = view.plan(r);
      if (plan.isEmpty()) {
        return pacing.turnFloorMs() * 5;
      }
    }
    boolean fresh = queue == null || queue.rev != r;
    Queue q = queueFor(r, plan.get());
    if (fresh) {
      read(turnNames(q));
    }
    Policy p = view.policy(r).orElse(currentPolicy());
    long tau = plan.get().path("tauMs").asLong(pacing.turnFloorMs());
    long grace = plan.get().path("startGraceMs").asLong(60_000);
    long fi = followerInterval();
    // an overflow turn someone else already holds: move on without a write
    while (q.overflow && view.entry(names.turn(r, q.slot, q.turn)).isPresent()) {
      JsonNode rec = view.record(names.turn(r, q.slot, q.turn)).orElseThrow();
      if (rec.path("agent").asText().equals(id)) {
        break;
      }
      q.turn++;
      read(List.of(names.turn(r, q.slot, q.turn)));
    }
    if (!q.overflow && view.entry(names.turn(r, q.slot, q.turn)).isPresent()) {
      JsonNode rec = view.record(names.turn(r, q.slot, q.turn)).orElseThrow();
      if (!rec.path("agent").asText().equals(id)) {
        overflow(r); // skipped as a ghost while away
        queue = null;
        rejoinLater();
        return 0;
      }
    }
    // the lowest turn before ours that is not closed (everything below a closed turn is closed)
    int lowestOpen = -1;
    for (int t = q.windowLow; t < q.turn; t++) {
      if (!closed(names.turn(r, q.slot, t), p, now)) {
        lowestOpen = t;
        break;
      }
    }
    if (lowestOpen < 0) {
      if (q.turn == 0 && !q.overflow) {
        long at = roundZeroStart(r, q.slot, p, now);
        if (now < at) {
          exact = true;
          return at - now; // round 0 spreads its claims over the write budget
        }
      }
      return claimTurn(r, q, now);
    }
    if (lowestOpen == q.windowLow
        && q.windowLow > 0
        && view.entry(names.turn(r, q.slot, lowestOpen)).isEmpty()) {
      q.windowLow = Math.max(0, q.windowLow - 3); // a run of unclaimed turns: look further back
      return 0;
    }
    q.windowLow = Math.max(q.windowLow, lowestOpen - 1 >= 0 ? lowestOpen - 1 : 0);
    String openName = names.turn(r, q.slot, lowestOpen);
    Optional<RolloutStore.Entry> open = view.entry(openName);
    if (open.isEmpty()) {
      // unclaimed: its owner may be a ghost; skip it once its claim deadline passed
      Long eligible =
          lowestOpen == 0
              ? Long.valueOf(
                  Math.max(approvedSeenAt.getOrDefault(r, now), roundZeroStart(r, q.slot, p, now)))
              : closedSeenAt.get(names.turn(r, q.slot, lowestOpen - 1));
      if (eligible != null) {
        long deadline = eligible + grace + (long) (q.turn - 1 - lowestOpen) * tau;
        if (now >= deadline) {
          ObjectNode skip = Records.envelope("skip", id, nonce(), now);
          skip.put("reason", "no claim within " + grace + "ms of becoming eligible");
          try {
            write(() -> store.create(openName, Records.write(skip)));
            event("skipped " + openName);
          } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
              throw e;
            }
          }
          read(List.of(openName));
          return 0;
        }
        // its owner normally claims at once; this agent's turn is then about d turns away
        long handoff = handoffPoll(plan.get(), p);
        long expected = eligible + early(plan.get()) * (q.turn - lowestOpen);
        long wake = Math.min(deadline, Math.max(now + handoff, expected));
        exact = true;
        cadence = handoff;
        return Math.min(fi, Math.max(pacing.turnFloorMs(), wake - now));
      }
      return Math.max(pacing.turnFloorMs(), Math.min(tau * (q.turn - lowestOpen), fi));
    }
    // claimed and running: sleep until shortly before it is expected to close, then poll at the
    // handoff rate; only the next agent of each slot polls, so P of them share the turn budget
    JsonNode rec = view.record(openName).orElseThrow();
    long d = q.turn - lowestOpen;
    long expectedClose =
        Math.max(rec.path("at").asLong(), open.get().modifiedMs()) + early(plan.get()) * d;
    long handoff = handoffPoll(plan.get(), p);
    if (expectedClose - now > handoff) {
      exact = true;
      cadence = handoff;
      return Math.min(fi, expectedClose - now);
    }
    return d == 1 ? handoff : Math.max(handoff, Math.min(tau * d, fi));
  }

  /**
   * When slot {@code s} may claim its first turn: the approval's store time plus the slot's share
   * of the write budget, so round 0 does not burst past the Put quota.
   */
  private long roundZeroStart(long r, int slot, Policy p, long now) {
    long approvedAt = view.entry(names.approved(r)).map(RolloutStore.Entry::modifiedMs).orElse(now);
    return approvedAt + (long) (slot * 1000 / p.writes());
  }

  /** How often the next agent of a slot polls around a handoff: P agents within turnReads. */
  private long handoffPoll(JsonNode plan, Policy p) {
    int parallel = Math.max(1, plan.path("P").asInt(1));
    return Math.max(pacing.turnFloorMs(), (long) (parallel / p.turnReads() * 1000));
  }

  /** A turn's expected length, on the early side: a late guess costs a whole handoff. */
  private long early(JsonNode plan) {
    return Math.max(1_000, plan.path("applyMs").asLong(0) * 3 / 4);
  }

  private List<String> turnNames(Queue q) {
    List<String> out = new ArrayList<>();
    for (int t = q.windowLow; t <= q.turn; t++) {
      out.add(names.turn(q.rev, q.slot, t));
    }
    return out;
  }

  private long claimTurn(long r, Queue q, long now) throws StoreException {
    Policy p = view.policy(r).orElse(currentPolicy());
    Hold h = new Hold();
    h.kind = "turn";
    h.rev = r;
    h.name = names.turn(r, q.slot, q.turn);
    h.nonce = nonce();
    h.at = now;
    h.leaseMs = p.turnLease().toMillis();
    h.step = "claiming";
    h.base = applied;
    h.baseSha = appliedSha;
    h.overflow = q.overflow;
    hold = h;
    save();
    long d = continueHold(now);
    if (hold != null && hold.step.equals("claimed")) {
      // re-read the stop conditions before acting
      read(
          List.of(
              names.ctl(r, view.ctlCount(r)),
              names.fail(r, view.failCount(r)),
              names.meta(view.latest() + 1),
              names.approved(view.latest())));
    }
    return d;
  }

  // ---------------------------------------------------------------- journal

  private void setApplied(long rev, String sha) {
    if (rev != applied) {
      log.info("event=rollout.applied agent={} applied={} from={}", id, rev, applied);
    }
    applied = rev;
    appliedSha = sha;
  }

  private void event(String text) {
    lastEvent = text;
    if (text.startsWith("failed") || text.startsWith("aborted") || text.startsWith("released")) {
      log.warn("event=rollout agent={} what=\"{}\"", id, text);
    } else {
      log.info("event=rollout agent={} what=\"{}\"", id, text);
    }
  }

  private String nonce() {
    return Long.toHexString(random.nextLong());
  }

  private void save() {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("applied", applied);
    n.put("appliedSha", appliedSha);
    n.put("failedRev", failedRev);
    n.put("registered", registered);
    n.put("direct", direct);
    if (hold != null) {
      n.set("hold", hold.toJson());
    }
    journal.save(n);
  }

  private void restore(JsonNode n) {
    applied = n.path("applied").asLong();
    appliedSha = n.path("appliedSha").asText("");
    failedRev = n.path("failedRev").asLong();
    registered = n.path("registered").asBoolean();
    direct = n.path("direct").asLong();
    if (n.hasNonNull("hold")) {
      hold = Hold.fromJson(n.get("hold"));
    }
  }
}
