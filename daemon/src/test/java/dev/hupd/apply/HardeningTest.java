package dev.hupd.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.config.CfnHupConfig;
import dev.hupd.config.ConfigException;
import dev.hupd.config.Durations;
import dev.hupd.config.HookDefinition;
import dev.hupd.config.Trigger;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.source.FileMetadataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regressions for what an adversarial review of the core found. */
class HardeningTest {

  @TempDir Path dir;

  HookDefinition hook(String path, String action, OptionalInt maxFailures) {
    MetadataPath p = MetadataPath.parse(path, new String[1]).orElseThrow();
    return new HookDefinition(
        "h",
        EnumSet.allOf(Trigger.class),
        p,
        action,
        Optional.empty(),
        Optional.empty(),
        maxFailures,
        dir,
        1);
  }

  @Test
  void aTruncatedMetadataFileIsAnUnreadableResourceNotARemoval() throws Exception {
    Path meta = Files.createDirectories(dir.resolve("meta"));
    Files.writeString(meta.resolve("R.json"), "{\"k\":\"v1\"}");
    Path log = dir.resolve("fired");
    HookDefinition h =
        hook("Resources.R.Metadata.k", "echo \"$CFN_NEW_METADATA\" >> " + log, OptionalInt.empty());
    try (FileMetadataSource source = new FileMetadataSource(meta)) {
      StateStore state = StateStore.open(dir.resolve("state"), Optional.empty());
      Pipeline p =
          new Pipeline(
              source,
              state,
              List.of(
                  new HooksStep(
                      List.of(h),
                      new ActionRunner(System.getenv(), 022),
                      Duration.ofSeconds(10),
                      OptionalInt.empty(),
                      new LogLimiter())));
      p.runPass(() -> false);
      Files.writeString(meta.resolve("R.json"), ""); // a writer truncated it and is not done yet
      PassReport r = p.runPass(() -> false);
      assertThat(r.readErrors()).isEqualTo(1);
      Files.writeString(meta.resolve("R.json"), "{\"k\":\"v2\"}");
      p.runPass(() -> false);
    }
    assertThat(Files.readAllLines(log)).containsExactly("v1", "v2");
  }

  @Test
  void anActionAbortedByShutdownDoesNotCountAgainstMaxFailures() throws Exception {
    InMemorySource source = new InMemorySource().put("R", "{\"k\":1}");
    HookDefinition h = hook("Resources.R.Metadata.k", "sleep 30", OptionalInt.of(1));
    StateStore state = StateStore.open(dir.resolve("state"), Optional.empty());
    ActionRunner stopping = new ActionRunner(System.getenv(), 022);
    stopping.stopWithin(Duration.ZERO);
    new Pipeline(
            source,
            state,
            List.of(
                new HooksStep(
                    List.of(h),
                    stopping,
                    Duration.ofMinutes(1),
                    OptionalInt.empty(),
                    new LogLimiter())))
        .runPass(() -> false);
    HookDefinition quick = hook("Resources.R.Metadata.k", "true", OptionalInt.of(1));
    PassReport after =
        new Pipeline(
                source,
                state,
                List.of(
                    new HooksStep(
                        List.of(quick),
                        new ActionRunner(System.getenv(), 022),
                        Duration.ofMinutes(1),
                        OptionalInt.empty(),
                        new LogLimiter())))
            .runPass(() -> false);
    assertThat(after.actionsRun()).as("retried after the restart, not given up").isEqualTo(1);
    assertThat(after.clean()).isTrue();
  }

  @Test
  void hugeExponentsStayCheap() {
    var node = Json.parse("{\"k\": 1e999999999}");
    assertThat(Json.canonical(node)).hasSizeLessThan(64);
    assertThat(Json.forEnvironment(node)).isEqualTo("{\"k\": Infinity}");
  }

