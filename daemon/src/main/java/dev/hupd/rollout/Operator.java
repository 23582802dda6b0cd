package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * The operator's side of a rollout (docs/rollout.md §6 rows 9, 11, 12 and §14): reads a revision's
 * records into a {@link RolloutStatus}, and writes {@code ctl} records for abort, resume and
 * promote. Every write is a create-if-absent except the {@code head} hint, so an operator racing
 * agents or another operator never loses a record.
 */
public final class Operator {

  /** Waits between store calls; the folder store needs none, SSM a paced scan. */
  @FunctionalInterface
  public interface Pacer {
    void pause(long millis) throws InterruptedException;

    Pacer NONE = ms -> {};
    Pacer SLEEP = Thread::sleep;
  }

  /** Calls that go out at once; after them one per {@link #SPACING_MS} (≤ 5 per second). */
  static final int BURST = 5;

  static final long SPACING_MS = 200;

  /** An action that makes no sense in the revision's phase, or needs {@code --force}. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message);
    }
  }

  /**
   * What an action wrote.
   *
   * @param revision the revision acted on
   * @param ctl the index {@code e} of the {@code ctl/<e>} record created
   * @param phaseBefore the phase the action was judged in
   * @param status the revision as read after the action
   */
  public record Action(long revision, int ctl, String phaseBefore, RolloutStatus status) {}

  private final RolloutStore store;
  private final Names names;
  private final LongSupplier clock;
  private final String who;
  private final RolloutAgent.Pacing pacing;
  private final Pacer pacer;
  private final Contents contents;
  private int calls;

  /** An operator with the pacing the store needs: none for a folder, 5 calls/s for SSM. */
  public Operator(RolloutStore store, Names names, LongSupplier clock, String who)
      throws StoreException {
    this(
        store,
        names,
        clock,
        who,
        store instanceof DirStore ? RolloutAgent.Pacing.local() : RolloutAgent.Pacing.ssm(),
        store instanceof DirStore ? Pacer.NONE : Pacer.SLEEP);
  }

  /**
   * @param who names the operator in records, e.g. {@code alice@laptop}
   * @param pacing the agents' pacing, for the plan's turn estimates
   * @param pacer waits between store calls beyond the first few
   */
  public Operator(
      RolloutStore store,
      Names names,
      LongSupplier clock,
      String who,
      RolloutAgent.Pacing pacing,
      Pacer pacer)
      throws StoreException {
    this.store = store;
    this.names = names;
    this.clock = clock;
    this.who = who;
    this.pacing = pacing;
    this.pacer = pacer;
    this.contents = new StoreContents(store, names);
  }

  // ---------------------------------------------------------------- status

  /**
   * Reads one revision (the newest when empty) and the fleet's target.
   *
   * @param agents also list every planned, overflow and registered agent
   * @throws Refused when the asked revision does not exist
   */
  public RolloutStatus status(Optional<Long> revision, boolean agents)
      throws StoreException, Refused {
    FleetView view = new FleetView(names);
    long r = resolve(view, revision);
    if (r == 0) {
      return new RolloutStatus(
          fleetName(),
          view.generation(),
          0,
          0,
          0,
          "",
          "",
          0,
          "",
          false,
          "pending",
          "",
          0,
          "",
          List.of(),
          Optional.empty(),
          Optional.empty(),
          List.of());
    }
    return describe(view, r, agents);
  }

  /** The revision to act on: the asked one, or the newest; loads it and the fleet's target. */
  private long resolve(FleetView view, Optional<Long> revision) throws StoreException, Refused {
    calls = 0;
    call();
    long latest = new Publisher(store, names, contents, clock, who).latest(view);
    long r = revision.orElse(latest);
    if (revision.isPresent() && (r < 1 || r > latest)) {
      throw new Refused(
          "revision "
              + r
              + " does not exist in fleet "
              + fleetName()
              + (latest == 0 ? " (no revisions yet)" : " (newest is " + latest + ")"));
    }
    if (r == 0) {
      return 0;
    }
    for (long k = latest; k > 0 && k >= r; k--) {
      load(view, k);
    }
    // the target: the newest approved revision below r that is not halted, judged on its whole
    // ctl chain (an abort followed by a resume is not a halt)
    for (long k = r - 1; k > 0; k--) {
      load(view, k);
      if (view.approved(k) && view.haltReason(k).isEmpty()) {
        break;
      }
    }
    if (view.meta(r).isEmpty()) {
      throw new Refused(names.meta(r) + " is not readable yet; try again in a few seconds");
    }
    return r;
  }

