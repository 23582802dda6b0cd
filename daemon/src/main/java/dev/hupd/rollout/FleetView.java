package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one reader knows of a fleet's records: the highest version seen of every name it read, so
 * its view never goes backwards (a stale read can only be ignored, never undo). Phases are derived
 * from it as a pure function (docs/rollout.md §6). Used by agents and by {@code hupd rollout}.
 */
public final class FleetView {

  /** A revision's phase, in the order they are evaluated. */
  public enum Phase {
    PENDING,
    CANARY,
    APPROVED,
    WAVES,
    COMPLETE,
    HALTED,
    SUPERSEDED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A phase and, when halted, why. */
  public record Status(Phase phase, String reason) {}

  /** A seat attempt as last read. */
  public record Seat(int seat, int attempt, RolloutStore.Entry entry, JsonNode record) {
    public String agent() {
      return record.path("agent").asText();
    }

    public String verdict() {
      return record.path("verdict").asText("");
    }
  }

  private static final Pattern META = Pattern.compile(".*/rev/(\\d+)/meta$");

  private final Names names;
  private final Map<String, RolloutStore.Entry> known = new HashMap<>();
  private final Map<String, JsonNode> parsed = new HashMap<>();
  // parsed policies by meta name: agents ask for a policy many times per tick
  private final Map<String, Optional<Policy>> policies = new HashMap<>();
  private final Set<Long> metaRevisions = new HashSet<>();
  private long latest;
  private long headVersion;
  private JsonNode head = Records.read("{}");

  public FleetView(Names names) {
    this.names = names;
  }

  public Names names() {
    return names;
  }

  /** Takes {@code e} unless an equal or newer version of its name is already known. */
  public void merge(RolloutStore.Entry e) {
    RolloutStore.Entry old = known.get(e.name());
    if (old != null && old.version() >= e.version()) {
      return;
    }
    known.put(e.name(), e);
    parsed.remove(e.name());
    policies.remove(e.name());
    if (e.name().equals(names.head())) {
      headVersion = e.version();
      head = Records.read(e.value());
      return;
    }
    Matcher m = META.matcher(e.name());
    if (m.matches() && e.name().startsWith(names.root() + "/rev/")) {
      long r = Long.parseLong(m.group(1));
      metaRevisions.add(r);
      latest = Math.max(latest, r);
    }
  }

  public void mergeAll(Iterable<RolloutStore.Entry> entries) {
    entries.forEach(this::merge);
  }

  /** Forgets records of revisions below {@code r} (they can no longer matter to this reader). */
  public void forgetBelow(long r) {
    known.keySet().removeIf(n -> revisionOf(n) > 0 && revisionOf(n) < r);
    parsed.keySet().removeIf(n -> !known.containsKey(n));
    policies.keySet().removeIf(n -> !known.containsKey(n));
  }

