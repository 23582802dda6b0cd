package dev.hupd.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The {@code /status} JSON: process, loop health, last pass, totals, and the state records as
 * {@code hupd status --json} shows them (toolchains, fleet journals, the Bamboo agent record).
 */
public final class StatusDocument {

  private StatusDocument() {}

  /** Renders {@code s} as seen at {@code now}. */
  public static String render(StatusSnapshot s, Instant now) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("version", s.process().version());
    root.put("pid", s.process().pid());
    root.put("mode", s.process().mode());
    root.put("startedAt", s.process().startedAt().toString());
    root.put("uptimeSeconds", Duration.between(s.process().startedAt(), now).toSeconds());
    root.put("source", s.source());
    root.put("phase", s.phase().name().toLowerCase(java.util.Locale.ROOT));
    StatusSnapshot.Health health = s.health(now);
    root.putObject("health").put("ok", health.ok()).put("reason", health.reason());
    loop(root, s);
    totals(root.putObject("totals"), s.totals());
    state(root, s.state());
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain nodes always serializes", e);
    }
  }

  private static void loop(ObjectNode root, StatusSnapshot s) {
    ObjectNode loop = root.putObject("loop");
    loop.put("intervalSeconds", s.expectations().interval().toSeconds());
    s.busySince().ifPresent(t -> loop.put("busySince", t.toString()));
    loop.put("nextWakeBy", s.dueBy().toString());
    if (s.lastPass().isEmpty()) {
      root.putNull("lastPass");
      return;
    }
    StatusSnapshot.LastPass p = s.lastPass().get();
    ObjectNode last = root.putObject("lastPass");
    last.put("endedAt", p.endedAt().toString());
    last.put("durationSeconds", p.duration().toNanos() / 1e9);
    last.put("actionsRun", p.actionsRun());
    last.put("actionsFailed", p.actionsFailed());
    last.put("readErrors", p.readErrors());
    last.put("stateErrors", p.stateErrors());
    last.put("stepErrors", p.stepErrors());
    p.skippedReason().ifPresentOrElse(r -> last.put("skipped", r), () -> last.putNull("skipped"));
  }

  private static void totals(ObjectNode t, StatusSnapshot.Totals totals) {
    t.put("passes", totals.passes());
    t.put("skippedPasses", totals.skippedPasses());
    t.put("actionsSucceeded", totals.actionsSucceeded());
    t.put("actionsFailed", totals.actionsFailed());
    t.put("readErrors", totals.readErrors());
  }

  private static void state(ObjectNode root, StateView state) {
    ObjectNode hooks = root.putObject("hooks");
    hooks.put("values", state.hookValues());
    hooks.put("failingChanges", state.failingChanges());
    ObjectNode toolchains = root.putObject("toolchains");
    for (Map.Entry<String, JsonNode> t : state.toolchains().entrySet()) {
      toolchains.set(t.getKey(), t.getValue().deepCopy());
    }
    ObjectNode fleets = root.putObject("fleets");
    for (Map.Entry<String, JsonNode> f : state.fleets().entrySet()) {
      fleets.set(f.getKey(), f.getValue().deepCopy());
    }
    state.bambooJson().ifPresentOrElse(b -> root.set("bamboo", b), () -> root.putNull("bamboo"));
  }
}
