package dev.hupd.rollout.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.rollout.FaultyStore;
import dev.hupd.rollout.Local;
import dev.hupd.rollout.Names;
import dev.hupd.rollout.Policy;
import dev.hupd.rollout.Publisher;
import dev.hupd.rollout.Records;
import dev.hupd.rollout.RolloutAgent;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreContents;
import dev.hupd.rollout.StoreException;
import dev.hupd.testing.FakeSsmModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A discrete-event simulation of one fleet rolling out one change, in virtual time: real {@link
 * RolloutAgent}s over a {@link FakeSsmModel} whose clock is the virtual clock, each agent with its
 * own skewed clock, simulated hosts ({@link SimLocal}), in-memory journals and content caches, and
 * the faults of a {@link Faults} set (process kills and restarts, throttling bursts, stale reads,
 * lost responses, clock skew).
 *
 * <p>A run publishes revision 1 (the bootstrap every agent applies), lets the fleet settle and
 * measures its quiet read rate, publishes revision 2 under the scenario's policy, and runs until
 * every live agent runs revision 2 (or, for a bad change, until the time limit). Every run is
 * bounded by virtual time and by an event count, and is reproducible from its seed.
 */
public final class FleetSimulation {

  /** Virtual epoch: 2023-11-14T22:13:20Z. */
  static final long EPOCH = 1_700_000_000_000L;

  static final long REV_BOOT = 1;
  static final long REV_CHANGE = 2;

  /** The faults of one run; all off in {@link #NONE}. */
  public record Faults(
      int kills,
      double permanentShare,
      boolean killCanaryMidBake,
      int throttleBursts,
      long staleMs,
      double staleProbability,
      double loseProbability,
      long maxSkewMs) {
    public static final Faults NONE = new Faults(0, 0, false, 0, 0, 0, 0, 0);
  }

  /**
   * One run.
   *
   * @param agents fleet size N; agents 0 and 1 hold the canary role (the canary and a standby)
   * @param seed every random choice follows from it
   * @param policy the rollout policy JSON of the change (revision 2)
   * @param applyMs nominal switch time; each switch takes it ±{@code applySpread}
   * @param bad how the change fails, or {@link SimLocal.BadChange#NONE}
   * @param quietMs how long the settled fleet is watched before the push, for its read rate
   * @param limitMs how long after the push the run may go on
   * @param maxEvents a bound on events, so a livelock still ends
   * @param extraRollouts good changes rolled out after the measured one (revisions 3, 4, …), each
   *     followed by time for the collector, before the store's parameters are counted
   */
  public record Scenario(
      int agents,
      long seed,
      String policy,
      long applyMs,
      double applySpread,
      SimLocal.BadChange bad,
      Faults faults,
      double getTps,
      double putTps,
      long quietMs,
      long limitMs,
      long maxEvents,
      int extraRollouts) {}

  /** What one run measured. */
  public static final class Result {
    public Scenario scenario;
    public boolean bootstrapped;
    public long events;
    public boolean eventLimitHit;
    public long pushAt;

    /** Virtual ms from the push until every live agent ran revision 2; −1 if it never did. */
    public long completionMs = -1;

    public long canaryApplyMs;

    /** The busiest slot's switch time: the sum of its turns' actual apply times. */
    public long slowestSlotWorkMs;

    public int plannedP;
    public int planFollowers;
    public boolean planCapped;
    public long tauMs;
    public double steadyReadTps;
    public double steadyReadTpsAfter = Double.NaN;
    public long rolloutThrottled;
    public long totalThrottled;
    public long invalidCalls;
    public int maxInFlight;
    public int doubleApplies;
    public final List<String> doubleApplyDetails = new ArrayList<>();

    /** Agents that began a switch to revision 2 outside a canary seat. */
    public final Set<String> followersMoved = new LinkedHashSet<>();

    public final Set<String> seatHolders = new LinkedHashSet<>();
    public final Set<String> leaders = new LinkedHashSet<>();
    public final Map<String, ModelStore.Tally> rolloutTally = new TreeMap<>();
    public boolean modelCountsAgree = true;

    public int liveAgents;

    /** One line per agent at the end of the run, for diagnosis. */
    public final List<String> agentStates = new ArrayList<>();

    public final List<String> notConverged = new ArrayList<>();
    public boolean halted;
    public String haltReason = "";
    public boolean canaryRolledBack = true;
    public final List<String> notRolledBack = new ArrayList<>();