  private String fleetName() {
    return names.root().substring("/hupd/".length());
  }

  /** Reads the records that decide {@code r}'s phase: meta, approval, plan, chains, seats. */
  private void load(FleetView view, long r) throws StoreException {
    get(
        view,
        List.of(
            names.meta(r),
            names.approved(r),
            names.complete(r),
            names.plan(r),
            names.turn(r, 0, 0)));
    chain(view, e -> names.ctl(r, e));
    chain(view, k -> names.fail(r, k));
    Optional<Policy> p = view.policy(r);
    if (p.isPresent() && !view.direct(r)) {
      for (int k = 0; k < p.get().canaryCount(); k++) {
        int seat = k;
        chain(view, a -> names.seat(r, seat, a));
      }
    }
  }

  /** Reads {@code name(0), name(1), …} in batches until one is missing. */
  private void chain(FleetView view, IntFunction<String> name) throws StoreException {
    for (int i = 0; ; i += RolloutStore.MAX_BATCH) {
      List<String> batch = new ArrayList<>();
      for (int j = i; j < i + RolloutStore.MAX_BATCH; j++) {
        batch.add(name.apply(j));
      }
      if (get(view, batch).size() < batch.size()) {
        return;
      }
    }
  }

  private Map<String, RolloutStore.Entry> get(FleetView view, List<String> batch)
      throws StoreException {
    call();
    Map<String, RolloutStore.Entry> got = store.get(batch);
    view.mergeAll(got.values());
    return got;
  }

