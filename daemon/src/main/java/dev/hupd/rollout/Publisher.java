package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.PathValue;
import dev.hupd.metadata.StackResource;
import dev.hupd.source.SourceException;
import dev.hupd.source.StackDocument;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Turns a stack-shaped document into the fleet's next revision (docs/rollout.md §6, rows 1, 1b,
 * 1c): used by {@code hupd push} and by agents registering what they read from CloudFormation.
 * Create-if-absent on {@code rev/<r>/meta} decides races; the same content is never registered
 * twice, and content older than the newest revision (by its source stamp) is never registered.
 */
public final class Publisher {

  /** What {@link #publish} did. */
  public record Result(long revision, boolean created, String sha, boolean gated, String note) {}

  private final RolloutStore store;
  private final Names names;
  private final Contents contents;
  private final LongSupplier clock;
  private final String who;
  private java.util.function.LongConsumer pause = Publisher::sleep;

  public Publisher(
      RolloutStore store, Names names, Contents contents, LongSupplier clock, String who) {
    this.store = store;
    this.names = names;
    this.contents = contents;
    this.clock = clock;
    this.who = who;
  }

  /**
   * Reads the rollout policy at {@code rolloutPath} in a stack document: empty when the path is
   * unset or holds nothing.
   *
   * @throws Policy.PolicyException when the policy is there but unusable, or the path is malformed
   */
  public static Optional<Policy> policyIn(JsonNode document, Optional<String> rolloutPath)
      throws Policy.PolicyException {
    if (rolloutPath.isEmpty()) {
      return Optional.empty();
    }
    String[] error = new String[1];
    Optional<MetadataPath> path = MetadataPath.parse(rolloutPath.get(), error);
    if (path.isEmpty()) {
      throw new Policy.PolicyException("rollout-path: " + error[0]);
    }
    StackResource resource;
    try {
      resource = StackDocument.describe(document, path.get().logicalId(), "the document");
    } catch (SourceException e) {
      if (e.kind() == SourceException.Kind.NOT_FOUND) {
        return Optional.empty();
      }
      throw new Policy.PolicyException(e.getMessage());
    }
    JsonNode value;
    try {
      value = PathValue.read(path.get(), resource);
    } catch (PathValue.UnreadableException e) {
      throw new Policy.PolicyException(rolloutPath.get() + ": " + e.getMessage());
    }
    if (value == null || value instanceof NullNode || value.isMissingNode()) {
      return Optional.empty();
    }
    return Optional.of(Policy.parse(value, rolloutPath.get()));
  }

  /**
   * A document's identity: the sha256 of its canonical form, so formatting never makes two equal
   * documents differ.
   */
  public static String identity(String document) {
    return Json.sha256(Json.canonical(Json.parse(document)));
  }

