package dev.hupd.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.config.HookDefinition;
import dev.hupd.config.Trigger;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.source.SourceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hook processing across passes: cfn-hup's rules, plus state durability and failure caps. */
class HooksStepTest {

  @TempDir Path dir;
  Path log;
  InMemorySource source;

  @BeforeEach
  void setUp() {
    log = dir.resolve("actions.log");
    source = new InMemorySource();
  }

  HookDefinition hook(
      String name, String path, Set<Trigger> triggers, String action, OptionalInt maxFailures) {
    String[] err = new String[1];
    MetadataPath p = MetadataPath.parse(path, err).orElseThrow();
    return new HookDefinition(
        name, triggers, p, action, Optional.empty(), Optional.empty(), maxFailures, dir, 1);
  }

  /** An action that appends "<name> <trigger env>" to the log. */
  String recordingAction(String name) {
    return "echo \"" + name + " old=${CFN_OLD_METADATA:-} new=${CFN_NEW_METADATA:-}\" >> " + log;
  }

  PassReport pass(List<HookDefinition> hooks) throws Exception {
    StateStore state = StateStore.open(dir.resolve("state"), Optional.empty());
    HooksStep step =
        new HooksStep(
            hooks,
            new ActionRunner(System.getenv(), 022),
            Duration.ofSeconds(20),
            OptionalInt.empty(),
            new LogLimiter());
    return new Pipeline(source, state, List.of(step)).runPass(() -> false);
  }