  /** Paces store calls: a burst of {@link #BURST}, then one per {@link #SPACING_MS}. */
  private void call() throws StoreException {
    if (calls++ < BURST) {
      return;
    }
    try {
      pacer.pause(SPACING_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(StoreException.Kind.TRANSIENT, "interrupted while reading");
    }
  }

  private RolloutStatus describe(FleetView view, long r, boolean withAgents) throws StoreException {
    long now = clock.getAsLong();
    JsonNode meta = view.meta(r).orElseThrow();
    String phase = phase(view, r, now);
    String reason = reason(view, r, phase, now);
    long target = view.target();
    String targetPhase = target > 0 && target != r ? phase(view, target, now) : "";
    Optional<JsonNode> plan = view.plan(r);
    List<RolloutStatus.Seat> seats = seats(view, r, now);
    Optional<RolloutStatus.Plan> planState = plan.map(Operator::planState);
    Optional<RolloutStatus.Waves> waves = Optional.empty();
    List<RolloutStatus.AgentLine> agents = List.of();
    if (plan.isPresent() && !view.direct(r)) {
      boolean approved = view.approved(r);
      Turns turns = approved ? readTurns(view, r, plan.get()) : noTurns(plan.get());
      if (approved) {
        waves = Optional.of(waves(view, r, plan.get(), turns, now));
      }
      if (withAgents) {
        agents = agentLines(view, r, plan.get(), turns, now);
      }
    } else if (withAgents) {
      agents = unplanned(view, r, Set.of());
    }
    return new RolloutStatus(
        fleetName(),
        view.generation(),
        view.latest(),
        r,
        meta.path("base").asLong(0),
        meta.path("message").asText(""),
        meta.path("agent").asText(""),
        meta.path("at").asLong(0),
        meta.path("sha").asText(""),
        meta.path("gate").asBoolean(false),
        phase,
        reason,
        target,
        targetPhase,
        seats,
        planState,
        waves,
        agents);
  }

  /** The phase as an operator reads it: {@link FleetView#status} plus baking and canary-timeout. */
  private String phase(FleetView view, long r, long now) {
    FleetView.Status s = view.status(r);
    if (s.phase() == FleetView.Phase.CANARY && baking(view, r, now)) {
      return "baking";
    }
    boolean open = s.phase() == FleetView.Phase.PENDING || s.phase() == FleetView.Phase.CANARY;
    if (open && canaryTimedOut(view, r, now)) {
      return "halted";
    }
    return s.phase().label();
  }

  private String reason(FleetView view, long r, String phase, long now) {
    FleetView.Status s = view.status(r);
    if (!s.reason().isEmpty()) {
      return s.reason();
    }
    if (phase.equals("halted")) {
      return "canary-timeout";
    }
    if (view.direct(r)) {
      String why = view.record(names.approved(r)).orElseThrow().path("why").asText("");
      return "applied on sight" + (why.isEmpty() ? "" : ": " + why);
    }
    return "";
  }

  /** Every seat's newest attempt is baking or ok (docs/rollout.md §6). */
  private boolean baking(FleetView view, long r, long now) {
    Optional<Policy> p = view.policy(r);
    if (p.isEmpty()) {
      return false;
    }
    for (int k = 0; k < p.get().canaryCount(); k++) {
      Optional<FleetView.Seat> s = view.seat(r, k);
      String state = s.isEmpty() ? "" : seatState(view, r, s.get(), p.get(), now);
      if (!state.equals("baking") && !state.equals("ok")) {
        return false;
      }
    }
    return true;
  }

  /**
   * No approval {@code canaryTimeout} (bake + 2 × turnLease) after {@code meta}, and no live seat:
   * shown as halted, though it changes nobody's behaviour.
   */
  private boolean canaryTimedOut(FleetView view, long r, long now) {
    Optional<Policy> p = view.policy(r);
    Optional<RolloutStore.Entry> meta = view.entry(names.meta(r));
    if (p.isEmpty() || meta.isEmpty()) {
      return false;
    }
    long published = Math.max(meta.get().modifiedMs(), view.meta(r).get().path("at").asLong(0));
    long timeout = p.get().bake().plus(p.get().turnLease().multipliedBy(2)).toMillis();
    if (now <= published + timeout) {
      return false;
    }
    for (int k = 0; k < p.get().canaryCount(); k++) {
      Optional<FleetView.Seat> s = view.seat(r, k);
      if (s.isPresent() && live(s.get(), p.get(), now)) {
        return false;
      }
    }
    return true;
  }

  private static boolean live(FleetView.Seat s, Policy p, long now) {
    return s.verdict().isEmpty()
        && now <= Records.leaseEnd(s.entry(), s.record()) + p.margin().toMillis();
  }

  /**
   * A seat attempt's state. Agents write no separate baking version, so a claim is baking when it
   * carries {@code bakeUntil}, or when its holder wrote the plan (the leader plans during its
   * bake).
   */
  private String seatState(FleetView view, long r, FleetView.Seat s, Policy p, long now) {
    if (!s.verdict().isEmpty()) {
      return s.verdict();
    }
    if (!live(s, p, now)) {
      return "expired";
    }
    return bakeUntil(view, r, s) > 0 ? "baking" : "claimed";
  }

  private long bakeUntil(FleetView view, long r, FleetView.Seat s) {
    if (s.record().has("bakeUntil")) {
      return s.record().path("bakeUntil").asLong();
    }
    Optional<JsonNode> plan = view.plan(r);
    if (plan.isPresent()
        && plan.get().path("agent").asText().equals(s.agent())
        && plan.get().path("at").asLong() >= s.record().path("at").asLong()) {
      // planned during this attempt's bake (not an earlier attempt's, e.g. before a resume)
      return plan.get().path("bakeUntil").asLong(0);
    }
    return 0;
  }

  private List<RolloutStatus.Seat> seats(FleetView view, long r, long now) {
    Optional<Policy> p = view.policy(r);
    List<RolloutStatus.Seat> out = new ArrayList<>();
    if (p.isEmpty() || view.direct(r)) {
      return out;
    }
    for (int k = 0; k < p.get().canaryCount(); k++) {
      Optional<FleetView.Seat> s = view.seat(r, k);
      if (s.isEmpty()) {
        out.add(new RolloutStatus.Seat(k, -1, "", "unclaimed", -1, -1, -1, ""));
        continue;
      }
      out.add(seatLine(view, r, s.get(), p.get(), now));
    }
    return out;
  }

  private RolloutStatus.Seat seatLine(
      FleetView view, long r, FleetView.Seat s, Policy p, long now) {
    String state = seatState(view, r, s, p, now);
    JsonNode rec = s.record();
    long applyMs = rec.has("applyMs") ? rec.path("applyMs").asLong() : -1;
    long bakeLeft = -1;
    if (state.equals("baking")) {
      bakeLeft = Math.max(0, bakeUntil(view, r, s) - now);
      Optional<JsonNode> plan = view.plan(r);
      if (applyMs < 0 && plan.isPresent()) {
        applyMs = plan.get().path("applyMs").asLong(-1);
      }
    }
    long baked = state.equals("ok") ? rec.path("bakedMs").asLong(p.bake().toMillis()) : -1;
    return new RolloutStatus.Seat(
        s.seat(),
        s.attempt(),
        s.agent(),
        state,
        applyMs,
        bakeLeft,
        baked,
        rec.path("reason").asText(""));
  }

  private static RolloutStatus.Plan planState(JsonNode plan) {
    return new RolloutStatus.Plan(
        plan.path("P").asInt(1),
        plan.path("R").asInt(0),
        plan.path("n").asInt(0) - plan.path("c").asInt(0),
        plan.path("capped").asBoolean(false));
  }

  // ---------------------------------------------------------------- turns

  /** Every turn record of a revision, by slot: planned turns, then the overflow ones. */
  private record Turns(
      int parallel, int followers, List<List<Optional<RolloutStore.Entry>>> slots) {
    int planned(int slot) {
      return Plans.plannedLength(followers, parallel, slot);
    }
  }

  private static Turns noTurns(JsonNode plan) {
    int parallel = Math.max(1, plan.path("P").asInt(1));
    int followers = Math.max(0, plan.path("n").asInt(0) - plan.path("c").asInt(0));
    List<List<Optional<RolloutStore.Entry>>> slots = new ArrayList<>();
    for (int s = 0; s < parallel; s++) {
      slots.add(List.of());
    }
    return new Turns(parallel, followers, slots);
  }

  private Turns readTurns(FleetView view, long r, JsonNode plan) throws StoreException {
    int parallel = Math.max(1, plan.path("P").asInt(1));
    int followers = Math.max(0, plan.path("n").asInt(0) - plan.path("c").asInt(0));
    List<String> wanted = new ArrayList<>();
    for (int s = 0; s < parallel; s++) {
      for (int t = 0; t <= Plans.plannedLength(followers, parallel, s); t++) {
        wanted.add(names.turn(r, s, t));
      }
    }
    readAll(view, wanted);
    for (int s = 0; s < parallel; s++) {
      int slot = s;
      int t = Plans.plannedLength(followers, parallel, s);
      if (view.has(names.turn(r, s, t))) {
        int from = t + 1;
        chain(view, i -> names.turn(r, slot, from + i));
      }
    }
    List<List<Optional<RolloutStore.Entry>>> slots = new ArrayList<>();
    for (int s = 0; s < parallel; s++) {
      List<Optional<RolloutStore.Entry>> turns = new ArrayList<>();
      int planned = Plans.plannedLength(followers, parallel, s);
      for (int t = 0; t < planned || view.has(names.turn(r, s, t)); t++) {
        turns.add(view.entry(names.turn(r, s, t)));
      }
      slots.add(turns);
    }
    return new Turns(parallel, followers, slots);
  }

  private void readAll(FleetView view, List<String> wanted) throws StoreException {
    for (int i = 0; i < wanted.size(); i += RolloutStore.MAX_BATCH) {
      get(view, wanted.subList(i, Math.min(wanted.size(), i + RolloutStore.MAX_BATCH)));
    }
  }

  /** A turn record's result: in flight, ok, failed, released, noop, skipped or expired. */
  private static String turnResult(RolloutStore.Entry e, Policy p, long now) {
    JsonNode rec = Records.read(e.value());
    if (rec.path("kind").asText().equals("skip")) {
      return "skipped";
    }
    if (rec.has("close")) {
      return rec.path("close").asText();
    }
    boolean expired = now > Records.leaseEnd(e, rec) + p.margin().toMillis();
    return expired ? "expired" : "in flight";
  }

  private RolloutStatus.Waves waves(FleetView view, long r, JsonNode plan, Turns turns, long now) {
    Policy p = view.policy(r).orElse(Policy.defaults());
    int[] counts = new int[6];
    int round = 0;
    int overflow = 0;
    for (int s = 0; s < turns.parallel(); s++) {
      List<Optional<RolloutStore.Entry>> slot = turns.slots().get(s);
      for (int t = 0; t < slot.size(); t++) {
        if (slot.get(t).isEmpty()) {
          continue;
        }
        if (t >= turns.planned(s)) {
          overflow++;
        } else {
          round = Math.max(round, t + 1);
        }
        switch (turnResult(slot.get(t).get(), p, now)) {
          case "in flight" -> counts[0]++;
          case "ok", "noop" -> counts[1]++;
          case "failed" -> counts[2]++;
          case "skipped" -> counts[3]++;
          case "released" -> counts[4]++;
          default -> counts[5]++;
        }
      }
    }
    return new RolloutStatus.Waves(
        round,
        plan.path("R").asInt(0),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        counts[5],
        overflow,
        view.failCount(r),
        view.failureThreshold(r));
  }

  private List<RolloutStatus.AgentLine> agentLines(
      FleetView view, long r, JsonNode plan, Turns turns, long now) throws StoreException {
    Policy p = view.policy(r).orElse(Policy.defaults());
    List<String> order = contents.loadOrder(plan.path("order"));
    List<RolloutStatus.AgentLine> out = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      int s = i % turns.parallel();
      int t = i / turns.parallel();
      List<Optional<RolloutStore.Entry>> slot = turns.slots().get(s);
      Optional<RolloutStore.Entry> e = t < slot.size() ? slot.get(t) : Optional.empty();
      out.add(line(order.get(i), "planned", s, t, e, p, now));
    }
    Set<String> overflowAgents = new TreeSet<>();
    for (int s = 0; s < turns.parallel(); s++) {
      List<Optional<RolloutStore.Entry>> slot = turns.slots().get(s);
      for (int t = turns.planned(s); t < slot.size(); t++) {
        if (slot.get(t).isPresent()) {
          String agent = Records.read(slot.get(t).get().value()).path("agent").asText();
          overflowAgents.add(agent);
          out.add(line(agent, "overflow", s, t, slot.get(t), p, now));
        }
      }
    }
    Set<String> known = new LinkedHashSet<>(order);
    known.addAll(overflowAgents);
    out.addAll(unplanned(view, r, known));
    return out;
  }