  /** The form documents are stored and served in: compact JSON, numbers as written. */
  public static String compact(String document) {
    try {
      return Json.MAPPER.writeValueAsString(Json.parse(document));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * The newest revision number, probing forward from {@code head}'s hint; also reads the approval
   * and control records of the few newest revisions, so {@link FleetView#target()} is known.
   */
  public long latest(FleetView view) throws StoreException {
    Map<String, RolloutStore.Entry> got = store.get(List.of(names.head()));
    got.values().forEach(view::merge);
    long r = Math.max(view.latest(), view.head().path("latest").asLong(0));
    while (true) {
      Map<String, RolloutStore.Entry> next =
          store.get(List.of(names.meta(r), names.meta(r + 1), names.meta(r + 2)));
      next.values().forEach(view::merge);
      if (next.containsKey(names.meta(r + 2))) {
        r += 2;
      } else if (next.containsKey(names.meta(r + 1))) {
        r += 1;
      } else {
        break;
      }
    }
    long latest = view.latest();
    List<String> around = new java.util.ArrayList<>();
    for (long k = latest; k > 0 && k > latest - 3; k--) {
      around.add(names.meta(k));
      around.add(names.approved(k));
      around.add(names.ctl(k, 0));
    }
    long hint = view.head().path("approved").asLong(0);
    if (hint > 0 && hint <= latest - 3) {
      around.add(names.meta(hint));
      around.add(names.approved(hint));
    }
    for (int i = 0; i < around.size(); i += RolloutStore.MAX_BATCH) {
      store
          .get(around.subList(i, Math.min(around.size(), i + RolloutStore.MAX_BATCH)))
          .values()
          .forEach(view::merge);
    }
    // a revision's ctl chain decides whether it is halted: read it whole (abort, then resume)
    for (long k = latest; k > 0 && k > latest - 3; k--) {
      for (int e = 1; view.has(names.ctl(k, e - 1)) && e < 1_000; e++) {
        final int ee = e;
        final long kk = k;
        store.get(List.of(names.ctl(kk, ee))).values().forEach(view::merge);
      }
    }
    return latest;
  }

  /** Replaces the real-time pause between scan pages (a simulation passes virtual time). */
  public Publisher pacing(java.util.function.LongConsumer pauseMs) {
    this.pause = pauseMs;
    return this;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * How many agents registered, for the fleet size hint agents pace their reads by; paced at about
   * 4 calls per second, as every scan.
   */
  int countAgents() throws StoreException {
    int n = 0;
    Optional<String> token = Optional.empty();
    for (int page = 0; page < 1_000; page++) {
      RolloutStore.Page p = store.list(names.agents(), token);
      n += p.entries().size();
      token = p.next();
      if (token.isEmpty()) {
        break;
      }
      pause.accept(250);
    }
    return n;
  }

  /**
   * A publisher interrupted between {@code meta} and the bootstrap approval of a revision that
   * needs one (the fleet's first, or an ungated one) left it unapproved: whoever publishes the same
   * content again completes it.
   */
  private void finishDirect(FleetView view, long r, JsonNode meta) throws StoreException {
    if (view.approved(r)) {
      return;
    }
    boolean ungated = !meta.path("gate").asBoolean(false);
    boolean first = view.target() == 0 && view.head().path("approved").asLong(0) == 0;
    for (long q = r - 1; q > 0 && q >= r - 3 && first; q--) {
      first = !view.approved(q);
    }
    if (!ungated && !(first && r == 1)) {
      return;
    }
    long now = clock.getAsLong();
    ObjectNode approved = Records.envelope("approved", who, "bootstrap", now);
    approved.put("by", "bootstrap");
    approved.put("sha", meta.path("sha").asText());
    approved.put(
        "why", ungated ? "no rollout policy: applied on sight" : "the fleet's first revision");
    try {
      store.create(names.approved(r), Records.write(approved));
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
        throw e;
      }
    }
  }

  /**
   * Publishes {@code document} unless the newest revision already has this content.
   *
   * @param document stack-shaped JSON text
   * @param policy the policy the document carries (already validated), if any
   * @param stamp the source's ordering stamp (CloudFormation's newest LastUpdatedTimestamp in ms,
   *     or 0 for a push, which always wins)
   * @param message a note for {@code hupd rollout status}
   */
  public Result publish(String document, Optional<Policy> policy, long stamp, String message)
      throws StoreException {
    document = compact(document);
    String sha = identity(document);
    FleetView view = new FleetView(names);
    long latest = latest(view);
    JsonNode ref = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      Optional<JsonNode> last = latest > 0 ? view.meta(latest) : Optional.empty();
      if (last.isPresent() && last.get().path("sha").asText().equals(sha)) {
        finishDirect(view, latest, last.get());
        return new Result(latest, false, sha, last.get().path("gate").asBoolean(), "unchanged");
      }
      if (stamp > 0 && last.isPresent() && last.get().path("stamp").asLong(0) >= stamp) {
        return new Result(
            latest, false, sha, false, "not newer than revision " + latest + " (source stamp)");
      }
      long r = latest + 1;
      // the policy governing r: its own; else, once, the one that governed the revision before it
      Optional<Policy> governing = policy;
      boolean own = policy.isPresent();
      if (governing.isEmpty() && last.isPresent() && last.get().path("ownPolicy").asBoolean()) {
        governing = view.policy(latest);
      }
      long base = view.target();
      if (ref == null) {
        ref = contents.store(document);
      }
      long now = clock.getAsLong();
      ObjectNode meta = Records.envelope("meta", who, Long.toHexString(now ^ sha.hashCode()), now);
      meta.put("rev", r);
      meta.put("sha", sha);
      meta.set("content", ref);
      meta.put("gate", governing.isPresent());
      meta.set("policy", governing.isPresent() ? governing.get().toJson() : NullNode.getInstance());
      meta.put("ownPolicy", own);
      meta.put("base", base);
      meta.put("stamp", stamp);
      meta.put("message", message.length() > 500 ? message.substring(0, 500) : message);
      try {
        store.create(names.meta(r), Records.write(meta));
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
          throw e;
        }
        latest = latest(view); // someone registered r first: compare with theirs
        continue;
      }
      view.merge(new RolloutStore.Entry(names.meta(r), Records.write(meta), 1, clock.getAsLong()));
      boolean firstEver = view.target() == 0 && view.head().path("approved").asLong(0) == 0;
      boolean direct = governing.isEmpty() || firstEver;
      if (direct) {
        ObjectNode approved = Records.envelope("approved", who, "bootstrap", now);
        approved.put("by", "bootstrap");
        approved.put("sha", sha);
        approved.put(
            "why",
            firstEver ? "the fleet's first revision" : "no rollout policy: applied on sight");
        try {
          store.create(names.approved(r), Records.write(approved));
        } catch (StoreException e) {
          if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
            throw e;
          }
        }
      }
      ObjectNode head = Records.envelope("head", who, "h" + r, now);
      head.put("latest", r);
      head.put("approved", direct ? r : view.head().path("approved").asLong(base));
      int n = view.head().path("n").asInt(0);
      head.put("n", n > 0 ? n : countAgents());
      store.overwrite(names.head(), Records.write(head));
      return new Result(r, true, sha, governing.isPresent(), direct ? "applied on sight" : "gated");
    }
    throw new StoreException(
        StoreException.Kind.TRANSIENT, "20 revisions were registered while publishing; try again");
  }
}
