package dev.hupd.rollout.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Small, fast runs of the fleet simulation (virtual time), so the protocol stays honest in CI. */
class FleetSimulationTest {

  @BeforeAll
  static void quiet() {
    FleetBenchmark.quietLogs();
  }

  @AfterAll
  static void loud() {
    FleetBenchmark.restoreLogs();
  }

  @Test
  void tenAgentsConvergeOnAGoodChangeWithinTheParallelism() {
    FleetSimulation.Result r = new FleetSimulation(FleetBenchmark.benchScenario(10, 7)).run();

    assertTrue(r.completionMs > 0, () -> "never converged: " + r.agentStates);
    assertTrue(r.notConverged.isEmpty(), () -> r.notConverged.toString());
    assertTrue(r.plannedP >= 1);
    assertTrue(r.maxInFlight <= r.plannedP, () -> r.maxInFlight + " in flight, P " + r.plannedP);
    assertEquals(0, r.doubleApplies, () -> r.doubleApplyDetails.toString());
    assertEquals(0, r.failedVerdicts, () -> r.failedDetails.toString());
    assertTrue(r.modelCountsAgree);
  }

  @Test
  void afterThreeRolloutsAHundredAgentsLeaveTwoRevisionsTheRegistryAndAFew() {
    FleetSimulation.Result r = new FleetSimulation(FleetBenchmark.benchScenario(100, 3)).run();

    assertTrue(r.completionMs > 0, () -> "never converged: " + r.notConverged);
    assertEquals(List.of(3L, 4L), List.copyOf(r.revisionRecords.keySet()));
    assertEquals(100, r.registryRecords);
    int kept = r.revisionRecords.values().stream().mapToInt(Integer::intValue).sum();
    // each kept revision: meta, seat, plan, approved, complete and about one turn per follower
    r.revisionRecords.forEach(
        (rev, n) -> assertTrue(n <= 100 + 10, () -> "revision " + rev + " keeps " + n));
    assertTrue(
        r.parameters <= kept + 100 + 5, () -> r.parameters + " parameters, " + kept + " kept");
  }

  @Test
  void aFailingChangeMovesNoFollowerAndTheCanaryRollsBack() {
    FleetBenchmark.TrialSummary t = FleetBenchmark.runTrials(50, 42, false);

    assertEquals(0, t.followersMoved, () -> "seeds: " + t.seeds);
    assertEquals(0, t.notRolledBack, () -> "seeds: " + t.seeds);
    assertEquals(0, t.notHalted, () -> "seeds: " + t.seeds);
    assertEquals(0, t.doubleApplies, () -> "seeds: " + t.seeds);
    assertEquals(0, t.eventLimit, () -> "seeds: " + t.seeds);
  }

  @Test
  void aGoodChangeConvergesUnderFaults() {
    FleetBenchmark.TrialSummary t = FleetBenchmark.runTrials(30, 4_242, true);

    assertEquals(0, t.notConvergedTrials, () -> t.reasons + " seeds: " + t.seeds);
    assertEquals(0, t.failedVerdicts, () -> "seeds: " + t.seeds);
    assertEquals(0, t.doubleApplies, () -> "seeds: " + t.seeds);
    assertEquals(0, t.overP, () -> "seeds: " + t.seeds);
  }
}
