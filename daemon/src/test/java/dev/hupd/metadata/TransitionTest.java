package dev.hupd.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.hupd.config.Trigger;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** cfn-hup's add/remove/update rules (§2.4), tested in its order with Python truthiness. */
class TransitionTest {

  private static final Set<Trigger> ALL = EnumSet.allOf(Trigger.class);
  private static final Set<Trigger> ADD = EnumSet.of(Trigger.POST_ADD);
  private static final Set<Trigger> UPDATE = EnumSet.of(Trigger.POST_UPDATE);
  private static final Set<Trigger> REMOVE = EnumSet.of(Trigger.POST_REMOVE);
  private static final JsonNode NONE = NullNode.getInstance();

  private static JsonNode json(String text) {
    return Json.parse(text);
  }

  private static Optional<Trigger> decide(Set<Trigger> triggers, String old, String now) {
    return Transition.decide(
        triggers, old == null ? NONE : json(old), now == null ? NONE : json(now));
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        Arguments.of("first run fires add", ALL, null, "{\"a\":1}", Trigger.POST_ADD),
        Arguments.of("{} to data is an add", ALL, "{}", "{\"a\":1}", Trigger.POST_ADD),
        Arguments.of("[] to data is an add", ALL, "[]", "[1]", Trigger.POST_ADD),
        Arguments.of("\"\" to text is an add", ALL, "\"\"", "\"x\"", Trigger.POST_ADD),
        Arguments.of("0 to 1 is an add", ALL, "0", "1", Trigger.POST_ADD),
        Arguments.of("false to true is an add", ALL, "false", "true", Trigger.POST_ADD),
        Arguments.of("data to null is a remove", ALL, "{\"a\":1}", null, Trigger.POST_REMOVE),
        Arguments.of("data to {} is a remove", ALL, "{\"a\":1}", "{}", Trigger.POST_REMOVE),
        Arguments.of("data to [] is a remove", ALL, "[1]", "[]", Trigger.POST_REMOVE),
        Arguments.of("text to \"\" is a remove", ALL, "\"x\"", "\"\"", Trigger.POST_REMOVE),
        Arguments.of("1 to 0 is a remove", ALL, "1", "0", Trigger.POST_REMOVE),
        Arguments.of("0.0 is falsy", ALL, "1", "0.0", Trigger.POST_REMOVE),
        Arguments.of("true to false is a remove", ALL, "true", "false", Trigger.POST_REMOVE),
        Arguments.of("change is an update", ALL, "{\"a\":1}", "{\"a\":2}", Trigger.POST_UPDATE),
        Arguments.of("text change is an update", ALL, "\"1.0\"", "\"1.1\"", Trigger.POST_UPDATE),
        Arguments.of("list order matters", ALL, "[1,2]", "[2,1]", Trigger.POST_UPDATE),
        Arguments.of("type change is an update", ALL, "\"1\"", "1", Trigger.POST_UPDATE),
        Arguments.of("add-only hook on first run", ADD, null, "{\"a\":1}", Trigger.POST_ADD),
        Arguments.of("remove-only hook on removal", REMOVE, "{\"a\":1}", null, Trigger.POST_REMOVE),
        Arguments.of("update-only hook on change", UPDATE, "1", "2", Trigger.POST_UPDATE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void firesTheRuleCfnHupWould(
      String name, Set<Trigger> triggers, String old, String now, Trigger expected) {
    assertThat(decide(triggers, old, now)).contains(expected);
  }

  static Stream<Arguments> silent() {
    return Stream.of(
        Arguments.of("same value", ALL, "{\"a\":1}", "{\"a\":1}"),
        Arguments.of("key order differs", ALL, "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"),
        Arguments.of("1 vs 1.0", ALL, "{\"v\":1}", "{\"v\":1.0}"),
        Arguments.of("100 vs 1e2", ALL, "[100]", "[1e2]"),
        Arguments.of(
            "nested key order",
            ALL,
            "{\"a\":{\"x\":1,\"y\":[{\"p\":1,\"q\":2}]}}",
            "{\"a\":{\"y\":[{\"q\":2,\"p\":1}],\"x\":1}}"),
        Arguments.of("absent stays absent", ALL, null, null),
        Arguments.of("{} to []: both absent", ALL, "{}", "[]"),
        Arguments.of("null to false: both absent", ALL, null, "false"),
        Arguments.of("update-only hook on first run", UPDATE, null, "{\"a\":1}"),
        Arguments.of("update-only hook on removal", UPDATE, "{\"a\":1}", null),
        Arguments.of("update-only hook on return", UPDATE, null, "{\"a\":2}"),
        Arguments.of("add-only hook on change", ADD, "{\"a\":1}", "{\"a\":2}"),
        Arguments.of("add-only hook on removal", ADD, "{\"a\":1}", null),
        Arguments.of("remove-only hook on first run", REMOVE, null, "{\"a\":1}"),
        Arguments.of("remove-only hook on change", REMOVE, "1", "2"),
        Arguments.of("no triggers", EnumSet.noneOf(Trigger.class), null, "1"),
        Arguments.of(
            "update+remove, {} to data",
            EnumSet.of(Trigger.POST_UPDATE, Trigger.POST_REMOVE),
            "{}",
            "{\"a\":1}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("silent")
  void recordsSilently(String name, Set<Trigger> triggers, String old, String now) {
    assertThat(decide(triggers, old, now)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"{}", "[]", "\"\"", "0", "false", "null"})
  void falsyValueCountsAsAbsent(String falsy) {
    assertThat(decide(ALL, falsy, "{\"a\":1}")).contains(Trigger.POST_ADD);
    assertThat(decide(ALL, "{\"a\":1}", falsy)).contains(Trigger.POST_REMOVE);
    assertThat(decide(UPDATE, falsy, "{\"a\":1}")).isEmpty();
  }

  /** §2.4: after a removal an update-only hook records null; the return is silent too. */
  @Test
  void updateOnlyHookFiresOnlyOnTheChangeAfterTheValueCameBack() {
    String v1 = "{\"config\":1}";
    String v2 = "{\"config\":2}";
    String v3 = "{\"config\":3}";

    assertThat(decide(UPDATE, null, v1)).as("first run").isEmpty();
    assertThat(decide(UPDATE, v1, null)).as("removed").isEmpty();
    assertThat(decide(UPDATE, null, v2)).as("back again").isEmpty();
    assertThat(decide(UPDATE, v2, v3)).as("next change").contains(Trigger.POST_UPDATE);
  }

  /** C01: the API returns the old metadata again; nothing fires whatever the timestamp says. */
  @Test
  void staleServerDataFiresNothing() {
    String stale = "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\"}}}}";
    String fresh = "{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.1\"}}}}";

    assertThat(decide(ALL, stale, stale)).isEmpty();
    assertThat(decide(ALL, stale, fresh)).contains(Trigger.POST_UPDATE);
  }

  @Test
  void addWinsOverUpdateAndRemoveWinsOverUpdate() {
    assertThat(decide(EnumSet.of(Trigger.POST_ADD, Trigger.POST_UPDATE), "{}", "{\"a\":1}"))
        .contains(Trigger.POST_ADD);
    assertThat(decide(EnumSet.of(Trigger.POST_REMOVE, Trigger.POST_UPDATE), "{\"a\":1}", "{}"))
        .contains(Trigger.POST_REMOVE);
  }
}
