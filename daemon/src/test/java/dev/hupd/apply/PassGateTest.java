package dev.hupd.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.config.HookDefinition;
import dev.hupd.config.Trigger;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline asks its gate before each pass whether the steps may run, and reports after. */
class PassGateTest {

  @TempDir Path dir;
  InMemorySource source;
  StateStore state;
  Path log;
  final List<String> calls = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    source = new InMemorySource();
    state = StateStore.open(dir.resolve("state"), Optional.empty());
    log = dir.resolve("actions.log");
  }

  HooksStep hooks(OptionalInt maxFailures, String action) {
    MetadataPath p = MetadataPath.parse("Resources.LT.Metadata.a", new String[1]).orElseThrow();
    return new HooksStep(
        List.of(
            new HookDefinition(
                "h",
                EnumSet.of(Trigger.POST_ADD, Trigger.POST_UPDATE),
                p,
                action,
                Optional.empty(),
                Optional.empty(),
                maxFailures,
                dir,
                1)),
        new ActionRunner(System.getenv(), 022),
        Duration.ofSeconds(20),
        OptionalInt.empty(),
        new LogLimiter());
  }

  PassGate gate(PassGate.Decision answer) {
    return new PassGate() {
      @Override
      public Decision before(PassContext context, boolean disruptive) {
        calls.add("before disruptive=" + disruptive);
        return answer;
      }

      @Override
      public void after(PassContext context, PassReport report) {
        calls.add("after actions=" + report.actionsRun());
      }
    };
  }

  PassReport pass(HooksStep step, PassGate gate) {
    return new Pipeline(source, state, List.of(step), gate).runPass(() -> false);
  }

  @Test
  void aChangeIsDisruptiveAndRunsBetweenBeforeAndAfter_noChangeIsNot() throws Exception {
    HooksStep step = hooks(OptionalInt.empty(), "echo ran >> " + log);
    source.put("LT", "{\"a\":1}");
    PassReport r = pass(step, gate(PassGate.PROCEED));
    assertThat(calls).containsExactly("before disruptive=true", "after actions=1");
    assertThat(r.clean()).isTrue();
    calls.clear();
    pass(step, gate(PassGate.PROCEED));
    assertThat(calls).containsExactly("before disruptive=false", "after actions=0");
  }

  @Test
  void aSkippedPassRunsNoStepRecordsNothingAndIsNotClean() throws Exception {
    HooksStep step = hooks(OptionalInt.empty(), "echo ran >> " + log);
    source.put("LT", "{\"a\":1}");
    PassReport r = pass(step, gate(new PassGate.Decision.Skip("agent busy")));
    assertThat(calls).containsExactly("before disruptive=true");
    assertThat(Files.exists(log)).isFalse();
    assertThat(r.skippedReason()).contains("agent busy");
    assertThat(r.clean()).isFalse();
    assertThat(state.get("h|Resources.LT.Metadata.a").isNull()).as("nothing recorded").isTrue();
    calls.clear();
    pass(step, gate(PassGate.PROCEED));
    assertThat(calls).containsExactly("before disruptive=true", "after actions=1");
    assertThat(Files.readAllLines(log)).containsExactly("ran");
  }

  @Test
  void aRetryIsDisruptiveUntilItsFailureCapIsReached() throws Exception {
    HooksStep step = hooks(OptionalInt.of(2), "exit 3");
    source.put("LT", "{\"a\":1}");
    pass(step, gate(PassGate.PROCEED));
    pass(step, gate(PassGate.PROCEED));
    calls.clear();
    pass(step, gate(PassGate.PROCEED));
    assertThat(calls).containsExactly("before disruptive=false", "after actions=0");
  }

  @Test
  void withoutAGateNothingIsAsked() throws Exception {
    HooksStep step = hooks(OptionalInt.empty(), "echo ran >> " + log);
    source.put("LT", "{\"a\":1}");
    PassReport r = new Pipeline(source, state, List.of(step)).runPass(() -> false);
    assertThat(r.actionsRun()).isEqualTo(1);
    assertThat(calls).isEmpty();
  }
}
