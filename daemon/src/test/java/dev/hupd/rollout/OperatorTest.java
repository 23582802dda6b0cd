package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Operator} on a folder store whose records real {@link RolloutAgent}s write. */
class OperatorTest {

  private static final String POLICY =
      "{\"canaries\":1,\"bake\":\"60s\",\"maxParallel\":1,\"turnLease\":\"5m\"}";

  @TempDir Path dir;

  private final Names names = new Names("demo");
  private DirStore store;
  private FleetDriver fleet;
  private Operator operator;
  private FleetDriver.Sim canary;

  @BeforeEach
  void open() throws Exception {
    store = DirStore.open(dir.resolve("store"));
    fleet = new FleetDriver(store, names);
    operator =
        new Operator(
            store,
            names,
            () -> fleet.now,
            "alice@laptop",
            RolloutAgent.Pacing.local(),
            Operator.Pacer.NONE);
  }

  /** Three agents (a1 the canary candidate) all on revision 1. */
  private void fleetOnRevisionOne() throws Exception {
    canary = fleet.agent("a1", "canary");
    fleet.agent("a2");
    fleet.agent("a3");
    fleet.push(1, POLICY);
    fleet.runUntil(() -> fleet.allApplied(1), 60_000);
    assertThat(fleet.allApplied(1)).isTrue();
  }

  private RolloutStatus status() throws Exception {
    return operator.status(Optional.empty(), false);
  }