    /** Failed seat verdicts, failed turn closes and fail records in a good change. */
    public int failedVerdicts;

    public final List<String> failedDetails = new ArrayList<>();
    public int permanentKills;
    public int temporaryKills;
    public boolean canaryKilledMidBake;

    /** Parameters in the store at the end (after the extra rollouts and their collection). */
    public int parameters = -1;

    /** Of those: records per revision still there, registry records, blob chunks. */
    public final Map<Long, Integer> revisionRecords = new TreeMap<>();

    public int registryRecords;
    public int blobChunks;
  }

  private final Scenario sc;
  private final Random random;
  private final FakeSsmModel model;
  private final Names names = new Names("sim");
  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private final List<Host> hosts = new ArrayList<>();
  private final Map<String, String> creators = new HashMap<>();
  private final Map<String, Set<String>> actors = new HashMap<>();
  private final Result result = new Result();
  private long now = EPOCH;
  private long seq;
  private int inFlight;
  private int applied1;
  private boolean pushed;

  /** One machine: the host outlives its agent process; a kill drops the agent object. */
  private final class Host {
    final int index;
    final String id;
    final Set<String> roles;
    final long skewMs;
    final Map<String, JsonNode> journal = new HashMap<>();
    final Map<String, String> cache = new HashMap<>();
    final ModelStore modelStore;
    final FaultyStore faulty;
    final SimLocal local;
    RolloutAgent agent;
    int incarnation;
    boolean alive;
    boolean gone;
    boolean flying;
    boolean hasRev1;

    Host(int index) {
      this.index = index;
      this.id = String.format("i-%05d", index);
      this.roles = index < 2 ? Set.of("canary") : Set.of();
      long skew = sc.faults().maxSkewMs();
      this.skewMs = skew == 0 ? 0 : (long) ((random.nextDouble() * 2 - 1) * skew);
      this.modelStore = new ModelStore(model, id, creators::put);
      this.faulty = new FaultyStore(modelStore, random.nextLong(), () -> now);
      this.local =
          new SimLocal(
              index,
              () -> now,
              new Random(random.nextLong()),
              sc.applyMs(),
              sc.applySpread(),
              REV_CHANGE,
              sc.bad(),
              FleetSimulation.this::began);
    }

    void start() {
      incarnation++;
      alive = true;
      RolloutStore store = sc.faults().loseProbability() > 0 ? faulty : modelStore;
      RolloutAgent.Journal j =
          new RolloutAgent.Journal() {
            @Override
            public Optional<JsonNode> load() {
              return Optional.ofNullable(journal.get("state"));
            }

            @Override
            public void save(JsonNode state) {
              journal.put("state", state.deepCopy());
            }
          };
      RolloutAgent.ContentCache c =
          new RolloutAgent.ContentCache() {
            @Override
            public void put(String sha, String content) {
              cache.put(sha, content);
            }

            @Override
            public Optional<String> get(String sha) {
              return Optional.ofNullable(cache.get(sha));
            }
          };
      try {
        agent =
            new RolloutAgent(
                id,
                roles,
                store,
                names,
                new StoreContents(store, names),
                local,
                j,
                c,
                () -> now + skewMs,
                new Random(random.nextLong()),
                RolloutAgent.Pacing.ssm());
      } catch (StoreException e) {
        throw new IllegalStateException(e);
      }
    }

    void kill(boolean permanent) {
      alive = false;
      gone = permanent;
      agent = null;
      local.processDied();
      track(this);
    }

    JsonNode hold() {
      JsonNode state = journal.get("state");
      return state == null ? null : state.get("hold");
    }
  }

