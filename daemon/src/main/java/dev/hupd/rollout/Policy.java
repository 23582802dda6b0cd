package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.config.Durations;
import dev.hupd.metadata.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rollout settings a revision carries in its metadata (docs/rollout.md §4), resolved with
 * defaults. Immutable; {@link #parse} names the field and the expected form of anything wrong, and
 * {@link #toJson} writes the resolved form that goes into the revision record.
 *
 * @param canaryCount c, the number of canary seats (1–5)
 * @param canaryAgents named canaries in seat order (may be longer than c: the rest are standbys)
 * @param canaryRole agents whose roles contain this are candidates
 * @param fallback whether any agent may take a seat nobody eligible took within canaryGrace
 * @param canaryGrace how long reserved candidates have before the next tier may claim
 * @param bake how long every canary stays healthy after applying, before approval
 * @param maxParallel followers switching at once: a count or a percentage of the planned fleet
 * @param maxFailures follower failures tolerated before the rollout halts
 * @param healthToolchains toolchains changed by the revision must be active with the new image
 * @param healthHooks hook actions fired by the revision must exit 0
 * @param healthBamboo the Bamboo agent must be online and enabled on the master after the switch
 *     and through the bake (agents without the Bamboo integration pass it)
 * @param healthCommand argv run after the apply and every healthInterval during bake (optional)
 * @param healthTimeout limit of one health command run
 * @param healthInterval how often the health command runs during bake
 * @param turnLease lease of a follower turn and of a canary's apply
 * @param maxClockSkew assumed bound on any agent's clock error
 * @param margin safety time added when judging someone else's lease expired
 * @param followerReads TPS share of idle followers' polling, fleet-wide
 * @param turnReads TPS share of followers queued for a turn
 * @param writes TPS of rollout writes; caps the effective parallelism
 */
public record Policy(
    int canaryCount,
    List<String> canaryAgents,
    String canaryRole,
    boolean fallback,
    Duration canaryGrace,
    Duration bake,
    Share maxParallel,
    Share maxFailures,
    boolean healthToolchains,
    boolean healthHooks,
    boolean healthBamboo,
    List<String> healthCommand,
    Duration healthTimeout,
    Duration healthInterval,
    Duration turnLease,
    Duration maxClockSkew,
    Duration margin,
    double followerReads,
    double turnReads,
    double writes) {

  /** Most canary seats: one poll covers every seat. */
  public static final int MAX_CANARIES = 5;

  private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Set<String> KEYS =
      Set.of(
          "canaries",
          "canaryGrace",
          "bake",
          "maxParallel",
          "maxFailures",
          "health",
          "turnLease",
          "maxClockSkew",
          "margin",
          "budget");

  /** A count, or a percentage of some total (rounded up, at least {@code min}). */
  public record Share(int count, boolean percent) {
    public int of(int total, int min) {
      int n = percent ? (int) Math.ceil(total * count / 100.0) : count;
      return Math.max(min, n);
    }

    @Override
    public String toString() {
      return percent ? count + "%" : Integer.toString(count);
    }
  }

  /** The policy with every default, one canary. */
  public static Policy defaults() {
    try {
      return parse(Json.MAPPER.createObjectNode(), "defaults");
    } catch (PolicyException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Agents' own view: is this agent a candidate for a seat of a revision under this policy? */
  public boolean candidate(String agentId, Set<String> roles) {
    return canaryAgents.contains(agentId) || roles.contains(canaryRole);
  }

  /** Parallelism over a planned fleet of {@code planned} agents (followers + canaries). */
  public int parallelism(int planned) {
    return maxParallel.of(planned, 1);
  }

  /** Follower failures tolerated among {@code followers} planned followers. */
  public int failuresAllowed(int followers) {
    return maxFailures.of(followers, 0);
  }

  /** Lease of a canary seat attempt: its apply, its bake and one health run. */
  public Duration seatLease() {
    return turnLease.plus(bake).plus(healthTimeout);
  }

  /**
   * Reads a policy.
   *
   * @param node the JSON at rollout-path
   * @param where names the origin in messages, e.g. {@code
   *     Resources.AgentLaunchTemplate.Metadata.Rollout}
   * @throws PolicyException naming the field and the expected form
   */
  public static Policy parse(JsonNode node, String where) throws PolicyException {
    if (node == null || !node.isObject()) {
      throw new PolicyException(where + " must be a JSON object of rollout settings");
    }
    unknownKeys(node, KEYS, where);
    int count = 1;
    List<String> agents = List.of();
    String role = "canary";
    boolean fallback = true;
    JsonNode canaries = node.get("canaries");
    if (canaries != null) {
      if (canaries.isInt()) {
        count = canaries.intValue();
      } else if (canaries.isArray()) {
        agents = agentList(canaries, where + ".canaries");
        count = Math.min(agents.size(), MAX_CANARIES);
      } else if (canaries.isObject()) {
        unknownKeys(canaries, Set.of("count", "agents", "role", "fallback"), where + ".canaries");
        if (canaries.has("agents")) {
          agents = agentList(canaries.get("agents"), where + ".canaries.agents");
        }
        if (canaries.has("count")) {
          JsonNode c = canaries.get("count");
          if (!c.isInt()) {
            throw new PolicyException(where + ".canaries.count must be a whole number 1–5");
          }
          count = c.intValue();
        } else {
          count = agents.isEmpty() ? 1 : Math.min(agents.size(), MAX_CANARIES);
        }
        if (canaries.has("role")) {
          JsonNode r = canaries.get("role");
          if (!r.isTextual() || !AGENT_ID.matcher(r.textValue()).matches()) {
            throw new PolicyException(
                where + ".canaries.role must be a role name of letters, digits, '.', '_' or '-'");
          }
          role = r.textValue();
        }
        if (canaries.has("fallback")) {
          JsonNode f = canaries.get("fallback");
          if (!f.isBoolean()) {
            throw new PolicyException(where + ".canaries.fallback must be true or false");
          }
          fallback = f.booleanValue();
        }
      } else {
        throw new PolicyException(
            where
                + ".canaries must be a count (1–5), a list of agent ids, or an object"
                + " {\"count\", \"agents\", \"role\", \"fallback\"}");
      }
    }
    if (count < 1 || count > MAX_CANARIES) {
      throw new PolicyException(
          where + ".canaries: " + count + " seats; expected 1 to " + MAX_CANARIES);
    }
    Duration grace = duration(node, "canaryGrace", Duration.ofSeconds(60), where);
    Duration bake = duration(node, "bake", Duration.ofMinutes(10), where);
    Share parallel = share(node, "maxParallel", new Share(10, true), 1, where);
    Share failures = share(node, "maxFailures", new Share(0, false), 0, where);
    boolean hToolchains = true;
    boolean hHooks = true;
    boolean hBamboo = true;
    List<String> command = List.of();
    Duration hTimeout = Duration.ofSeconds(60);
    Duration hInterval = Duration.ofSeconds(60);
    JsonNode health = node.get("health");
    if (health != null) {
      String hw = where + ".health";
      if (!health.isObject()) {
        throw new PolicyException(hw + " must be an object");
      }
      unknownKeys(
          health, Set.of("toolchains", "hooks", "bamboo", "command", "timeout", "interval"), hw);
      hToolchains = bool(health, "toolchains", true, hw);
      hHooks = bool(health, "hooks", true, hw);
      hBamboo = bool(health, "bamboo", true, hw);
      JsonNode c = health.get("command");
      if (c != null && !c.isNull()) {
        if (c.isTextual() && !c.textValue().isBlank()) {
          command = List.of("/bin/sh", "-c", c.textValue());
        } else if (c.isArray() && c.size() > 0) {
          List<String> argv = new ArrayList<>();
          for (JsonNode a : c) {
            if (!a.isTextual()) {
              throw new PolicyException(hw + ".command must be a list of strings (argv)");
            }
            argv.add(a.textValue());
          }
          command = List.copyOf(argv);
        } else {
          throw new PolicyException(
              hw + ".command must be a non-empty list of strings (argv) or a shell command string");
        }
      }
      hTimeout = duration(health, "timeout", hTimeout, hw);
      hInterval = duration(health, "interval", hInterval, hw);
      if (hTimeout.toMillis() < 1_000) {
        throw new PolicyException(
            hw + ".timeout is " + Durations.format(hTimeout) + "; expected at least 1s");
      }
      if (hInterval.toMillis() < 1_000) {
        throw new PolicyException(
            hw + ".interval is " + Durations.format(hInterval) + "; expected at least 1s");
      }
    }
    Duration lease = duration(node, "turnLease", Duration.ofMinutes(30), where);
    if (lease.toMillis() < 1_000) {
      throw new PolicyException(
          where + ".turnLease is " + Durations.format(lease) + "; expected at least 1s");
    }
    Duration skew = duration(node, "maxClockSkew", Duration.ofSeconds(30), where);
    Duration margin = duration(node, "margin", skew.plusSeconds(30), where);
    if (margin.compareTo(skew.plusSeconds(15)) < 0) {
      throw new PolicyException(
          where
              + ".margin is "
              + Durations.format(margin)
              + "; it must be at least maxClockSkew + 15s ("
              + Durations.format(skew.plusSeconds(15))
              + ")");
    }
    double fReads = 2.5;
    double tReads = 10;
    double writes = 2;
    JsonNode budget = node.get("budget");
    if (budget != null) {
      String bw = where + ".budget";
      if (!budget.isObject()) {
        throw new PolicyException(bw + " must be an object");
      }
      unknownKeys(budget, Set.of("followerReads", "turnReads", "writes"), bw);
      fReads = rate(budget, "followerReads", fReads, bw);
      tReads = rate(budget, "turnReads", tReads, bw);
      writes = rate(budget, "writes", writes, bw);
    }
    return new Policy(
        count,
        agents,
        role,
        fallback,
        grace,
        bake,
        parallel,
        failures,
        hToolchains,
        hHooks,
        hBamboo,
        command,
        hTimeout,
        hInterval,
        lease,
        skew,
        margin,
        fReads,
        tReads,
        writes);
  }

  /** The resolved policy, every field present: what the revision record stores. */
  public ObjectNode toJson() {
    ObjectNode n = Json.MAPPER.createObjectNode();
    ObjectNode c = n.putObject("canaries");
    c.put("count", canaryCount);
    if (!canaryAgents.isEmpty()) {
      ArrayNode a = c.putArray("agents");
      canaryAgents.forEach(a::add);
    }
    c.put("role", canaryRole);
    c.put("fallback", fallback);
    n.put("canaryGrace", canaryGrace.toMillis() + "ms");
    n.put("bake", bake.toMillis() + "ms");
    n.put("maxParallel", maxParallel.toString());
    n.put("maxFailures", maxFailures.toString());
    ObjectNode h = n.putObject("health");
    h.put("toolchains", healthToolchains);
    h.put("hooks", healthHooks);
    h.put("bamboo", healthBamboo);
    if (!healthCommand.isEmpty()) {
      ArrayNode argv = h.putArray("command");
      healthCommand.forEach(argv::add);
    }
    h.put("timeout", healthTimeout.toMillis() + "ms");
    h.put("interval", healthInterval.toMillis() + "ms");
    n.put("turnLease", turnLease.toMillis() + "ms");
    n.put("maxClockSkew", maxClockSkew.toMillis() + "ms");
    n.put("margin", margin.toMillis() + "ms");
    ObjectNode b = n.putObject("budget");
    b.put("followerReads", followerReads);
    b.put("turnReads", turnReads);
    b.put("writes", writes);
    return n;
  }

  private static List<String> agentList(JsonNode node, String where) throws PolicyException {
    if (!node.isArray() || node.isEmpty()) {
      throw new PolicyException(where + " must be a non-empty list of agent ids");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode a : node) {
      if (!a.isTextual() || !AGENT_ID.matcher(a.textValue()).matches()) {
        throw new PolicyException(
            where + " holds " + a + "; expected agent ids of [A-Za-z0-9_.-], 1–64 characters");
      }
      if (out.contains(a.textValue())) {
        throw new PolicyException(where + " names " + a.textValue() + " twice");
      }
      out.add(a.textValue());
    }
    return List.copyOf(out);
  }

  private static void unknownKeys(JsonNode node, Set<String> known, String where)
      throws PolicyException {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String k = it.next().getKey();
      if (!known.contains(k)) {
        throw new PolicyException(
            where
                + "."
                + k
                + " is not a rollout setting; known: "
                + new java.util.TreeSet<>(known));
      }
    }
  }

  private static Duration duration(JsonNode node, String key, Duration dflt, String where)
      throws PolicyException {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    Optional<Duration> d =
        v.isIntegralNumber() && v.longValue() >= 0
            ? Durations.parse(Long.toString(v.longValue()))
            : v.isTextual() ? Durations.parse(v.textValue()) : Optional.empty();
    if (d.isEmpty()) {
      throw new PolicyException(
          where + "." + key + " is " + v + "; expected " + Durations.EXPECTED);
    }
    return d.get();
  }

  private static Share share(JsonNode node, String key, Share dflt, int min, String where)
      throws PolicyException {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    String expected = "a whole number (at least " + min + ") or a percentage such as \"10%\"";
    if (v.isInt() && v.intValue() >= min) {
      return new Share(v.intValue(), false);
    }
    if (v.isTextual()) {
      String t = v.textValue().strip();
      try {
        if (t.endsWith("%")) {
          int p = Integer.parseInt(t.substring(0, t.length() - 1).strip());
          if (p >= 0 && p <= 100 && (p > 0 || min == 0)) {
            return new Share(p, true);
          }
        } else {
          int n = Integer.parseInt(t);
          if (n >= min) {
            return new Share(n, false);
          }
        }
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
    }
    throw new PolicyException(where + "." + key + " is " + v + "; expected " + expected);
  }

  private static boolean bool(JsonNode node, String key, boolean dflt, String where)
      throws PolicyException {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw new PolicyException(where + "." + key + " is " + v + "; expected true or false");
    }
    return v.booleanValue();
  }

  private static double rate(JsonNode node, String key, double dflt, String where)
      throws PolicyException {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isNumber() || v.doubleValue() <= 0 || v.doubleValue() > 10_000) {
      throw new PolicyException(
          where + "." + key + " is " + v + "; expected a rate in calls per second, above 0");
    }
    return v.doubleValue();
  }

  /** A policy that cannot be used; the message names the field and the expected form. */
  public static final class PolicyException extends Exception {
    public PolicyException(String message) {
      super(message);
    }
  }
}