  private static RolloutStatus.AgentLine line(
      String agent,
      String kind,
      int slot,
      int turn,
      Optional<RolloutStore.Entry> e,
      Policy p,
      long now) {
    if (e.isEmpty()) {
      return new RolloutStatus.AgentLine(agent, kind, slot, turn, "waiting", 0, -1, "");
    }
    JsonNode rec = Records.read(e.get().value());
    String result = turnResult(e.get(), p, now);
    String detail = rec.path("reason").asText("");
    if (rec.path("rollback").asText().equals("failed")) {
      detail = (detail.isEmpty() ? "" : detail + "; ") + "rollback failed";
    }
    if (result.equals("skipped")) {
      return new RolloutStatus.AgentLine(agent, kind, slot, turn, result, 0, -1, detail);
    }
    long took = rec.has("close") ? rec.path("tookMs").asLong(-1) : -1;
    return new RolloutStatus.AgentLine(
        agent, kind, slot, turn, result, rec.path("at").asLong(0), took, detail);
  }

  /** Registered agents that are neither in {@code known} nor a seat holder: scanned, paced. */
  private List<RolloutStatus.AgentLine> unplanned(FleetView view, long r, Set<String> known)
      throws StoreException {
    Set<String> skip = new LinkedHashSet<>(known);
    view.policy(r).ifPresent(p -> skip.addAll(Plans.seatHolders(view, r, p)));
    List<RolloutStatus.AgentLine> out = new ArrayList<>();
    for (String id : registeredAgents()) {
      if (!skip.contains(id)) {
        out.add(new RolloutStatus.AgentLine(id, "unplanned", -1, -1, "not planned", 0, -1, ""));
      }
    }
    return out;
  }

