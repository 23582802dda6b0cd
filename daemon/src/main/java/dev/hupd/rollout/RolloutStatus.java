package dev.hupd.rollout;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import java.util.List;
import java.util.Optional;

/**
 * What {@code hupd rollout status} shows of one revision, as read by {@link Operator}: immutable,
 * rendered as a table by the CLI or as JSON by {@link #toJson}. Times are epoch ms; a duration that
 * is not known is −1.
 *
 * @param fleet the fleet name
 * @param generation the version of {@code head} (0: never written)
 * @param latest the newest revision (0: none)
 * @param revision the revision shown (0: the fleet has none)
 * @param base the approved revision it was pushed over (0: none)
 * @param message the publisher's note
 * @param by who published it ({@code user@host} or an agent id)
 * @param pushedAtMs when, by the publisher's clock
 * @param sha the content's sha256 (full)
 * @param gated whether agents wait for canaries ({@code meta.gate})
 * @param phase pending, canary, baking, approved, waves, complete, halted or superseded
 * @param reason why halted or superseded, or how an ungated revision is applied; may be empty
 * @param target the fleet's target: the newest approved revision that is not halted (0: none)
 * @param targetPhase the target's phase when it is not the revision shown, else empty
 * @param seats the newest attempt of each canary seat
 * @param plan the plan, once written
 * @param waves the follower turns, once approved with a plan
 * @param agents one line per planned, overflow or unplanned agent; empty unless asked for
 */
public record RolloutStatus(
    String fleet,
    long generation,
    long latest,
    long revision,
    long base,
    String message,
    String by,
    long pushedAtMs,
    String sha,
    boolean gated,
    String phase,
    String reason,
    long target,
    String targetPhase,
    List<Seat> seats,
    Optional<Plan> plan,
    Optional<Waves> waves,
    List<AgentLine> agents) {

  public RolloutStatus {
    seats = List.copyOf(seats);
    agents = List.copyOf(agents);
  }

  /**
   * One canary seat's newest attempt.
   *
   * @param state claimed, baking, ok, failed, released, aborted or expired (lease over, no verdict)
   * @param applyMs how long the canary's apply took (−1: not known yet)
   * @param bakeLeftMs bake time left while baking (−1: not baking)
   * @param bakedMs bake completed, for an ok verdict (−1: not done)
   * @param reason the verdict's reason, if any
   */
  public record Seat(
      int seat,
      int attempt,
      String agent,
      String state,
      long applyMs,
      long bakeLeftMs,
      long bakedMs,
      String reason) {}

  /**
   * The plan record.
   *
   * @param parallel P, slots switching at once
   * @param rounds R, turns per slot
   * @param followers agents in the order
   * @param capped whether the write budget lowered P
   */
  public record Plan(int parallel, int rounds, int followers, boolean capped) {}

  /**
   * Follower turns.
   *
   * @param round the furthest round any slot reached (1-based; 0: none claimed)
   * @param rounds R
   * @param inFlight claimed turns with a live lease and no close
   * @param ok closed ok (or noop)
   * @param failed closed failed
   * @param skipped skip tombstones
   * @param released closed released
   * @param expired claims whose lease ran out without a close
   * @param overflow turns claimed past a slot's planned length
   * @param failures {@code fail/*} records
   * @param threshold failures tolerated (the next halts)
   */
  public record Waves(
      int round,
      int rounds,
      int inFlight,
      int ok,
      int failed,
      int skipped,
      int released,
      int expired,
      int overflow,
      int failures,
      int threshold) {}

  /**
   * One agent's part in the waves.
   *
   * @param kind planned, overflow or unplanned (registered, not in the plan)
   * @param slot its slot (−1: none)
   * @param turn its turn in the slot (−1: none)
   * @param result waiting, in flight, ok, failed, released, noop, skipped, expired or not planned
   * @param startMs when the turn was claimed (0: not claimed)
   * @param tookMs how long its switch took (−1: not closed)
   * @param detail the record's reason, and rollback failures
   */
  public record AgentLine(
      String agent,
      String kind,
      int slot,
      int turn,
      String result,
      long startMs,
      long tookMs,
      String detail) {}

  /** The fleet has no revision yet. */
  public boolean empty() {
    return revision == 0;
  }

  /** The same model as JSON, for {@code --json}. */
  public ObjectNode toJson() {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("fleet", fleet);
    n.put("generation", generation);
    n.put("latest", latest);
    n.put("revision", revision);
    n.put("base", base);
    n.put("message", message);
    n.put("by", by);
    n.put("pushedAt", pushedAtMs);
    n.put("sha", sha);
    n.put("gated", gated);
    n.put("phase", phase);
    n.put("reason", reason);
    n.put("target", target);
    n.put("targetPhase", targetPhase);
    n.set("seats", Json.MAPPER.valueToTree(seats));
    plan.ifPresent(p -> n.set("plan", Json.MAPPER.valueToTree(p)));
    waves.ifPresent(w -> n.set("waves", Json.MAPPER.valueToTree(w)));
    ArrayNode a = n.putArray("agents");
    agents.forEach(line -> a.add(Json.MAPPER.valueToTree(line)));
    return n;
  }
}
