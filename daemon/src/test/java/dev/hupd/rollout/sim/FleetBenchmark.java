package dev.hupd.rollout.sim;

import ch.qos.logback.classic.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link FleetSimulation} at fleet sizes and as randomized fault trials, and prints the
 * figures against the targets of the rollout issue.
 *
 * <pre>
 *   FleetBenchmark [--sizes 10,100,1000] [--trials 1000] [--seed 1]
 * </pre>
 */
public final class FleetBenchmark {

  static final String BENCH_POLICY =
      "{\"canaries\":1,\"bake\":\"10m\",\"maxParallel\":\"10%\",\"turnLease\":\"30m\"}";

  private FleetBenchmark() {}

  public static void main(String[] args) {
    List<Integer> sizes = List.of(10, 100, 1000);
    int trials = 1000;
    long seed = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> sizes = parseSizes(args[++i]);
        case "--trials" -> trials = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> {
          System.err.println("usage: FleetBenchmark [--sizes 10,100,1000] [--trials N] [--seed S]");
          System.exit(64);
        }
      }
    }
    quietLogs();
    if (!sizes.isEmpty()) {
      System.out.println("== rollout at fleet sizes (Get 40 TPS, Put 3 TPS enforced) ==");
      List<FleetSimulation.Result> results = new ArrayList<>();
      for (int n : sizes) {
        long t0 = System.nanoTime();
        FleetSimulation.Result r = new FleetSimulation(benchScenario(n, seed)).run();
        results.add(r);
        System.out.printf(
            Locale.ROOT,
            "  (N=%d simulated in %.1f s wall, %d events)%n",
            n,
            (System.nanoTime() - t0) / 1e9,
            r.events);
      }
      printSizes(results);
    }
    if (trials > 0) {
      System.out.println();
      System.out.println("== randomized fault trials ==");
      printTrials("failing change", runTrials(trials, seed, false), false);
      printTrials("good change", runTrials(trials, seed + 1_000_000, true), true);
    }
  }

  static FleetSimulation.Scenario benchScenario(int n, long seed) {
    return new FleetSimulation.Scenario(
        n,
        seed,
        BENCH_POLICY,
        60_000,
        0.2,
        SimLocal.BadChange.NONE,
        FleetSimulation.Faults.NONE,
        40,
        3,
        20 * 60_000L,
        8 * 3_600_000L,
        20_000_000,
        2);
  }

  /** One randomized trial: a small fleet, a short policy, and a random mix of every fault. */
  static FleetSimulation.Scenario trialScenario(long seed, boolean good) {
    Random r = new Random(seed);
    int n = 8 + r.nextInt(5);
    String[] parallel = {"1", "2", "3", "\"25%\"", "\"10%\""};
    String policy =
        "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":"
            + parallel[r.nextInt(parallel.length)]
            + ",\"turnLease\":\"2m\",\"health\":{\"interval\":\"20s\",\"timeout\":\"30s\"}}";
    long apply = 5_000 + r.nextInt(10_001);
    boolean stale = r.nextBoolean();
    FleetSimulation.Faults faults =
        new FleetSimulation.Faults(
            r.nextInt(4),
            0.3,
            r.nextInt(3) == 0,
            r.nextInt(4),
            stale ? 1_000 + r.nextInt(4_001) : 0,
            stale ? 0.3 : 0,
            r.nextBoolean() ? 0.03 : 0,
            30_000);
    SimLocal.BadChange bad =
        good
            ? SimLocal.BadChange.NONE
            : (r.nextBoolean() ? SimLocal.BadChange.APPLY : SimLocal.BadChange.BAKE);
    return new FleetSimulation.Scenario(
        n,
        seed,
        policy,
        apply,
        0.2,
        bad,
        faults,
        40,
        3,
        60_000,
        good ? 60 * 60_000L : 30 * 60_000L,
        400_000,
        0);
  }

  /** Totals over many trials, with the seeds of those that broke a rule. */
  static final class TrialSummary {
    int trials;
    int notBootstrapped;
    int eventLimit;
    int followersMoved;
    int trialsWithFollowersMoved;
    int notRolledBack;
    int notHalted;
    int doubleApplies;
    int overP;
    int maxInFlight;
    int maxP;
    int notConvergedTrials;
    int notConvergedAgents;
    int failedVerdicts;
    int kills;
    int permanentKills;
    int canaryMidBake;
    long throttled;
    long invalid;
    long maxCompletionMs;
    final Map<String, List<Long>> seeds = new TreeMap<>();
    final Map<String, Integer> reasons = new TreeMap<>();

    void flag(String what, long seed) {
      List<Long> s = seeds.computeIfAbsent(what, k -> new ArrayList<>());
      if (s.size() < 10) {
        s.add(seed);
      }
    }
  }

  static TrialSummary runTrials(int count, long baseSeed, boolean good) {
    TrialSummary t = new TrialSummary();
    for (int i = 0; i < count; i++) {
      long seed = baseSeed + i;
      add(t, new FleetSimulation(trialScenario(seed, good)).run(), seed, good);
    }
    return t;
  }

  static void add(TrialSummary t, FleetSimulation.Result r, long seed, boolean good) {
    t.trials++;
    if (!r.bootstrapped) {
      t.notBootstrapped++;
      t.flag("bootstrap did not finish", seed);
      return;
    }
    if (r.eventLimitHit) {
      t.eventLimit++;
      t.flag("event limit", seed);
    }
    t.kills += r.temporaryKills + r.permanentKills;
    t.permanentKills += r.permanentKills;
    t.canaryMidBake += r.canaryKilledMidBake ? 1 : 0;
    t.throttled += r.rolloutThrottled;
    t.invalid += r.invalidCalls;
    t.doubleApplies += r.doubleApplies;
    if (r.doubleApplies > 0) {
      t.flag("double apply", seed);
    }
    t.maxInFlight = Math.max(t.maxInFlight, r.maxInFlight);
    t.maxP = Math.max(t.maxP, r.plannedP);
    if (r.plannedP > 0 && r.maxInFlight > r.plannedP) {
      t.overP++;
      t.flag("in flight > P", seed);
    }
    if (!good) {
      t.followersMoved += r.followersMoved.size();
      if (!r.followersMoved.isEmpty()) {
        t.trialsWithFollowersMoved++;
        t.flag("follower moved on a failing change", seed);
      }
      if (!r.canaryRolledBack) {
        t.notRolledBack++;
        t.flag("canary not rolled back", seed);
      }
      if (!r.halted) {
        t.notHalted++;
        t.flag("not halted", seed);
      }
      return;
    }
    t.failedVerdicts += r.failedVerdicts;
    if (r.failedVerdicts > 0) {
      t.flag("failed verdict on a good change", seed);
    }
    if (!r.notConverged.isEmpty() || r.completionMs < 0) {
      t.notConvergedTrials++;
      t.notConvergedAgents += r.notConverged.size();
      t.flag("not converged", seed);
      for (String why : r.notConverged) {
        String key = why.replaceAll("^i-\\d+ ", "").replaceAll("i-\\d+", "<agent>");
        key = key.replaceAll("rev/\\d+/turn/\\d+/\\d+", "turn/s/t");
        t.reasons.merge(key, 1, Integer::sum);
      }
    } else {
      t.maxCompletionMs = Math.max(t.maxCompletionMs, r.completionMs);
    }
  }

  // ---------------------------------------------------------------- printing

  static void printSizes(List<FleetSimulation.Result> results) {
    row("N", results, r -> Integer.toString(r.scenario.agents()));
    row(
        "effective P (plan; write-capped?)",
        results,
        r -> r.plannedP + (r.planCapped ? " cap" : ""));
    row("rounds R = ceil((N-c)/P)", results, r -> Long.toString(rounds(r)));
    row("tau (plan)", results, r -> secs(r.tauMs));
    row("follower read interval I_f", results, r -> secs(followerInterval(r)));
    row("completion from push", results, r -> r.completionMs < 0 ? "never" : secs(r.completionMs));
    row("ideal bake + R x A", results, r -> secs(ideal(r)));
    row("canary apply + ideal", results, r -> secs(r.canaryApplyMs + ideal(r)));
    row("slack vs canary apply + ideal", results, r -> secs(slack(r)));
    row("ideal for this draw (slowest slot's applies)", results, r -> secs(drawIdeal(r)));
    row("slack vs ideal for this draw", results, r -> secs(r.completionMs - drawIdeal(r)));
    row(
        "  within one I_f? (target)",
        results,
        r ->
            r.completionMs >= 0 && r.completionMs - drawIdeal(r) <= followerInterval(r)
                ? "yes"
                : "NO");
    row("steady reads, quiet fleet after boot", results, r -> tps(r.steadyReadTps));
    row("steady reads, quiet fleet after rollout", results, r -> tps(r.steadyReadTpsAfter));
    row(
        "  <= 4 TPS? (target, after rollout)",
        results,
        r -> r.steadyReadTpsAfter <= 4 ? "yes" : "NO");
    row("reads/follower/rollout mean", results, r -> num(stat(r, false, true, Mode.MEAN)));
    row("reads/follower/rollout max", results, r -> num(stat(r, false, true, Mode.MAX)));
    row("writes/follower/rollout mean", results, r -> num(stat(r, false, false, Mode.MEAN)));
    row("writes/follower/rollout max", results, r -> num(stat(r, false, false, Mode.MAX)));
    row(
        "  <= 2 writes/follower? (target)",
        results,
        r -> stat(r, false, false, Mode.MAX) <= 2 ? "yes" : "NO");
    row("reads, canaries + leader (each)", results, r -> perAgent(r, true));
    row("writes, canaries + leader (each)", results, r -> perAgent(r, false));
    row("throttled calls during rollout", results, r -> Long.toString(r.rolloutThrottled));
    row("throttled calls, whole run", results, r -> Long.toString(r.totalThrottled));
    row("failed verdicts (must be 0)", results, r -> Integer.toString(r.failedVerdicts));
    row("max followers in flight", results, r -> Integer.toString(r.maxInFlight));
    row("  <= P? (target)", results, r -> r.maxInFlight <= r.plannedP ? "yes" : "NO");
    row("double applies (must be 0)", results, r -> Integer.toString(r.doubleApplies));
    row("model per-caller counts agree", results, r -> r.modelCountsAgree ? "yes" : "NO");
    row("SSM parameters after 3 rollouts + GC", results, r -> Integer.toString(r.parameters));
    row("  kept revisions (records each)", results, r -> kept(r));
    row("  registry records / blob chunks", results, r -> r.registryRecords + " / " + r.blobChunks);
  }

  static String kept(FleetSimulation.Result r) {
    StringBuilder b = new StringBuilder();
    r.revisionRecords.forEach(
        (rev, n) -> b.append(b.length() == 0 ? "" : " ").append(rev + ":" + n));
    return b.toString();
  }

  static void printTrials(String title, TrialSummary t, boolean good) {
    System.out.printf(Locale.ROOT, "%s: %d trials%n", title, t.trials);
    line("kills (temporary + permanent)", t.kills + " (" + t.permanentKills + " permanent)");
    line("canary killed mid-bake", Integer.toString(t.canaryMidBake));
    line("throttled calls (after push)", Long.toString(t.throttled));
    line("invalid/denied store answers", Long.toString(t.invalid));
    if (!good) {
      line("followers that began a switch to r2 (must be 0)", Integer.toString(t.followersMoved));
      line("trials with such a follower", Integer.toString(t.trialsWithFollowersMoved));
      line("canary not rolled back", Integer.toString(t.notRolledBack));
      line("rollout not halted", Integer.toString(t.notHalted));
    } else {
      line("trials not converged within 60 min", Integer.toString(t.notConvergedTrials));
      line("agents not converged", Integer.toString(t.notConvergedAgents));
      line("failed verdicts (must be 0)", Integer.toString(t.failedVerdicts));
      line("slowest converged trial", secs(t.maxCompletionMs));
    }
    line("double applies (must be 0)", Integer.toString(t.doubleApplies));
    line(
        "trials with in flight > P",
        t.overP + " (max in flight " + t.maxInFlight + ", max P " + t.maxP + ")");
    line("event-limit hits", Integer.toString(t.eventLimit));
    line("bootstrap failures", Integer.toString(t.notBootstrapped));
    t.reasons.forEach((why, n) -> line("  not converged x" + n, why));
    t.seeds.forEach((what, s) -> line("  seeds: " + what, s.toString()));
  }

  private static void line(String label, String value) {
    System.out.printf(Locale.ROOT, "  %-52s %s%n", label, value);
  }

  private static void row(
      String label,
      List<FleetSimulation.Result> results,
      Function<FleetSimulation.Result, String> f) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-42s", label));
    for (FleetSimulation.Result r : results) {
      b.append(String.format(Locale.ROOT, " %14s", f.apply(r)));
    }
    System.out.println(b);
  }

  static long rounds(FleetSimulation.Result r) {
    return r.plannedP == 0 ? 0 : (r.planFollowers + r.plannedP - 1) / r.plannedP;
  }

  static long ideal(FleetSimulation.Result r) {
    return 10 * 60_000L + rounds(r) * r.scenario.applyMs();
  }

  /**
   * The ideal with this run's actual switch times: each switch takes its nominal time ±20 %, so the
   * busiest slot, not the mean, bounds any schedule with P slots.
   */
  static long drawIdeal(FleetSimulation.Result r) {
    return r.canaryApplyMs + 10 * 60_000L + r.slowestSlotWorkMs;
  }

  static long slack(FleetSimulation.Result r) {
    return r.completionMs - (r.canaryApplyMs + ideal(r));
  }

  static long followerInterval(FleetSimulation.Result r) {
    return Math.max(30_000, (long) (r.scenario.agents() / 2.5 * 1000));
  }

  enum Mode {
    MEAN,
    MAX
  }

  static double stat(FleetSimulation.Result r, boolean special, boolean reads, Mode mode) {
    double sum = 0;
    double max = 0;
    int n = 0;
    for (Map.Entry<String, ModelStore.Tally> e : r.rolloutTally.entrySet()) {
      boolean isSpecial = r.seatHolders.contains(e.getKey()) || r.leaders.contains(e.getKey());
      if (isSpecial != special) {
        continue;
      }
      long v = reads ? e.getValue().reads : e.getValue().writes;
      sum += v;
      max = Math.max(max, v);
      n++;
    }
    return n == 0 ? 0 : mode == Mode.MEAN ? sum / n : max;
  }

  static String perAgent(FleetSimulation.Result r, boolean reads) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, ModelStore.Tally> e : r.rolloutTally.entrySet()) {
      if (r.seatHolders.contains(e.getKey()) || r.leaders.contains(e.getKey())) {
        b.append(b.length() == 0 ? "" : "/")
            .append(reads ? e.getValue().reads : e.getValue().writes);
      }
    }
    return b.toString();
  }

  static String secs(long ms) {
    return String.format(Locale.ROOT, "%.0f s", ms / 1000.0);
  }

  static String tps(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f TPS", v);
  }

  static String num(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static List<Integer> parseSizes(String s) {
    List<Integer> out = new ArrayList<>();
    for (String p : s.split(",")) {
      if (!p.isBlank()) {
        out.add(Integer.parseInt(p.trim()));
      }
    }
    return out;
  }

  /** The agents log every event at INFO; thousands of them would drown the figures. */
  static void quietLogs() {
    setRolloutLevel(Level.ERROR);
  }

  /** Gives the rollout loggers back their configured level (tests share one JVM). */
  static void restoreLogs() {
    setRolloutLevel(null);
  }

  private static void setRolloutLevel(Level level) {
    org.slf4j.Logger rollout = LoggerFactory.getLogger("dev.hupd.rollout");
    if (rollout instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(level);
    }
  }
}