  /** Every id under {@code agents/}, listed page by page at the operator's pace. */
  private Set<String> registeredAgents() throws StoreException {
    Set<String> out = new TreeSet<>();
    Optional<String> token = Optional.empty();
    do {
      call();
      RolloutStore.Page page = store.list(names.agents(), token);
      page.entries().forEach(e -> out.add(Plans.agentOf(e)));
      token = page.next();
    } while (token.isPresent());
    return out;
  }

  // ---------------------------------------------------------------- actions

  public Action abort(String reason) throws StoreException, Refused {
    return abort(Optional.empty(), reason);
  }

  /** Halts a revision in an open phase: {@code ctl/<e> {op: abort, reason}} (row 9). */
  public Action abort(Optional<Long> revision, String reason) throws StoreException, Refused {
    FleetView view = new FleetView(names);
    long r = existing(view, revision, "abort");
    long now = clock.getAsLong();
    String phase = phase(view, r, now);
    FleetView.Phase real = view.status(r).phase();
    if (view.direct(r)) {
      throw refused(view, r, phase, now, "abort", "it is not gated; push a fix instead");
    }
    if (real == FleetView.Phase.COMPLETE
        || real == FleetView.Phase.SUPERSEDED
        || real == FleetView.Phase.HALTED) {
      throw refused(
          view, r, phase, now, "abort", "only a revision in an open phase can be aborted");
    }
    ObjectNode body = ctl("abort", now);
    body.put("reason", reason);
    int e = writeCtl(view, r, body);
    writeHead(view, now, 0, r, e);
    return done(r, e, phase);
  }

