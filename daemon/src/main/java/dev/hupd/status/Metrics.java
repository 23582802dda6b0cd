package dev.hupd.status;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.bamboo.AgentRecord;
import dev.hupd.bamboo.AgentState;
import dev.hupd.status.MetricsWriter.Type;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/** hupd's metrics, in seconds and bytes, rendered from one {@link StatusSnapshot}. */
public final class Metrics {

  static final Path PROC_STATUS = Path.of("/proc/self/status");

  private Metrics() {}

  /** The {@code /metrics} body for {@code s} at {@code now}, with the process RSS if known. */
  public static String render(StatusSnapshot s, Instant now, OptionalLong residentBytes) {
    MetricsWriter w = new MetricsWriter();
    process(w, s, now, residentBytes);
    passes(w, s);
    hooks(w, s.state());
    toolchains(w, s.state());
    fleets(w, s.state());
    bamboo(w, s.state());
    return w.text();
  }

  private static void process(
      MetricsWriter w, StatusSnapshot s, Instant now, OptionalLong residentBytes) {
    w.family("hupd_up", Type.GAUGE, "1 when the daemon loop is alive (/healthz answers 200).")
        .sample(s.health(now).ok() ? 1 : 0);
    w.family("hupd_info", Type.GAUGE, "hupd's version and mode; always 1.")
        .sample(labels("version", s.process().version(), "mode", s.process().mode()), 1);
    w.family("hupd_start_time_seconds", Type.GAUGE, "When this hupd started, in Unix seconds.")
        .sample(seconds(s.process().startedAt()));
    if (residentBytes.isPresent()) {
      w.family(
              "hupd_process_resident_memory_bytes",
              Type.GAUGE,
              "Resident memory of the hupd process (VmRSS).")
          .sample(residentBytes.getAsLong());
    }
  }

  private static void passes(MetricsWriter w, StatusSnapshot s) {
    StatusSnapshot.Totals t = s.totals();
    w.family("hupd_passes_total", Type.COUNTER, "Passes finished, skipped ones included.")
        .sample(t.passes());
    w.family("hupd_skipped_passes_total", Type.COUNTER, "Passes a gate (Bamboo drain) skipped.")
        .sample(t.skippedPasses());
    w.family("hupd_pass_duration_seconds", Type.SUMMARY, "Time passes took.")
        .sample("_sum", Map.of(), t.passSeconds())
        .sample("_count", Map.of(), t.passes());
    w.family("hupd_actions_total", Type.COUNTER, "Hook actions run, by result.")
        .sample(labels("result", "succeeded"), t.actionsSucceeded())
        .sample(labels("result", "failed"), t.actionsFailed());
    w.family(
            "hupd_read_errors_total",
            Type.COUNTER,
            "Resources that could not be read, or paths not resolved, summed over passes.")
        .sample(t.readErrors());
    if (s.lastPass().isPresent()) {
      StatusSnapshot.LastPass p = s.lastPass().get();
      w.family(
              "hupd_last_pass_timestamp_seconds",
              Type.GAUGE,
              "When the latest pass ended, in Unix seconds.")
          .sample(seconds(p.endedAt()));
      w.family("hupd_last_pass_duration_seconds", Type.GAUGE, "How long the latest pass took.")
          .sample(p.duration().toNanos() / 1e9);
    }
  }

  private static void hooks(MetricsWriter w, StateView state) {
    w.family("hupd_hook_values", Type.GAUGE, "Last-seen hook values recorded in the state file.")
        .sample(state.hookValues());
    w.family(
            "hupd_hook_failing_changes",
            Type.GAUGE,
            "Changes whose hook actions failed and are retried.")
        .sample(state.failingChanges());
  }

  private static void toolchains(MetricsWriter w, StateView state) {
    if (state.toolchains().isEmpty()) {
      return;
    }
    w.family(
        "hupd_toolchain_active", Type.GAUGE, "1 when the toolchain has a verified image in use.");
    for (Map.Entry<String, JsonNode> t : state.toolchains().entrySet()) {
      w.sample(labels("name", t.getKey()), StateView.active(t.getValue()) ? 1 : 0);
    }
  }

  private static void fleets(MetricsWriter w, StateView state) {
    if (state.fleets().isEmpty()) {
      return;
    }
    w.family(
        "hupd_fleet_applied_revision", Type.GAUGE, "The fleet revision this host last applied.");
    for (Map.Entry<String, JsonNode> f : state.fleets().entrySet()) {
      w.sample(labels("fleet", f.getKey()), f.getValue().path("applied").asLong());
    }
  }

  private static void bamboo(MetricsWriter w, StateView state) {
    if (state.bamboo().isEmpty()) {
      return;
    }
    AgentRecord r = state.bamboo().get();
    AgentState current = r.agentState();
    w.family(
        "hupd_bamboo_agent_state",
        Type.GAUGE,
        "1 for the Bamboo agent's current state (docs/bamboo.md), 0 for the others.");
    for (AgentState a : AgentState.values()) {
      w.sample(labels("state", a.label()), a == current ? 1 : 0);
    }
  }

  /** VmRSS from {@code /proc/self/status}, in bytes; empty where there is no such file. */
  public static OptionalLong residentBytes() {
    return residentBytes(PROC_STATUS);
  }

  static OptionalLong residentBytes(Path procStatus) {
    try {
      for (String line : Files.readAllLines(procStatus, StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          String kib = line.substring(6).strip().replaceAll("\\s*kB$", "");
          return OptionalLong.of(Long.parseLong(kib) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  private static double seconds(Instant t) {
    return t.getEpochSecond() + t.getNano() / 1e9;
  }

  private static Map<String, String> labels(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