  private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
    }
  }

  public FleetSimulation(Scenario scenario) {
    this.sc = scenario;
    this.random = new Random(scenario.seed());
    this.model =
        new FakeSsmModel(() -> now, "us-east-1")
            .getTps(scenario.getTps())
            .putTps(scenario.putTps())
            .seed(scenario.seed());
    result.scenario = scenario;
  }

  // ---------------------------------------------------------------- the run

  public Result run() {
    for (int i = 0; i < sc.agents(); i++) {
      hosts.add(new Host(i));
    }
    publish(REV_BOOT, bootDocument(), Optional.empty());
    long spread = Math.max(10_000, sc.agents() * 400L);
    for (Host h : hosts) {
      at(now + (long) (random.nextDouble() * spread), () -> bootHost(h));
    }
    long bootLimit = now + spread + 60 * 60_000L;
    loop(() -> applied1 == sc.agents(), bootLimit);
    result.bootstrapped = applied1 == sc.agents();
    if (!result.bootstrapped) {
      return result;
    }

    long quietFrom = now + Math.min(sc.quietMs() / 4, 5 * 60_000L);
    loop(() -> false, quietFrom);
    long readsBefore = reads();
    loop(() -> false, quietFrom + sc.quietMs());
    result.steadyReadTps = (reads() - readsBefore) * 1000.0 / sc.quietMs();

    push();
    long limit = result.pushAt + sc.limitMs();
    if (sc.bad() == SimLocal.BadChange.NONE) {
      loop(this::converged, limit);
      if (converged()) {
        result.completionMs = now - result.pushAt;
        loop(() -> creators.containsKey(names.complete(REV_CHANGE)), now + 10 * 60_000L);
      }
    } else {
      loop(() -> false, limit);
    }
    snapshotTallies();
    if (sc.bad() == SimLocal.BadChange.NONE && result.completionMs >= 0 && sc.quietMs() > 0) {
      long r0 = reads();
      long from = now;
      loop(() -> false, now + sc.quietMs());
      result.steadyReadTpsAfter = (reads() - r0) * 1000.0 / (now - from);
    }
    audit();
    if (result.completionMs >= 0 && sc.extraRollouts() > 0) {
      int measured = result.maxInFlight; // later plans have a P of their own
      for (long r = REV_CHANGE + 1; r <= REV_CHANGE + sc.extraRollouts(); r++) {
        rollOutAgain(r);
      }
      result.maxInFlight = measured;
    }
    countParameters();
    return result;
  }

  /** One more good change, until every live agent runs it and it is complete, then GC time. */
  private void rollOutAgain(long r) {
    publish(r, document(Long.toString(r), Optional.of(sc.policy())), Optional.of(policy()));
    long limit = now + sc.limitMs();
    loop(() -> allOn(r) && creators.containsKey(names.complete(r)), limit);
    loop(() -> false, now + GC_MS);
  }

  /** Time given to the collector after a completion: the ghost scan waits 2 × startGrace. */
  static final long GC_MS = 30 * 60_000L;

  private boolean allOn(long r) {
    return hosts.stream().allMatch(h -> h.gone || (h.alive && h.agent.applied() == r));
  }

  private void countParameters() {
    result.parameters = model.size();
    String rev = names.root() + "/rev/";
    for (String name : listAll(names.root())) {
      if (name.startsWith(rev)) {
        long r = Long.parseLong(name.substring(rev.length(), name.indexOf('/', rev.length())));
        result.revisionRecords.merge(r, 1, Integer::sum);
      } else if (name.startsWith(names.agents() + "/")) {
        result.registryRecords++;
      } else if (name.startsWith(names.root() + "/blob/")) {
        result.blobChunks++;
      }
    }
  }

  private List<String> listAll(String path) {
    ModelStore auditor = new ModelStore(model.getTps(Double.POSITIVE_INFINITY), "audit");
    List<String> out = new ArrayList<>();
    try {
      Optional<String> token = Optional.empty();
      do {
        RolloutStore.Page page = auditor.list(path, token);
        page.entries().forEach(e -> out.add(e.name()));
        token = page.next();
      } while (token.isPresent());
    } catch (StoreException e) {
      throw new IllegalStateException("count failed: " + e.getMessage(), e);
    }
    return out;
  }

  private void bootHost(Host h) {
    h.start();
    tick(h, h.incarnation);
  }

  /** Runs events until {@code done} holds, the clock would pass {@code until}, or the cap. */
  private void loop(java.util.function.BooleanSupplier done, long until) {
    while (!done.getAsBoolean()) {
      Event e = queue.peek();
      if (e == null || e.at() > until) {
        now = Math.max(now, until);
        return;
      }
      if (result.events >= sc.maxEvents()) {
        result.eventLimitHit = true;
        now = until;
        return;
      }
      queue.poll();
      result.events++;
      now = Math.max(now, e.at());
      e.action().run();
    }
  }

  private void at(long when, Runnable action) {
    queue.add(new Event(when, seq++, action));
  }

  private void tick(Host h, int incarnation) {
    if (!h.alive || h.incarnation != incarnation) {
      return;
    }
    String before = h.agent.lastEvent();
    long d = h.agent.tick();
    if (h.id.equals(WATCH)) {
      System.out.printf(
          "    %8.1f %s tick -> %d ms [%s] %s%n",
          (now - EPOCH) / 1000.0, h.id, d, h.agent.holding(), h.agent.lastEvent());
    }
    if (TRACE && !h.agent.lastEvent().equals(before)) {
      trace(h.id + " " + h.agent.lastEvent() + " [" + h.agent.holding() + "]");
    }
    track(h);
    long next = now + Math.max(d, 5);
    if (h.local.busy()) {
      next = Math.max(next, h.local.doneAt());
    }
    at(next, () -> tick(h, incarnation));
  }

  /** Keeps the in-flight count and the bootstrap count current after a host's state changed. */
  private void track(Host h) {
    boolean f = h.alive && h.agent.inTurn() && !"closing".equals(step(h));
    if (f != h.flying) {
      inFlight += f ? 1 : -1;
      h.flying = f;
      result.maxInFlight = Math.max(result.maxInFlight, inFlight);
    }
    if (!h.hasRev1 && h.alive && h.agent.applied() >= REV_BOOT) {
      h.hasRev1 = true;
      applied1++;
    }
  }

  /** Set {@code -Dhupd.sim.trace=true} to print every agent event of a run, for one seed. */
  private static final boolean TRACE = Boolean.getBoolean("hupd.sim.trace");

  /** Set {@code -Dhupd.sim.watch=<agent id>} to print every tick of one agent. */
  private static final String WATCH = System.getProperty("hupd.sim.watch", "");

  private void trace(String what) {
    System.out.printf(
        java.util.Locale.ROOT, "%9.1f %s in-flight=%d%n", (now - EPOCH) / 1000.0, what, inFlight);
  }

  /**
   * The step of the seat or turn a host's agent holds. A turn at "closing" has switched and only
   * its close is unacknowledged (a lost response or a throttle): the record may already read
   * closed, so it is no longer in flight.
   */
  private static String step(Host h) {
    JsonNode hold = h.hold();
    return hold == null ? "" : hold.path("step").asText();
  }

  private boolean converged() {
    for (Host h : hosts) {
      if (!h.gone && (!h.alive || h.agent.applied() != REV_CHANGE)) {
        return false;
      }
    }
    return true;
  }

  private long reads() {
    return model.counts(FakeSsmModel.Operation.GET_PARAMETER).calls()
        + model.counts(FakeSsmModel.Operation.GET_PARAMETERS).calls()
        + model.counts(FakeSsmModel.Operation.GET_PARAMETERS_BY_PATH).calls();
  }

  private long throttled() {
    long t = 0;
    for (FakeSsmModel.Operation op : FakeSsmModel.Operation.values()) {
      t += model.counts(op).throttled();
    }
    return t;
  }

  // ---------------------------------------------------------------- publishing

  private void push() {
    result.pushAt = now;
    pushed = true;
    before.clear();
    hosts.forEach(h -> before.put(h.id, h.modelStore.tally().copy()));
    throttledBefore = throttled();
    publish(REV_CHANGE, changeDocument(), Optional.of(policy()));
    armFaults();
  }

  private Policy policy() {
    try {
      return Policy.parse(Json.parse(sc.policy()), "scenario.policy");
    } catch (Policy.PolicyException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private final Map<String, ModelStore.Tally> before = new HashMap<>();
  private long throttledBefore;

  /** Publishes as an operator would with {@code hupd push}, retrying store trouble. */
  private void publish(long expected, String document, Optional<Policy> policy) {
    ModelStore store = new ModelStore(model, "operator", creators::put);
    try {
      Publisher p =
          new Publisher(store, names, new StoreContents(store, names), () -> now, "operator")
              .pacing(ms -> loop(() -> false, now + ms));
      Publisher.Result r = p.publish(document, policy, 0, "revision " + expected);
      if (r.revision() != expected) {
        throw new IllegalStateException("published " + r.revision() + ", expected " + expected);
      }
    } catch (StoreException e) {
      if (!e.retryable()) {
        throw new IllegalStateException("publish failed: " + e.getMessage(), e);
      }
      long retry = now + 1_000;
      loop(() -> false, retry);
      publish(expected, document, policy);
    }
  }

  private String bootDocument() {
    return document("1", Optional.empty());
  }

  private String changeDocument() {
    return document("2", Optional.of(sc.policy()));
  }

  private static String document(String version, Optional<String> policy) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    ObjectNode meta =
        doc.putObject("Resources").putObject("AgentLaunchTemplate").putObject("Metadata");
    meta.putObject("hupd").put("toolchain", "jdk-" + version);
    policy.ifPresent(p -> meta.set("Rollout", Json.parse(p)));
    return doc.toString();
  }

  // ---------------------------------------------------------------- faults

  private void armFaults() {
    Faults f = sc.faults();
    long window = Math.max(5 * 60_000L, sc.limitMs() / 3);
    for (int i = 0; i < f.kills(); i++) {
      Host victim = hosts.get(random.nextInt(hosts.size()));
      long when = now + (long) (random.nextDouble() * window);
      boolean permanent = random.nextDouble() < f.permanentShare();
      at(when, () -> kill(victim, permanent));
    }
    if (f.killCanaryMidBake()) {
      boolean permanent = random.nextDouble() < f.permanentShare();
      long when = now + (long) (sc.applyMs() * (1 + random.nextDouble()));
      at(when, () -> killBakingCanary(permanent, 40));
    }
    for (int i = 0; i < f.throttleBursts(); i++) {
      int count = 5 + random.nextInt(60);
      at(now + (long) (random.nextDouble() * window), () -> model.throttleNext(count));
    }
    if (f.staleMs() > 0) {
      model.staleReads(f.staleMs(), f.staleProbability());
    }
    if (f.loseProbability() > 0) {
      hosts.forEach(h -> h.faulty.loseResponsesWithProbability(f.loseProbability()));
    }
  }

  private void kill(Host h, boolean permanent) {
    if (!h.alive) {
      return;
    }
    if (TRACE) {
      trace(h.id + " killed" + (permanent ? " for good" : "") + " [" + h.agent.holding() + "]");
    }
    h.kill(permanent);
    if (permanent) {
      result.permanentKills++;
    } else {
      result.temporaryKills++;
      long down = 5_000 + (long) (random.nextDouble() * 180_000);
      at(now + down, () -> restart(h));
    }
  }

  private void restart(Host h) {
    h.start();
    if (TRACE) {
      trace(h.id + " restarted");
    }
    tick(h, h.incarnation);
  }

  /** Kills the agent holding a baking seat; looks again every 5 s while none does. */
  private void killBakingCanary(boolean permanent, int triesLeft) {
    for (Host h : hosts) {
      if (h.alive && h.agent.inSeat() && h.agent.holding().contains("(baking)")) {
        result.canaryKilledMidBake = true;
        kill(h, permanent);
        return;
      }
    }
    if (triesLeft > 0) {
      at(now + 5_000, () -> killBakingCanary(permanent, triesLeft - 1));
    }
  }

  // ---------------------------------------------------------------- observing

  /** Every switch a host starts: who acts in which seat or turn, and whether it may. */
  private void began(SimLocal host, Local.Switch s) {
    if (s.revision() != REV_CHANGE || s.rollback()) {
      return;
    }
    Host h = hosts.get(host.index());
    JsonNode hold = h.hold();
    String kind = hold == null ? "direct" : hold.path("kind").asText();
    if (!kind.equals("seat")) {
      result.followersMoved.add(h.id);
    }
    if (hold == null) {
      return;
    }
    String name = hold.path("name").asText();
    Set<String> who = actors.computeIfAbsent(name, n -> new LinkedHashSet<>());
    who.add(h.id);
    String creator = creators.get(name);
    if (who.size() > 1 || !h.id.equals(creator)) {
      result.doubleApplies++;
      result.doubleApplyDetails.add(name + " acted on by " + who + ", created by " + creator);
    }
  }

  private void snapshotTallies() {
    result.rolloutThrottled = throttled() - throttledBefore;
    result.totalThrottled = throttled();
    for (Host h : hosts) {
      ModelStore.Tally t = h.modelStore.tally();
      result.rolloutTally.put(h.id, t.since(before.getOrDefault(h.id, new ModelStore.Tally())));
      result.invalidCalls += t.invalid;
      long modelCalls = model.countsBy(h.id).calls();
      if (modelCalls != t.calls()) {
        result.modelCountsAgree = false;
      }
    }
  }

  /** Reads revision 2's records after the run (quota off) and judges the outcome. */
  private void audit() {
    model.reset().getTps(Double.POSITIVE_INFINITY);
    ModelStore auditor = new ModelStore(model, "audit");
    Map<String, RolloutStore.Entry> records = new TreeMap<>();
    try {
      Optional<String> token = Optional.empty();
      do {
        RolloutStore.Page page = auditor.list(names.rev(REV_CHANGE), token);
        page.entries().forEach(e -> records.put(e.name(), e));
        token = page.next();
      } while (token.isPresent());
    } catch (StoreException e) {
      throw new IllegalStateException("audit read failed: " + e.getMessage(), e);
    }
    String prefix = names.rev(REV_CHANGE);
    Map<String, Long> slotWork = new HashMap<>();
    for (RolloutStore.Entry e : records.values()) {
      JsonNode rec = Records.read(e.value());
      String rel = e.name().substring(prefix.length() + 1);
      if (rel.startsWith("seat/")) {
        result.seatHolders.add(rec.path("agent").asText());
        if (rec.path("verdict").asText().equals("failed")) {
          result.failedDetails.add(rel + " failed: " + rec.path("reason").asText());
        }
        if (rel.startsWith("seat/0/") && rec.path("applyMs").asLong() > 0) {
          result.canaryApplyMs = rec.path("applyMs").asLong();
        }
      } else if (rel.equals("plan")) {
        result.leaders.add(rec.path("agent").asText());
        result.plannedP = rec.path("P").asInt();
        result.planFollowers = rec.path("n").asInt() - rec.path("c").asInt();
        result.planCapped = rec.path("capped").asBoolean();
        result.tauMs = rec.path("tauMs").asLong();
      } else if (rel.equals("approved") || rel.equals("complete")) {
        result.leaders.add(rec.path("agent").asText());
      } else if (rel.startsWith("turn/") && rec.has("close")) {
        String slot = rel.split("/")[1];
        slotWork.merge(slot, rec.path("tookMs").asLong(), Long::sum);
        if (rec.path("close").asText().equals("failed")) {
          result.failedDetails.add(rel + " failed: " + rec.path("reason").asText());
        }
      } else if (rel.startsWith("turn/") && rec.path("close").asText().equals("failed")) {
        result.failedDetails.add(rel + " failed: " + rec.path("reason").asText());
      } else if (rel.startsWith("fail/")) {
        result.failedDetails.add(rel + ": " + rec.path("reason").asText());
      }
    }
    result.slowestSlotWorkMs =
        slotWork.values().stream().mapToLong(Long::longValue).max().orElse(0);
    result.failedVerdicts = result.failedDetails.size();
    for (String f : result.failedDetails) {
      if (f.startsWith("seat/")) {
        result.halted = true;
        result.haltReason = f;
      }
    }
    judgeAgents();
  }

  private void judgeAgents() {
    for (Host h : hosts) {
      if (h.gone) {
        continue;
      }
      result.liveAgents++;
      if (!h.alive) {
        h.start(); // down at the limit: judge its journal as a restart would
      }
      RolloutAgent a = h.agent;
      result.agentStates.add(
          h.id
              + " applied="
              + a.applied()
              + " holding="
              + a.holding()
              + " last=\""
              + a.lastEvent()
              + "\" phase2="
              + a.view().status(REV_CHANGE).phase().label()
              + " latest="
              + a.view().latest()
              + " "
              + a.counters().reads
              + "r/"
              + a.counters().writes
              + "w");
      if (sc.bad() == SimLocal.BadChange.NONE) {
        if (a.applied() != REV_CHANGE) {
          result.notConverged.add(
              h.id
                  + " applied="
                  + a.applied()
                  + " holding="
                  + a.holding()
                  + " last=\""
                  + a.lastEvent()
                  + "\" phase="
                  + a.view().status(REV_CHANGE).phase().label());
        }
      } else if (actors.values().stream().anyMatch(s -> s.contains(h.id))) {
        boolean back = a.applied() == REV_BOOT && h.local.onRevision() == REV_BOOT;
        if (!back) {
          result.canaryRolledBack = false;
          result.notRolledBack.add(
              h.id
                  + " applied="
                  + a.applied()
                  + " host="
                  + h.local.onRevision()
                  + " "
                  + a.holding());
        }
      }
    }
  }
}