  private long revisionOf(String name) {
    String prefix = names.root() + "/rev/";
    if (!name.startsWith(prefix)) {
      return -1;
    }
    int end = name.indexOf('/', prefix.length());
    try {
      return Long.parseLong(
          end < 0 ? name.substring(prefix.length()) : name.substring(prefix.length(), end));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  public Optional<RolloutStore.Entry> entry(String name) {
    return Optional.ofNullable(known.get(name));
  }

  public Optional<JsonNode> record(String name) {
    RolloutStore.Entry e = known.get(name);
    if (e == null) {
      return Optional.empty();
    }
    return Optional.of(parsed.computeIfAbsent(name, k -> Records.read(e.value())));
  }

  public boolean has(String name) {
    return known.containsKey(name);
  }

  /** The newest revision whose meta record this reader has seen (0: none). */
  public long latest() {
    return latest;
  }

  /** The {@code head} hints: {@code latest}, {@code approved}, {@code n}. */
  public JsonNode head() {
    return head;
  }

  public long generation() {
    return headVersion;
  }

  public Optional<JsonNode> meta(long r) {
    return record(names.meta(r));
  }

  /** The policy governing {@code r}, empty for an ungated revision or an unknown meta. */
  public Optional<Policy> policy(long r) {
    return policies.computeIfAbsent(names.meta(r), n -> parsePolicy(r));
  }

  private Optional<Policy> parsePolicy(long r) {
    Optional<JsonNode> m = meta(r);
    if (m.isEmpty() || !m.get().path("gate").asBoolean(false)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Policy.parse(m.get().path("policy"), names.meta(r) + ".policy"));
    } catch (Policy.PolicyException e) {
      // gated, but written by a newer or broken publisher: stay gated with every default
      return Optional.of(Policy.defaults());
    }
  }

  public boolean approved(long r) {
    return has(names.approved(r));
  }

  /** Approved without a rollout: the fleet's first revision, or an ungated one. */
  public boolean direct(long r) {
    Optional<JsonNode> a = record(names.approved(r));
    return a.isPresent() && "bootstrap".equals(a.get().path("by").asText());
  }

  /** How many of the contiguous chain {@code prefix/0, prefix/1, …} are known. */
  private int chain(java.util.function.IntFunction<String> name) {
    int i = 0;
    while (has(name.apply(i))) {
      i++;
    }
    return i;
  }

  public int ctlCount(long r) {
    return chain(e -> names.ctl(r, e));
  }

  public List<JsonNode> ctls(long r) {
    List<JsonNode> out = new ArrayList<>();
    for (int e = 0; e < ctlCount(r); e++) {
      out.add(record(names.ctl(r, e)).orElseThrow());
    }
    return out;
  }

  public int failCount(long r) {
    return chain(k -> names.fail(r, k));
  }

  /** Index of the newest known attempt of seat {@code k} (−1: none known). */
  public int newestAttempt(long r, int k) {
    return chain(a -> names.seat(r, k, a)) - 1;
  }

  public Optional<Seat> seat(long r, int k) {
    int a = newestAttempt(r, k);
    if (a < 0) {
      return Optional.empty();
    }
    String n = names.seat(r, k, a);
    return Optional.of(new Seat(k, a, known.get(n), record(n).orElseThrow()));
  }

  public Optional<JsonNode> plan(long r) {
    return record(names.plan(r));
  }

  /** Seat attempts and failure base forgiven by the newest resume or promote. */
  private record Forgiveness(Set<String> attempts, int failureBase, boolean all) {}

  private Forgiveness forgiveness(long r) {
    Set<String> attempts = new HashSet<>();
    int base = 0;
    boolean all = false;
    for (JsonNode c : ctls(r)) {
      String op = c.path("op").asText();
      if (op.equals("resume") || op.equals("promote")) {
        c.path("forgives").forEach(a -> attempts.add(a.asText()));
        base = Math.max(base, c.path("failureBase").asInt(0));
        all |= op.equals("promote");
      }
    }
    return new Forgiveness(attempts, base, all);
  }

  /** The number of follower failures that halts {@code r}: fail/θ existing means halted. */
  public int failureThreshold(long r) {
    Policy p = policy(r).orElse(Policy.defaults());
    int followers = plan(r).map(pl -> pl.path("n").asInt(0) - pl.path("c").asInt(0)).orElse(0);
    return forgiveness(r).failureBase + p.failuresAllowed(Math.max(0, followers));
  }

  /** Whether {@code r} is halted, and why (empty: not halted). */
  public Optional<String> haltReason(long r) {
    List<JsonNode> c = ctls(r);
    for (int i = c.size() - 1; i >= 0; i--) {
      String op = c.get(i).path("op").asText();
      if (op.equals("abort")) {
        String why = c.get(i).path("reason").asText("");
        return Optional.of("aborted" + (why.isEmpty() ? "" : ": " + why));
      }
      if (op.equals("resume") || op.equals("promote")) {
        break;
      }
    }
    if (has(names.fail(r, failureThreshold(r)))) {
      return Optional.of("max-failures");
    }
    Forgiveness f = forgiveness(r);
    Optional<Policy> p = policy(r);
    if (p.isPresent() && !f.all) {
      // every attempt counts, not only the newest: a holder that failed after its seat was taken
      // over still found the change bad
      for (int k = 0; k < p.get().canaryCount(); k++) {
        for (int a = newestAttempt(r, k); a >= 0; a--) {
          JsonNode rec = record(names.seat(r, k, a)).orElseThrow();
          if (rec.path("verdict").asText("").equals("failed")
              && !f.attempts.contains(k + "/" + a)) {
            String reason = rec.path("reason").asText("");
            return Optional.of(
                "canary-failed: seat "
                    + k
                    + " on "
                    + rec.path("agent").asText()
                    + (reason.isEmpty() ? "" : ": " + reason));
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Whether a failed attempt of seat k was forgiven, so the seat may take a next attempt. */
  public boolean forgiven(long r, int k, int attempt) {
    Forgiveness f = forgiveness(r);
    return f.all || f.attempts.contains(k + "/" + attempt);
  }

  /** Whether every seat's newest attempt reads {@code ok}. */
  public boolean allSeatsOk(long r) {
    Optional<Policy> p = policy(r);
    if (p.isEmpty()) {
      return false;
    }
    for (int k = 0; k < p.get().canaryCount(); k++) {
      Optional<Seat> s = seat(r, k);
      if (s.isEmpty() || !s.get().verdict().equals("ok")) {
        return false;
      }
    }
    return true;
  }

  /** Phase of {@code r} from what is known (docs/rollout.md §6). */
  public Status status(long r) {
    for (long newer = latest; newer > r; newer--) {
      if (approved(newer) && haltReason(newer).isEmpty()) {
        return new Status(Phase.SUPERSEDED, "revision " + newer + " approved");
      }
    }
    if (has(names.complete(r))) {
      return new Status(Phase.COMPLETE, "");
    }
    Optional<String> halt = haltReason(r);
    if (halt.isPresent()) {
      return new Status(Phase.HALTED, halt.get());
    }
    if (approved(r)) {
      return new Status(has(names.turn(r, 0, 0)) ? Phase.WAVES : Phase.APPROVED, "");
    }
    Optional<Policy> p = policy(r);
    if (p.isPresent()) {
      for (int k = 0; k < p.get().canaryCount(); k++) {
        if (newestAttempt(r, k) >= 0) {
          return new Status(Phase.CANARY, "");
        }
      }
    }
    return new Status(Phase.PENDING, "");
  }

  /**
   * The revision a follower is entitled to run: the newest approved one that is not halted (0: none
   * known).
   */
  public long target() {
    for (long r = latest; r > 0; r--) {
      if (approved(r) && haltReason(r).isEmpty()) {
        return r;
      }
    }
    return 0;
  }
}
