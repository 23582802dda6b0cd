package dev.hupd.rollout;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How a revision's plan is laid out (docs/rollout.md §8.1), shared by the leader that builds it
 * during its bake and by {@code hupd rollout promote}, so both write the same order and shape.
 */
public final class Plans {

  private Plans() {}

  /**
   * The followers of revision {@code r} in turn order: {@code members} minus {@code excluded},
   * ascending by {@code sha256(r|id)} (ties by id), so the first agents differ between rollouts.
   */
  public static List<String> order(long r, Collection<String> members, Set<String> excluded) {
    List<String> order = new ArrayList<>();
    for (String m : members) {
      if (!excluded.contains(m)) {
        order.add(m);
      }
    }
    order.sort(Comparator.comparing((String a) -> Json.sha256(r + "|" + a)).thenComparing(a -> a));
    return order;
  }

  /** The agent id an entry of the registry {@code agents/<id>} names. */
  public static String agentOf(RolloutStore.Entry registration) {
    String name = registration.name();
    return name.substring(name.lastIndexOf('/') + 1);
  }

  /**
   * Every agent that created any attempt of any of {@code r}'s seats, as far as {@code view} knows.
   */
  public static Set<String> seatHolders(FleetView view, long r, Policy policy) {
    Set<String> out = new HashSet<>();
    for (int k = 0; k < policy.canaryCount(); k++) {
      for (int a = 0; a <= view.newestAttempt(r, k); a++) {
        view.record(view.names().seat(r, k, a)).ifPresent(s -> out.add(s.path("agent").asText()));
      }
    }
    return out;
  }

  /**
   * Fills a plan record: {@code P} (maxParallel over followers + canaries, capped by the write
   * budget and by the number of followers), {@code R}, {@code n}, {@code c}, the order (inline or a
   * blob pointer), {@code bakeUntil}, {@code applyMs}, {@code tauMs} and {@code startGraceMs}.
   *
   * @param rec the envelope to fill, kind {@code plan}
   * @param applyMs the canaries' measured apply time
   * @param turnFloorMs the agents' shortest turn poll ({@link RolloutAgent.Pacing#turnFloorMs})
   */
  public static ObjectNode fill(
      ObjectNode rec,
      List<String> order,
      Policy p,
      long bakeUntil,
      long applyMs,
      long turnFloorMs,
      Contents contents)
      throws StoreException {
    int n = order.size() + p.canaryCount();
    int parallel = p.parallelism(n);
    long turnMs = Math.max(applyMs, 1_000) + turnFloorMs;
    int writeCap = (int) Math.max(1, Math.floor(p.writes() * turnMs / 1000.0 / 2));
    boolean capped = writeCap < parallel;
    parallel = Math.max(1, Math.min(parallel, writeCap));
    parallel = Math.min(parallel, Math.max(1, order.size()));
    int rounds = order.isEmpty() ? 0 : (order.size() + parallel - 1) / parallel;
    double harmonic = 0;
    for (int i = 1; i <= Math.max(1, rounds); i++) {
      harmonic += 1.0 / i;
    }
    long tau = Math.max(turnFloorMs, (long) (parallel * harmonic / p.turnReads() * 1000));
    rec.put("P", parallel);
    rec.put("R", rounds);
    rec.put("n", n);
    rec.put("c", p.canaryCount());
    rec.put("capped", capped);
    rec.set("order", contents.storeOrder(order));
    rec.put("bakeUntil", bakeUntil);
    rec.put("applyMs", applyMs);
    rec.put("tauMs", tau);
    rec.put("startGraceMs", Math.max(p.canaryGrace().toMillis(), 3 * tau));
    return rec;
  }

  /** Turns of {@code slot} in a plan of {@code followers} followers over {@code P} slots. */
  public static int plannedLength(int followers, int P, int slot) {
    return followers <= slot ? 0 : (followers - slot + P - 1) / P;
  }
}