  private String phase() {
    try {
      return status().phase();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean exists(String name) {
    try {
      return store.get(List.of(name)).containsKey(name);
    } catch (StoreException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode record(String name) throws StoreException {
    return Records.read(store.get(List.of(name)).get(name).value());
  }

  @Test
  void statusOfAFleetWithoutRevisions_saysSoAndActionsRefuse() throws Exception {
    RolloutStatus s = status();

    assertThat(s.empty()).isTrue();
    assertThat(s.fleet()).isEqualTo("demo");
    assertThat(catchThrowableOfType(() -> operator.abort("x"), Operator.Refused.class))
        .hasMessageContaining("no revisions yet");
  }

  @Test
  void statusFollowsARevisionThroughEveryPhase() throws Exception {
    fleetOnRevisionOne();
    RolloutStatus first = status();
    assertThat(first.phase()).isEqualTo("approved");
    assertThat(first.reason()).contains("applied on sight");
    assertThat(first.target()).isEqualTo(1);

    fleet.push(2, POLICY);
    RolloutStatus pending = status();
    assertThat(pending.revision()).isEqualTo(2);
    assertThat(pending.base()).isEqualTo(1);
    assertThat(pending.phase()).isEqualTo("pending");
    assertThat(pending.gated()).isTrue();
    assertThat(pending.by()).isEqualTo("op");
    assertThat(pending.seats())
        .singleElement()
        .extracting(RolloutStatus.Seat::state)
        .isEqualTo("unclaimed");
    assertThat(pending.target()).isEqualTo(1);
    assertThat(pending.targetPhase()).isEqualTo("approved");

    fleet.runUntil(() -> canary.agent.holding().contains("claimed"), 60_000);
    assertThat(status().phase()).isEqualTo("canary");
    assertThat(status().seats().get(0).state()).isEqualTo("claimed");

    fleet.runUntil(() -> exists(names.plan(2)), 60_000);
    RolloutStatus baking = status();
    assertThat(baking.phase()).isEqualTo("baking");
    RolloutStatus.Seat seat = baking.seats().get(0);
    assertThat(seat.agent()).isEqualTo("a1");
    assertThat(seat.attempt()).isZero();
    assertThat(seat.applyMs()).isEqualTo(5_000);
    assertThat(seat.bakeLeftMs()).isBetween(1L, 60_000L);
    assertThat(baking.plan()).hasValue(new RolloutStatus.Plan(1, 2, 2, false));

    fleet.runUntil(() -> exists(names.approved(2)), 5 * 60_000);
    assertThat(status().phase()).isIn("approved", "waves");
    assertThat(status().seats().get(0).state()).isEqualTo("ok");
    assertThat(status().target()).isEqualTo(2);

    fleet.runUntil(() -> fleet.agents.stream().anyMatch(s -> s.agent.inTurn()), 5 * 60_000);
    RolloutStatus waves = operator.status(Optional.empty(), true);
    assertThat(waves.phase()).isEqualTo("waves");
    assertThat(waves.waves().orElseThrow().inFlight()).isEqualTo(1);
    assertThat(waves.waves().orElseThrow().round()).isEqualTo(1);
    assertThat(waves.agents())
        .extracting(RolloutStatus.AgentLine::result)
        .containsExactlyInAnyOrder("in flight", "waiting");

    fleet.runUntil(() -> exists(names.complete(2)), 30 * 60_000);
    RolloutStatus done = status();
    assertThat(done.phase()).isEqualTo("complete");
    assertThat(done.waves().orElseThrow().ok()).isEqualTo(2);
    assertThat(done.waves().orElseThrow().round()).isEqualTo(2);
    assertThat(operator.status(Optional.of(1L), false).phase()).isEqualTo("superseded");
  }

  @Test
  void abortHaltsTheRevision_theCanaryRollsBackAndNoFollowerMoves() throws Exception {
    fleetOnRevisionOne();
    fleet.push(2, POLICY);
    fleet.runUntil(() -> exists(names.plan(2)), 60_000);

    Operator.Action a = operator.abort("bad image");
    fleet.runUntil(() -> false, 5 * 60_000);

    assertThat(a.ctl()).isZero();
    assertThat(a.phaseBefore()).isEqualTo("baking");
    JsonNode ctl = record(names.ctl(2, 0));
    assertThat(ctl.path("op").asText()).isEqualTo("abort");
    assertThat(ctl.path("reason").asText()).isEqualTo("bad image");
    assertThat(ctl.path("agent").asText()).isEqualTo("alice@laptop");
    RolloutStatus s = status();
    assertThat(s.phase()).isEqualTo("halted");
    assertThat(s.reason()).isEqualTo("aborted: bad image");
    assertThat(s.seats().get(0).state()).isEqualTo("aborted");
    assertThat(s.target()).isEqualTo(1);
    assertThat(canary.agent.applied()).isEqualTo(1);
    assertThat(fleet.agents).allMatch(f -> f.revisionsBegun(2) == (f == canary ? 1 : 0));
    assertThat(catchThrowableOfType(() -> operator.abort("again"), Operator.Refused.class))
        .hasMessageContaining("phase is halted (aborted: bad image)");
  }

  @Test
  void resumeAfterACanaryFailed_forgivesTheAttemptAndTheSeatIsTakenAgain() throws Exception {
    fleetOnRevisionOne();
    canary.healthy = s -> s.revision() != 2;
    fleet.push(2, POLICY);
    fleet.runUntil(() -> exists(names.seat(2, 0, 0)) && phase().equals("halted"), 60_000);
    RolloutStatus halted = status();
    assertThat(halted.reason()).startsWith("canary-failed").contains("health command exited 1");
    assertThat(halted.seats().get(0).state()).isEqualTo("failed");

    Operator.Action a = operator.resume();
    fleet.runUntil(() -> exists(names.seat(2, 0, 1)), 10 * 60_000);

    JsonNode ctl = record(names.ctl(2, a.ctl()));
    assertThat(ctl.path("op").asText()).isEqualTo("resume");
    assertThat(ctl.path("forgives").toString()).isEqualTo("[\"0/0\"]");
    assertThat(ctl.path("failureBase").asInt()).isZero();
    assertThat(a.status().phase()).isNotEqualTo("halted");
    RolloutStatus retried = status();
    assertThat(retried.seats().get(0).attempt()).isEqualTo(1);
    // the forgiven canary itself tries again (its failure of revision 2 no longer bars it)
    assertThat(retried.seats().get(0).agent()).isEqualTo("a1");
    assertThat(retried.phase()).isIn("canary", "baking");
  }

  @Test
  void resumeRefusesARevisionThatIsNotHalted() throws Exception {
    fleetOnRevisionOne();
    fleet.push(2, POLICY);

    Operator.Refused e = catchThrowableOfType(() -> operator.resume(), Operator.Refused.class);

    assertThat(e).hasMessageContaining("phase is pending").hasMessageContaining("halted");
    assertThat(exists(names.ctl(2, 0))).isFalse();
  }

  @Test
  void promoteAfterACanaryFailed_needsForce_thenFollowersRollOut() throws Exception {
    fleetOnRevisionOne();
    canary.healthy = s -> s.revision() != 2;
    fleet.push(2, POLICY);
    fleet.runUntil(() -> exists(names.seat(2, 0, 0)) && phase().equals("halted"), 60_000);

    Operator.Refused e =
        catchThrowableOfType(() -> operator.promote(false), Operator.Refused.class);
    assertThat(e)
        .hasMessageContaining("phase is halted (canary-failed")
        .hasMessageContaining("--force");
    assertThat(exists(names.approved(2))).isFalse();

    Operator.Action a = operator.promote(true);
    assertThat(record(names.approved(2)).path("by").asText()).isEqualTo("operator");
    assertThat(record(names.ctl(2, a.ctl())).path("op").asText()).isEqualTo("promote");
    JsonNode plan = record(names.plan(2));
    List<String> order = new StoreContents(store, names).loadOrder(plan.path("order"));
    assertThat(order).isEqualTo(Plans.order(2, List.of("a2", "a3"), java.util.Set.of()));
    assertThat(a.status().phase()).isEqualTo("approved");

    fleet.runUntil(
        () -> fleet.agents.stream().filter(s -> s != canary).allMatch(s -> s.agent.applied() == 2),
        30 * 60_000);
    assertThat(fleet.agents.stream().filter(s -> s != canary))
        .allMatch(s -> s.agent.applied() == 2);
  }

  @Test
  void promoteOfAPendingRevision_writesThePlanFromTheRegistry() throws Exception {
    fleet.agent("b1");
    fleet.agent("b2");
    fleet.push(1, POLICY);
    fleet.runUntil(() -> fleet.allApplied(1), 60_000);
    fleet.push(2, POLICY); // nobody holds the canary role: it stays pending for a while

    Operator.Action a = operator.promote(false);
    fleet.runUntil(() -> fleet.allApplied(2), 30 * 60_000);

    assertThat(a.phaseBefore()).isEqualTo("pending");
    assertThat(record(names.plan(2)).path("P").asInt()).isEqualTo(1);
    assertThat(fleet.allApplied(2)).isTrue();
    assertThat(catchThrowableOfType(() -> operator.promote(true), Operator.Refused.class))
        .hasMessageContaining("already approved");
  }

  @Test
  void abortOfACompleteRevisionIsRefusedNamingThePhase() throws Exception {
    fleetOnRevisionOne();
    fleet.push(2, POLICY);
    fleet.runUntil(() -> exists(names.complete(2)), 30 * 60_000);

    Operator.Refused e = catchThrowableOfType(() -> operator.abort("late"), Operator.Refused.class);

    assertThat(e).hasMessageContaining("revision 2").hasMessageContaining("phase is complete");
  }

  @Test
  void statusWithAgentsListsRegisteredAgentsOutsideThePlan() throws Exception {
    fleetOnRevisionOne();
    fleet.push(2, POLICY);
    fleet.runUntil(() -> exists(names.approved(2)), 5 * 60_000);
    FleetDriver.Sim late = fleet.agent("a9");
    fleet.runUntil(() -> late.agent.applied() == 2, 60_000);

    RolloutStatus s = operator.status(Optional.of(2L), true);

    assertThat(s.agents())
        .filteredOn(l -> l.kind().equals("planned"))
        .extracting(RolloutStatus.AgentLine::agent)
        .containsExactlyInAnyOrder("a2", "a3");
    assertThat(s.agents())
        .filteredOn(l -> l.kind().equals("unplanned"))
        .extracting(RolloutStatus.AgentLine::agent)
        .containsExactly("a9");
    assertThat(s.toJson().path("agents")).hasSize(3);
  }

  @Test
  void afterAbortThenResumeTheRevisionCountsAsTheTargetAndTheNextPushBuildsOnIt() throws Exception {
    fleetOnRevisionOne();
    fleet.push(2, POLICY);
    fleet.runUntil(() -> exists(names.seat(2, 0, 0)), 60_000);
    operator.abort("not yet");
    fleet.runUntil(() -> phase().equals("halted"), 60_000);
    operator.resume();
    fleet.runUntil(() -> exists(names.complete(2)), 30 * 60_000);
    assertThat(fleet.allApplied(2)).isTrue();

    fleet.push(3, POLICY);

    assertThat(record(names.meta(3)).path("base").asLong()).isEqualTo(2);
    RolloutStatus s = status();
    assertThat(s.revision()).isEqualTo(3);
    assertThat(s.target()).as("an abort followed by a resume is not a halt").isEqualTo(2);
  }
}
