package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what finished rollouts leave behind (docs/rollout.md §11, "GC"), run by the agent that
 * created {@code rev/<r>/complete}: every record of the revisions below the planned revision before
 * {@code r}, blob chunks that no retained record points to, and the registry records of ghosts
 * skipped in {@code r}. Each rollout adds about one parameter per agent, and SSM's standard tier
 * holds 10,000 per account and region.
 *
 * <p>A paced state machine like the plan scan: {@link #step} makes at most {@value #CALLS_PER_STEP}
 * calls, reads at most 4 per second and deletes at most one batch every 2 s, and store trouble only
 * postpones it. Everything it decides is read back from the store, so a crash mid-way, or a second
 * collector, only repeats deletes of absent names; within a revision {@code meta} goes last, alone,
 * so a revision without {@code meta} has nothing left to find.
 */
final class RecordCollector {

  private static final Logger log = LoggerFactory.getLogger(RecordCollector.class);

  /** Most store calls one {@link #step} makes, so a tick is never held up for long. */
  static final int CALLS_PER_STEP = 4;

  /**
   * Chunks this young are never swept: a publisher writes the chunks before the record that points
   * to them, and a push in progress must not lose them.
   */
  static final long BLOB_MIN_AGE_MS = 10 * 60_000L;

  private static final long RETRY_MS = 5_000;
  private static final long MAX_RETRY_MS = 60_000;

  private enum Phase {
    CUTOFF,
    FIND,
    LIST,
    CLEAR,
    RETAINED,
    BLOBS,
    SWEEP,
    WAIT,
    SCAN,
    GHOSTS,
    DONE
  }

  private final RolloutStore store;
  private final Names names;
  private final Contents contents;
  private final String agent;
  private final long rev;
  private final JsonNode plan;
  private final long floor;
  private final long scanAt;
  private final Rate reads = new Rate(250, 4);
  private final Rate deletes = new Rate(2_000, 1);

  private Phase phase = Phase.CUTOFF;
  private long retryAt;
  private long backoff = RETRY_MS;
  private long probe;
  private long keepFrom;
  private long newest;
  private Optional<String> token = Optional.empty();
  private final TreeSet<Long> doomed = new TreeSet<>();
  private final List<String> pending = new ArrayList<>();
  private final Set<String> retainedBlobs = new HashSet<>();
  private final Map<String, List<String>> chunks = new HashMap<>();
  private final Map<String, Long> chunksWritten = new HashMap<>();
  private boolean metaQueued;
  private boolean recheckDue;
  private List<String> order;
  private final Set<String> present = new HashSet<>();
  private final Set<Integer> skipped = new TreeSet<>();
  private int revisions;
  private int records;
  private int blobs;
  private int ghosts;
  private long calls;

  /**
   * @param rev the revision whose {@code complete} this agent created
   * @param plan {@code rev}'s plan, for the owners of skipped turns
   * @param floor keep every revision from this one on too (0: no such bound): the collector's own
   *     applied revision, and the revision followers fall back to if {@code rev} halts
   * @param now when {@code complete} was created; ghosts are judged {@code 2 × startGrace} later,
   *     so a skipped owner that is alive has had time to take an overflow turn
   */
  RecordCollector(
      RolloutStore store,
      Names names,
      Contents contents,
      String agent,
      long rev,
      JsonNode plan,
      long floor,
      long now) {
    this.store = store;
    this.names = names;
    this.contents = contents;
    this.agent = agent;
    this.rev = rev;
    this.plan = plan;
    this.floor = floor;
    this.scanAt = now + 2 * plan.path("startGraceMs").asLong(60_000);
    this.probe = rev - 1;
  }

  /** Store calls made so far. */
  long calls() {
    return calls;
  }

  /** Makes the calls that are due; returns ms until the next one is, or −1 when finished. */
  long step(long now) {
    if (phase == Phase.DONE) {
      return -1;
    }
    if (now < retryAt) {
      return retryAt - now;
    }
    try {
      for (int n = 0; n < CALLS_PER_STEP; n++) {
        settle(now);
        Rate rate = deleting() ? deletes : reads;
        if (phase == Phase.DONE || phase == Phase.WAIT || !rate.ready(now)) {
          break;
        }
        rate.take(now);
        calls++;
        call(now);
      }
      backoff = RETRY_MS;
    } catch (StoreException e) {
      if (!e.retryable()) {
        log.warn(
            "event=rollout.gc-stopped agent={} rollout={} phase={} reason=\"{}\"",
            agent,
            rev,
            phase,
            e.getMessage());
        phase = Phase.DONE;
        return -1;
      }
      log.debug("event=rollout.gc-retry agent={} rollout={} in={}ms", agent, rev, backoff);
      retryAt = now + backoff;
      backoff = Math.min(MAX_RETRY_MS, backoff * 2);
      return retryAt - now;
    }
    settle(now);
    if (phase == Phase.DONE) {
      return -1;
    }
    long due = phase == Phase.WAIT ? scanAt : (deleting() ? deletes : reads).nextAt;
    return Math.max(0, due - now);
  }

  private boolean deleting() {
    return phase == Phase.CLEAR || phase == Phase.GHOSTS || (phase == Phase.SWEEP && !recheckDue);
  }

  /** Moves past phases with nothing (left) to do. */
  private void settle(long now) {
    if (phase == Phase.CLEAR && pending.isEmpty() && !metaQueued) {
      pending.add(names.meta(doomed.first())); // alone and last: the mark that anything is left
      metaQueued = true;
    }
    if (phase == Phase.CLEAR && pending.isEmpty()) {
      revisions++;
      metaQueued = false;
      doomed.pollFirst();
      phase = doomed.isEmpty() ? Phase.RETAINED : Phase.LIST;
      probe = keepFrom;
    }
    if (phase == Phase.SWEEP && pending.isEmpty()) {
      phase = Phase.WAIT;
    }
    if (phase == Phase.WAIT && now >= scanAt) {
      phase = Phase.SCAN;
    }
    if (phase == Phase.GHOSTS && pending.isEmpty()) {
      finish();
    }
  }

  private void call(long now) throws StoreException {
    switch (phase) {
      case CUTOFF -> findCutoff();
      case FIND -> findDoomed();
      case LIST -> listDoomed();
      case CLEAR -> deleteNext();
      case RETAINED -> readRetained();
      case BLOBS -> listBlobs(now);
      case SWEEP -> sweep();
      case SCAN -> scanRollout();
      case GHOSTS -> deleteNext();
      default -> throw new IllegalStateException("no call in phase " + phase);
    }
  }

  // ---------------------------------------------------------------- which revisions go

  /**
   * Reads down from {@code rev − 1} to the planned revision before it: approved with a plan, i.e. a
   * rollout that ran. Without one, everything is kept.
   */
  private void findCutoff() throws StoreException {
    List<String> wanted = new ArrayList<>();
    for (long q = probe; q > 0 && q > probe - 3; q--) {
      wanted.addAll(List.of(names.meta(q), names.approved(q), names.plan(q)));
    }
    if (wanted.isEmpty()) {
      keep(1);
      return;
    }
    Map<String, RolloutStore.Entry> got = store.get(wanted);
    for (long q = probe; q > 0 && q > probe - 3; q--) {
      if (!got.containsKey(names.meta(q))) {
        keep(q + 1); // the bottom: nothing planned before rev
        return;
      }
      if (got.containsKey(names.approved(q)) && got.containsKey(names.plan(q))) {
        keep(q);
        return;
      }
    }
    probe -= 3;
  }

  private void keep(long from) {
    keepFrom = floor > 0 ? Math.min(from, floor) : from;
    probe = keepFrom - 1;
    phase = Phase.FIND;
  }

  /** Revisions below {@code keepFrom} whose {@code meta} is still there, ten per read. */
  private void findDoomed() throws StoreException {
    List<String> wanted = new ArrayList<>();
    for (long q = probe; q > 0 && q > probe - RolloutStore.MAX_BATCH; q--) {
      wanted.add(names.meta(q));
    }
    boolean any = false;
    if (!wanted.isEmpty()) {
      Map<String, RolloutStore.Entry> got = store.get(wanted);
      for (long q = probe; q > 0 && q > probe - RolloutStore.MAX_BATCH; q--) {
        if (got.containsKey(names.meta(q))) {
          doomed.add(q);
          any = true;
        }
      }
    }
    probe -= RolloutStore.MAX_BATCH;
    if (!any || probe <= 0) {
      phase = doomed.isEmpty() ? Phase.RETAINED : Phase.LIST;
      probe = keepFrom;
    }
  }

  /** One page of the lowest doomed revision's names but {@code meta}, which goes last. */
  private void listDoomed() throws StoreException {
    long q = doomed.first();
    RolloutStore.Page page = store.list(names.rev(q), token);
    for (RolloutStore.Entry e : page.entries()) {
      if (!e.name().equals(names.meta(q))) {
        pending.add(e.name());
      }
    }
    token = page.next();
    if (token.isEmpty()) {
      phase = Phase.CLEAR;
    }
  }

  private void deleteNext() throws StoreException {
    List<String> batch = pending.subList(0, Math.min(RolloutStore.MAX_BATCH, pending.size()));
    store.delete(List.copyOf(batch));
    if (phase == Phase.CLEAR) {
      records += batch.size();
    } else if (phase == Phase.GHOSTS) {
      ghosts += batch.size();
    }
    batch.clear();
  }

  // ---------------------------------------------------------------- blobs

  /**
   * Blob pointers of every revision kept, from {@code keepFrom} up to the newest {@code meta}, and
   * of {@code source}: five revisions per read.
   */
  private void readRetained() throws StoreException {
    List<String> wanted = new ArrayList<>();
    if (probe == keepFrom) {
      wanted.add(names.source());
    }
    long q = probe;
    for (; wanted.size() + 2 <= RolloutStore.MAX_BATCH; q++) {
      wanted.add(names.meta(q));
      wanted.add(names.plan(q));
    }
    Map<String, RolloutStore.Entry> got = store.get(wanted);
    pointer(got.get(names.source()), "content");
    for (long k = probe; k < q; k++) {
      if (!got.containsKey(names.meta(k)) && k > rev) {
        newest = k - 1;
        phase = Phase.BLOBS;
        token = Optional.empty();
        return;
      }
      pointer(got.get(names.meta(k)), "content");
      pointer(got.get(names.plan(k)), "order");
    }
    probe = q;
  }

  private void pointer(RolloutStore.Entry e, String field) {
    if (e != null) {
      Blobs.Pointer.fromJson(Records.read(e.value()).path(field))
          .ifPresent(p -> retainedBlobs.add(p.sha256()));
    }
  }

  private void listBlobs(long now) throws StoreException {
    String prefix = names.blobPrefix() + "/blob/";
    RolloutStore.Page page = store.list(prefix, token);
    for (RolloutStore.Entry e : page.entries()) {
      String rest = e.name().substring(prefix.length());
      String sha = rest.substring(0, Math.max(0, rest.indexOf('/')));
      chunks.computeIfAbsent(sha, s -> new ArrayList<>()).add(e.name());
      chunksWritten.merge(sha, e.modifiedMs(), Math::max);
    }
    token = page.next();
    if (token.isPresent()) {
      return;
    }
    chunks.forEach(
        (sha, list) -> {
          if (!retainedBlobs.contains(sha) && chunksWritten.get(sha) < now - BLOB_MIN_AGE_MS) {
            pending.addAll(list);
            blobs++;
          }
        });
    recheckDue = true;
    phase = Phase.SWEEP;
  }

  /**
   * Alternates a read of {@code source} and the next revisions with a delete: an operator may push
   * an old document again while the sweep runs, and its new {@code meta} then points to chunks this
   * sweep meant to delete.
   */
  private void sweep() throws StoreException {
    if (!recheckDue) {
      deleteNext();
      recheckDue = true;
      return;
    }
    Map<String, RolloutStore.Entry> got =
        store.get(List.of(names.source(), names.meta(newest + 1), names.meta(newest + 2)));
    pointer(got.get(names.source()), "content");
    for (long q = newest + 1; q <= newest + 2 && got.containsKey(names.meta(q)); q++) {
      pointer(got.get(names.meta(q)), "content");
      newest = q;
    }
    String prefix = names.blobPrefix() + "/blob/";
    pending.removeIf(n -> retainedBlobs.contains(n.substring(prefix.length(), n.lastIndexOf('/'))));
    recheckDue = false;
  }

  // ---------------------------------------------------------------- ghosts

  /** One page of {@code rev}'s records: who has any, and which planned turns were skipped. */
  private void scanRollout() throws StoreException {
    if (order == null) {
      order = contents.loadOrder(plan.path("order"));
    }
    String prefix = names.rev(rev) + "/turn/";
    RolloutStore.Page page = store.list(names.rev(rev), token);
    for (RolloutStore.Entry e : page.entries()) {
      JsonNode rec = Records.read(e.value());
      if (e.name().startsWith(prefix) && rec.path("kind").asText().equals("skip")) {
        skipped.add(plannedIndex(e.name().substring(prefix.length())));
      } else if (!rec.path("agent").asText().isEmpty()) {
        present.add(rec.path("agent").asText()); // a skip names its skipper, not the owner
      }
    }
    token = page.next();
    if (token.isEmpty()) {
      ghostNames();
      phase = Phase.GHOSTS;
    }
  }

  /** Index in the plan's order of turn {@code <s>/<t>}: slot s, turn t of P slots. */
  private int plannedIndex(String slotAndTurn) {
    String[] st = slotAndTurn.split("/");
    int parallel = Math.max(1, plan.path("P").asInt(1));
    try {
      return Integer.parseInt(st[1]) * parallel + Integer.parseInt(st[0]);
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      return -1;
    }
  }

  private void ghostNames() {
    for (int i : skipped) {
      if (i >= 0 && i < order.size()) {
        String owner = order.get(i);
        if (!present.contains(owner) && !owner.equals(agent)) {
          pending.add(names.agent(owner));
        }
      }
    }
  }

  private void finish() {
    phase = Phase.DONE;
    log.info(
        "event=rollout.gc agent={} rollout={} kept-from={} revisions={} records={} blobs={}"
            + " ghosts={} calls={}",
        agent,
        rev,
        keepFrom,
        revisions,
        records,
        blobs,
        ghosts,
        calls);
  }

  /** Spaces calls of one kind: at most {@code burst} back to back, one per interval on average. */
  private static final class Rate {
    final long intervalMs;
    final int burst;
    long nextAt;

    Rate(long intervalMs, int burst) {
      this.intervalMs = intervalMs;
      this.burst = burst;
    }

    boolean ready(long now) {
      return now >= nextAt;
    }

    void take(long now) {
      nextAt = Math.max(nextAt, now - intervalMs * (burst - 1)) + intervalMs;
    }
  }
}
