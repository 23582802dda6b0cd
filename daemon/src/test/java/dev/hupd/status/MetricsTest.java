package dev.hupd.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.metadata.Json;
import dev.hupd.testing.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hupd's metrics from one snapshot: names, units, one-hot states, escaped toolchain names. */
class MetricsTest {

  static final Instant T0 = StatusSnapshotTest.T0;

  @TempDir Path dir;

  final ManualClock clock = new ManualClock(T0);
  final StatusBoard board =
      new StatusBoard(new StatusSnapshot.ProcessInfo("1.2.3", 42, T0, "cfn-hup"), clock);

  StatusSnapshot running() {
    board.started(
        "file:/etc/meta",
        new StatusSnapshot.Expectations(Duration.ofMinutes(1), Duration.ofMinutes(10)),
        Duration.ZERO,
        Json.parse(
            "{\"values\":{\"a\":1},\"failures\":{},\"documents\":{"
                + "\"toolchain/jdk \\\"17\\\"\":{\"active\":{\"imageId\":\"sha256:1\"}},"
                + "\"toolchain/node\":{},"
                + "\"rollout/agents\":{\"applied\":7},"
                + "\"bamboo/agent\":{\"state\":\"draining\"}}}"));
    clock.advance(Duration.ofSeconds(2));
    board.passDone(
        new StatusSnapshot.LastPass(
            clock.instant(), Duration.ofMillis(1500), 2, 1, 3, 0, 0, Optional.empty()));
    return board.current();
  }

  String render() {
    return Metrics.render(running(), clock.instant(), OptionalLong.of(50 * 1024 * 1024));
  }

  @Test
  void everyFamilyHasOneHelpAndOneTypeLine() {
    List<String> lines = Arrays.asList(render().split("\n"));

    Map<String, Long> helps = count(lines, "# HELP ");
    Map<String, Long> types = count(lines, "# TYPE ");
    assertThat(helps).isEqualTo(types);
    assertThat(helps.values()).allMatch(n -> n == 1);
    assertThat(helps)
        .containsKeys(
            "hupd_up",
            "hupd_passes_total",
            "hupd_pass_duration_seconds",
            "hupd_actions_total",
            "hupd_read_errors_total",
            "hupd_last_pass_timestamp_seconds",
            "hupd_toolchain_active",
            "hupd_bamboo_agent_state",
            "hupd_process_resident_memory_bytes");
  }

  @Test
  void samplesCarryThePassAndTheRecords() {
    String text = render();

    assertThat(text)
        .contains("hupd_up 1\n")
        .contains("hupd_info{version=\"1.2.3\",mode=\"cfn-hup\"} 1\n")
        .contains("hupd_passes_total 1\n")
        .contains("hupd_pass_duration_seconds_sum 1.5\n")
        .contains("hupd_pass_duration_seconds_count 1\n")
        .contains("hupd_actions_total{result=\"succeeded\"} 1\n")
        .contains("hupd_actions_total{result=\"failed\"} 1\n")
        .contains("hupd_read_errors_total 3\n")
        .contains("hupd_last_pass_timestamp_seconds 1767225602\n")
        .contains("hupd_last_pass_duration_seconds 1.5\n")
        .contains("hupd_hook_values 1\n")
        .contains("hupd_toolchain_active{name=\"jdk \\\"17\\\"\"} 1\n")
        .contains("hupd_toolchain_active{name=\"node\"} 0\n")
        .contains("hupd_fleet_applied_revision{fleet=\"agents\"} 7\n")
        .contains("hupd_bamboo_agent_state{state=\"draining\"} 1\n")
        .contains("hupd_bamboo_agent_state{state=\"online\"} 0\n")
        .contains("hupd_process_resident_memory_bytes 52428800\n");
    assertThat(text.lines().filter(l -> l.startsWith("hupd_bamboo_agent_state{")))
        .filteredOn(l -> l.endsWith(" 1"))
        .hasSize(1);
  }

  @Test
  void beforeAnyPassThereIsNoLastPassFamilyAndNoOptionalOnes() {
    String text = Metrics.render(board.current(), clock.instant(), OptionalLong.empty());

    assertThat(text)
        .contains("hupd_up 0\n")
        .contains("hupd_passes_total 0\n")
        .doesNotContain("hupd_last_pass")
        .doesNotContain("hupd_toolchain_active")
        .doesNotContain("hupd_bamboo_agent_state")
        .doesNotContain("hupd_process_resident_memory_bytes");
  }

  @Test
  void residentMemoryIsReadFromProcStatusInBytes() throws Exception {
    Path status = dir.resolve("status");
    Files.writeString(
        status, "Name:\tjava\nVmHWM:\t  70000 kB\nVmRSS:\t   60000 kB\nThreads:\t20\n");

    assertThat(Metrics.residentBytes(status)).hasValue(60000L * 1024);
    assertThat(Metrics.residentBytes(dir.resolve("absent"))).isEmpty();
  }

  private static Map<String, Long> count(List<String> lines, String prefix) {
    return lines.stream()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()).split(" ")[0])
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }
}