  public Action resume() throws StoreException, Refused {
    return resume(Optional.empty());
  }

  /**
   * Lifts a halt (row 11): forgives the failed seat attempts, so their seats may take a next
   * attempt, and starts counting follower failures afresh from the {@code fail/*} records seen.
   */
  public Action resume(Optional<Long> revision) throws StoreException, Refused {
    FleetView view = new FleetView(names);
    long r = existing(view, revision, "resume");
    long now = clock.getAsLong();
    String phase = phase(view, r, now);
    if (view.status(r).phase() != FleetView.Phase.HALTED) {
      throw refused(view, r, phase, now, "resume", "only a halted revision can be resumed");
    }
    ObjectNode body = forgiving(view, r, ctl("resume", now));
    int e = writeCtl(view, r, body);
    writeHead(view, now, 0, r, e);
    return done(r, e, phase);
  }

  public Action promote(boolean force) throws StoreException, Refused {
    return promote(Optional.empty(), force);
  }

  /**
   * Approves a revision without waiting for its canaries (row 12): {@code ctl/<e> {promote}}, the
   * plan if absent, then {@code approved {by: operator}}. After a failed canary only with {@code
   * force}.
   */
  public Action promote(Optional<Long> revision, boolean force) throws StoreException, Refused {
    FleetView view = new FleetView(names);
    long r = existing(view, revision, "promote");
    long now = clock.getAsLong();
    String phase = phase(view, r, now);
    checkPromotable(view, r, phase, now, force);
    int e = writeCtl(view, r, forgiving(view, r, ctl("promote", now)));
    if (view.plan(r).isEmpty()) {
      writePlan(view, r, now);
    }
    ObjectNode approved = Records.envelope("approved", who, nonce(), now);
    approved.put("by", "operator");
    approved.put("sha", view.meta(r).orElseThrow().path("sha").asText());
    approved.put("ctl", e);
    try {
      store.create(names.approved(r), Records.write(approved));
    } catch (StoreException ex) {
      if (ex.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw ex;
      }
    }
    writeHead(view, now, r, r, e);
    return done(r, e, phase);
  }

  private void checkPromotable(FleetView view, long r, String phase, long now, boolean force)
      throws Refused {
    if (view.policy(r).isEmpty()) {
      throw refused(
          view,
          r,
          phase,
          now,
          "promote",
          "it carries no rollout policy, so it is applied on sight; push it again to complete an"
              + " interrupted push");
    }
    if (view.approved(r)) {
      String hint =
          view.status(r).phase() == FleetView.Phase.HALTED ? "; use resume to lift the halt" : "";
      throw refused(view, r, phase, now, "promote", "it is already approved" + hint);
    }
    Optional<String> halt = view.haltReason(r);
    if (halt.isPresent() && halt.get().startsWith("canary-failed") && !force) {
      throw refused(
          view,
          r,
          phase,
          now,
          "promote",
          "a canary failed; promote --force approves it anyway, resume lets a seat retry");
    }
    if (view.status(r).phase() == FleetView.Phase.SUPERSEDED) {
      throw refused(view, r, phase, now, "promote", "a newer revision is approved");
    }
  }