  @Test
  void configFilesAreReadAsPythonTwoReadsThem() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("cfn/hooks.d"));
    Files.write(
        dir.resolve("cfn/cfn-hup.conf"),
        "# G\u00e9r\u00e9\n[main]\nstack=s\n".getBytes(StandardCharsets.ISO_8859_1));
    Files.writeString(
        conf.resolve("h.conf"),
        "[h]\ntriggers=post.add\npath=Resources.R.Metadata\naction=echo a\u2028b\rc\n");
    Files.writeString(conf.resolve("h.conf.dpkg-bak"), "[h]\naction=echo OLD\n");
    Files.writeString(conf.resolve("#h.conf#"), "[h]\naction=echo OLD\n");
    CfnHupConfig c = CfnHupConfig.load(dir.resolve("cfn"));
    assertThat(c.hooks())
        .singleElement()
        .extracting(HookDefinition::action)
        .isEqualTo("echo a\u2028b\rc");
    assertThat(c.warnings().toString())
        .contains("not valid UTF-8")
        .contains("h.conf.dpkg-bak")
        .contains("#h.conf#");
  }

  @Test
  void absurdValuesAreConfigurationErrors() throws Exception {
    assertThat(Durations.parse("999999999h")).isEmpty();
    Path conf = Files.createDirectories(dir.resolve("cfn2/hooks.d"));
    Files.writeString(dir.resolve("cfn2/cfn-hup.conf"), "[main]\nstack=s\nregion=eu west 1\n");
    Files.writeString(
        conf.resolve("h.conf"),
        "[h]\ntriggers=post.add\npath=Resources.R\naction=true\ntimeout=999999999h\n");
    assertThatThrownBy(() -> CfnHupConfig.load(dir.resolve("cfn2")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cfn-hup.conf:3: [main] region")
        .hasMessageContaining("h.conf:5: [h] timeout");
  }

  @Test
  void stateWithoutAValuesObjectIsRefusedAndARemovedFolderIsNotSilentlyRecreated()
      throws Exception {
    Path stateDir = Files.createDirectories(dir.resolve("state"));
    Files.writeString(
        stateDir.resolve("state.json"), "{\"format\":\"hupd-state/1\",\"values\":[]}");
    assertThatThrownBy(() -> StateStore.open(stateDir, Optional.empty()))
        .hasMessageContaining("state.json");
    Files.delete(stateDir.resolve("state.json"));
    StateStore store = StateStore.open(stateDir, Optional.empty());
    Files.delete(stateDir.resolve("state.json"));
    Files.delete(stateDir);
    // recreating it would drop the instance lock with it: the write fails, the daemon exits
    assertThatThrownBy(() -> store.put("h|p", Json.parse("1")))
        .isInstanceOf(StateStore.StateException.class)
        .hasMessageContaining("removed");
  }

  @Test
  void replacingTheWholeFolderKeepsTheWatchAlive() throws Exception {
    Path meta = Files.createDirectories(dir.resolve("meta"));
    Files.writeString(meta.resolve("R.json"), "{}");
    AtomicInteger events = new AtomicInteger();
    CountDownLatch[] latch = {new CountDownLatch(1)};
    try (FileMetadataSource source = new FileMetadataSource(meta)) {
      source.watch(
          () -> {
            events.incrementAndGet();
            latch[0].countDown();
          });
      Files.move(meta, dir.resolve("meta.old"));
      Files.createDirectories(meta);
      Files.writeString(meta.resolve("R.json"), "{\"k\":1}");
      assertThat(latch[0].await(3, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(300);
      latch[0] = new CountDownLatch(1);
      Files.writeString(meta.resolve("R.json"), "{\"k\":2}");
      assertThat(latch[0].await(3, TimeUnit.SECONDS))
          .as("edits in the new folder are seen")
          .isTrue();
    }
  }

  @Test
  void jsonBeyondTheParserLimitsIsInvalidNotACrash() {
    String deep = "[".repeat(1500) + "]".repeat(1500);
    assertThatThrownBy(() -> Json.parse(deep))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid JSON");
    String longNumber = "{\"x\":1" + "0".repeat(1200) + "}";
    assertThatThrownBy(() -> Json.parse(longNumber)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fractionsCompareAsPythonFloats() {
    assertThat(Json.truthy(Json.parse("1e-400"))).as("underflows to 0.0 in Python").isFalse();
    assertThat(Json.same(Json.parse("0.1"), Json.parse("0.10000000000000000001"))).isTrue();
    assertThat(Json.same(Json.parse("1e999999999"), Json.parse("2e999999999")))
        .as("both inf")
        .isTrue();
    assertThat(Json.same(Json.parse("1"), Json.parse("1.0"))).isTrue();
    assertThat(
            Json.same(Json.parse("12345678901234567890123"), Json.parse("12345678901234567890124")))
        .as("ints stay exact")
        .isFalse();
  }

  @Test
  void intervalBeyondAYearIsAConfigurationError() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("cfn3/hooks.d"));
    Files.writeString(dir.resolve("cfn3/cfn-hup.conf"), "[main]\nstack=s\ninterval=999999999\n");
    Files.writeString(
        conf.resolve("h.conf"), "[h]\ntriggers=post.add\npath=Resources.R\naction=true\n");
    assertThatThrownBy(() -> CfnHupConfig.load(dir.resolve("cfn3")))
        .hasMessageContaining("cfn-hup.conf:3: [main] interval");
  }
}