  List<String> actions() throws Exception {
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  @Test
  void firstPassFiresAddAndUpdateOnlyHookRecordsSilently() throws Exception {
    source.put("LT", "{\"a\":{\"v\":1}}");
    var hooks =
        List.of(
            hook(
                "adder",
                "Resources.LT.Metadata.a",
                EnumSet.of(Trigger.POST_ADD),
                recordingAction("adder"),
                OptionalInt.empty()),
            hook(
                "updater",
                "Resources.LT.Metadata.a",
                EnumSet.of(Trigger.POST_UPDATE),
                recordingAction("updater"),
                OptionalInt.empty()));
    pass(hooks);
    assertThat(actions()).containsExactly("adder old= new={\"v\": 1}");
    pass(hooks);
    assertThat(actions()).hasSize(1);
    source.put("LT", "{\"a\":{\"v\":2}}");
    pass(hooks);
    assertThat(actions())
        .containsExactly("adder old= new={\"v\": 1}", "updater old={\"v\": 1} new={\"v\": 2}");
  }

  @Test
  void oneReadPerLogicalIdPerPassEvenWhenItFails() throws Exception {
    source.put("LT", "{\"a\":1}");
    var hooks =
        List.of(
            hook(
                "h1",
                "Resources.LT.Metadata.a",
                EnumSet.of(Trigger.POST_UPDATE),
                "true",
                OptionalInt.empty()),
            hook(
                "h2",
                "Resources.LT.Metadata",
                EnumSet.of(Trigger.POST_UPDATE),
                "true",
                OptionalInt.empty()),
            hook(
                "h3",
                "Resources.LT.PhysicalResourceId",
                EnumSet.of(Trigger.POST_UPDATE),
                "true",
                OptionalInt.empty()));
    pass(hooks);
    assertThat(source.calls).containsExactly("LT");
    source.failNext(new SourceException(SourceException.Kind.SERVER, "boom"));
    PassReport r = pass(hooks);
    assertThat(source.calls).containsExactly("LT", "LT");
    assertThat(r.readErrors()).isEqualTo(3);
  }

  @Test
  void readFailureIsNeverARemoveAndNothingIsForgotten() throws Exception {
    source.put("LT", "{\"a\":1}");
    var hooks =
        List.of(
            hook(
                "h",
                "Resources.LT.Metadata.a",
                EnumSet.allOf(Trigger.class),
                recordingAction("h"),
                OptionalInt.empty()));
    pass(hooks);
    assertThat(actions()).hasSize(1);
    for (SourceException.Kind kind : SourceException.Kind.values()) {
      source.failNext(new SourceException(kind, "outage " + kind));
      pass(hooks);
    }
    assertThat(actions()).as("no hook fires during an outage").hasSize(1);
    assertThat(
            StateStore.open(dir.resolve("state"), Optional.empty())
                .get("h|Resources.LT.Metadata.a")
                .asInt())
        .isEqualTo(1);
    source.put("LT", "{\"a\":2}");
    pass(hooks);
    assertThat(actions()).last().isEqualTo("h old=1 new=2");
  }

  @Test
  void inProgressResourceIsSkippedWithoutStateWrite() throws Exception {
    source.put("LT", "{\"a\":1}");
    var hooks =
        List.of(
            hook(
                "h",
                "Resources.LT.Metadata.a",
                EnumSet.allOf(Trigger.class),
                recordingAction("h"),
                OptionalInt.empty()));
    pass(hooks);
    source.put("LT", "UPDATE_IN_PROGRESS", "{\"a\":2}");
    pass(hooks);
    assertThat(actions()).hasSize(1);
    source.put("LT", "UPDATE_COMPLETE", "{\"a\":2}");
    pass(hooks);
    assertThat(actions()).hasSize(2).last().isEqualTo("h old=1 new=2");
  }

  @Test
  void failingActionLeavesStateAndIsRetriedUntilItSucceeds() throws Exception {
    Path gate = dir.resolve("gate");
    source.put("LT", "{\"a\":1}");
    String action = "echo try >> " + log + "; test -e " + gate;
    var hooks =
        List.of(
            hook(
                "h",
                "Resources.LT.Metadata.a",
                EnumSet.of(Trigger.POST_ADD),
                action,
                OptionalInt.empty()));
    assertThat(pass(hooks).actionsFailed()).isEqualTo(1);
    assertThat(pass(hooks).actionsFailed()).isEqualTo(1);
    Files.createFile(gate);
    assertThat(pass(hooks).clean()).isTrue();
    pass(hooks);
    assertThat(actions()).hasSize(3);
  }

  @Test
  void maxFailuresStopsRetryingThatChangeUntilTheValueMovesOn() throws Exception {
    source.put("LT", "{\"a\":1}");
    String action = "echo try >> " + log + "; exit 1";
    var hooks =
        List.of(
            hook(
                "h",
                "Resources.LT.Metadata.a",
                EnumSet.of(Trigger.POST_ADD, Trigger.POST_UPDATE),
                action,
                OptionalInt.of(2)));
    for (int i = 0; i < 5; i++) {
      pass(hooks);
    }
    assertThat(actions()).hasSize(2);
    source.put("LT", "{\"a\":3}");
    pass(hooks);
    assertThat(actions()).as("a new value gets fresh attempts").hasSize(3);
  }

  @Test
  void c01_sameValueNewerTimestampIsNoChange_keyOrderIsNoChange_realChangeFiresOnce()
      throws Exception {
    source.put(
        "LT",
        "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\",\"mode\":\"000644\"}}}}");
    var hooks =
        List.of(
            hook(
                "reloader",
                "Resources.LT.Metadata.config",
                EnumSet.of(Trigger.POST_UPDATE),
                recordingAction("reloader"),
                OptionalInt.empty()));
    pass(hooks);
    source.put(
        "LT",
        "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\",\"mode\":\"000644\"}}}}");
    pass(hooks);
    source.put(
        "LT",
        "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"mode\":\"000644\",\"content\":\"1.0\"}}}}");
    pass(hooks);
    assertThat(actions()).isEmpty();
    source.put(
        "LT",
        "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.1\",\"mode\":\"000644\"}}}}");
    pass(hooks);
    pass(hooks);
    assertThat(actions())
        .containsExactly(
            "reloader old={\"files\": {\"/etc/tool.ver\": {\"content\": \"1.0\", \"mode\": \"000644\"}}}"
                + " new={\"files\": {\"/etc/tool.ver\": {\"content\": \"1.1\", \"mode\": \"000644\"}}}");
  }
}