  /** The revision an action is for; refuses when the fleet has none. */
  private long existing(FleetView view, Optional<Long> revision, String action)
      throws StoreException, Refused {
    long r = resolve(view, revision);
    if (r == 0) {
      throw new Refused("cannot " + action + ": fleet " + fleetName() + " has no revisions yet");
    }
    return r;
  }

  private Refused refused(
      FleetView view, long r, String phase, long now, String action, String why) {
    String reason = reason(view, r, phase, now);
    return new Refused(
        "cannot "
            + action
            + " revision "
            + r
            + ": its phase is "
            + phase
            + (reason.isEmpty() ? "" : " (" + reason + ")")
            + "; "
            + why);
  }

  private ObjectNode ctl(String op, long now) {
    ObjectNode body = Records.envelope("ctl", who, nonce(), now);
    body.put("op", op);
    return body;
  }

  /**
   * Adds {@code forgives} (every failed seat attempt, as {@code "k/a"}) and {@code failureBase}.
   */
  private ObjectNode forgiving(FleetView view, long r, ObjectNode body) {
    var forgives = body.putArray("forgives");
    Optional<Policy> p = view.policy(r);
    for (int k = 0; p.isPresent() && k < p.get().canaryCount(); k++) {
      for (int a = 0; a <= view.newestAttempt(r, k); a++) {
        Optional<JsonNode> s = view.record(names.seat(r, k, a));
        if (s.isPresent() && s.get().path("verdict").asText().equals("failed")) {
          forgives.add(k + "/" + a);
        }
      }
    }
    body.put("failureBase", view.failCount(r));
    return body;
  }

  /** Creates {@code ctl/<e>} at the next free {@code e}; returns {@code e}. */
  private int writeCtl(FleetView view, long r, ObjectNode body) throws StoreException {
    String text = Records.write(body);
    int e = view.ctlCount(r);
    for (int tries = 0; tries < 50; tries++, e++) {
      try {
        store.create(names.ctl(r, e), text);
        return e;
      } catch (StoreException ex) {
        if (ex.kind() != StoreException.Kind.ALREADY_EXISTS) {
          throw ex;
        }
      }
    }
    throw new StoreException(
        StoreException.Kind.TRANSIENT, "50 control records were written concurrently; try again");
  }

  /** The membership scan and the plan, as the leader would have written them (§8.1). */
  private void writePlan(FleetView view, long r, long now) throws StoreException {
    Policy p = view.policy(r).orElseThrow();
    long applyMs = 0;
    for (int k = 0; k < p.canaryCount(); k++) {
      applyMs =
          Math.max(
              applyMs, view.seat(r, k).map(s -> s.record().path("applyMs").asLong()).orElse(0L));
    }
    List<String> order = Plans.order(r, registeredAgents(), Plans.seatHolders(view, r, p));
    ObjectNode rec =
        Plans.fill(
            Records.envelope("plan", who, nonce(), now),
            order,
            p,
            now,
            applyMs,
            pacing.turnFloorMs(),
            contents);
    try {
      store.create(names.plan(r), Records.write(rec));
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
  }

  /** Overwrites the {@code head} hint so watchers wake: its version is the fleet's generation. */
  private void writeHead(FleetView view, long now, long approved, long r, int e)
      throws StoreException {
    JsonNode old = view.head();
    ObjectNode head = Records.envelope("head", who, nonce(), now);
    head.put("latest", Math.max(view.latest(), old.path("latest").asLong(0)));
    head.put("approved", Math.max(approved, old.path("approved").asLong(0)));
    head.put("n", old.path("n").asInt(0));
    head.putObject("ctl").put(Long.toString(r), e + 1);
    store.overwrite(names.head(), Records.write(head));
  }

  private Action done(long r, int e, String phaseBefore) throws StoreException {
    try {
      return new Action(r, e, phaseBefore, status(Optional.of(r), false));
    } catch (Refused impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  private static String nonce() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong());
  }
}
