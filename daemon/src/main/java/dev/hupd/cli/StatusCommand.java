package dev.hupd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.bamboo.AgentRecord;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import dev.hupd.host.Daemon;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StateStore;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hupd status}: what the state folder says, for humans (or as JSON). Reads without taking
 * the lock, so it works beside a running daemon.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show recorded hook values and toolchains (active, previous, last attempt).")
final class StatusCommand implements Callable<Integer> {

  @ParentCommand Main parent;
  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description = "print the records as JSON: hook values, failures, toolchains, fleet journals")
  boolean json;

  /** {@code bamboo: draining (waiting for the running build: 2m of 30m), agent 131073 …}. */
  static String bambooLine(AgentRecord r) {
    StringBuilder b = new StringBuilder("bamboo: ").append(r.state);
    if (r.reason != null && !r.reason.isEmpty()) {
      b.append(" (").append(r.reason).append(')');
    }
    if (r.since != null) {
      b.append(" since ").append(r.since);
    }
    if (r.agentId != null) {
      b.append("\n        agent ").append(r.agentId);
      if (r.name != null) {
        b.append(" '").append(r.name).append('\'');
      }
      b.append(Boolean.TRUE.equals(r.active) ? ", connected" : ", not connected");
      b.append(Boolean.TRUE.equals(r.enabled) ? ", enabled" : ", disabled");
      b.append(Boolean.TRUE.equals(r.busy) ? ", building" : ", idle");
      if (r.checkedAt != null) {
        b.append(" (as of ").append(r.checkedAt).append(')');
      }
    } else if (r.uuid != null) {
      b.append("\n        uuid ").append(r.uuid).append(", not registered on the master yet");
    }
    if (!r.published.isEmpty()) {
      b.append("\n        capabilities published (")
          .append(r.publishedMode == null ? "?" : r.publishedMode)
          .append("): ");
      b.append(
          String.join(
              ", ",
              r.published.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
    }
    if (r.pendingEnable) {
      b.append("\n        hupd owes an enable once verified and published");
    }
    return b.toString();
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    HupdSettings settings;
    try {
      var where = parent.locations();
      settings = HupdSettings.load(where.settingsFile(), where.settingsExplicit());
    } catch (ConfigException e) {
      for (ConfigProblem p : e.problems()) {
        err.println("error: " + p);
      }
      err.flush();
      return Daemon.EXIT_CONFIG;
    }
    JsonNode root;
    if (!java.nio.file.Files.exists(settings.stateDir().resolve(StateStore.FILE_NAME))) {
      out.println(
          "state:  none yet at " + settings.stateDir() + " (hupd has not run with these settings)");
      serverLine(settings).ifPresent(out::println);
      out.flush();
      return Daemon.EXIT_OK;
    }
    try {
      root = StateStore.peek(settings.stateDir());
    } catch (StateStore.StateException e) {
      err.println("hupd status: " + e.getMessage());
      err.flush();
      return Daemon.EXIT_FAILURE;
    }
    ObjectNode toolchains = Json.MAPPER.createObjectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("documents").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().startsWith("toolchain/")) {
        toolchains.set(e.getKey().substring("toolchain/".length()), e.getValue());
      }
    }
    if (json) {
      ObjectNode all = Json.MAPPER.createObjectNode();
      all.put("state", settings.stateDir().resolve(StateStore.FILE_NAME).toString());
      settings
          .statusListen()
          .ifPresent(l -> all.put("statusServer", "http://" + l.display() + "/status"));
      all.set("values", root.path("values").deepCopy());
      all.set("failures", root.path("failures").deepCopy());
      all.set("toolchains", toolchains);
      ObjectNode fleets = all.putObject("fleets");
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("documents").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().startsWith("rollout/")) {
          fleets.set(e.getKey().substring("rollout/".length()), e.getValue());
        }
      }
      JsonNode bamboo = root.path("documents").path(AgentRecord.DOCUMENT);
      if (!bamboo.isMissingNode()) {
        all.set("bamboo", bamboo.deepCopy());
      }
      out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
      out.flush();
      return Daemon.EXIT_OK;
    }
    out.println("state:  " + settings.stateDir().resolve(StateStore.FILE_NAME));
    dev.hupd.host.InstanceLock.describeHolder(settings.stateDir())
        .ifPresent(
            h ->
                out.println(
                    "hupd:   "
                        + h
                        + (h.startsWith("not")
                            ? " (below: what it recorded when it last ran)"
                            : "")));
    serverLine(settings).ifPresent(out::println);
    out.println(
        "hooks:  "
            + root.path("values").size()
            + " value(s) recorded, "
            + root.path("failures").size()
            + " change(s) failing");
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("documents").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().startsWith("rollout/")) {
        JsonNode j = e.getValue();
        JsonNode hold = j.path("hold");
        out.println(
            "fleet:  "
                + e.getKey().substring("rollout/".length())
                + ", applied revision "
                + j.path("applied").asLong()
                + (j.path("failedRev").asLong() > 0
                    ? ", failed revision " + j.path("failedRev").asLong()
                    : "")
                + (hold.isMissingNode()
                    ? ""
                    : ", holding "
                        + hold.path("kind").asText()
                        + " of revision "
                        + hold.path("rev").asLong()
                        + " ("
                        + hold.path("step").asText()
                        + ")")
                + "  (hupd rollout status shows the fleet)");
      }
    }
    JsonNode bamboo = root.path("documents").path(AgentRecord.DOCUMENT);
    if (!bamboo.isMissingNode()) {
      out.println(bambooLine(AgentRecord.fromJson(bamboo)));
    } else if (settings.bamboo().isPresent()) {
      out.println("bamboo: nothing recorded yet (" + settings.bamboo().get().url() + ")");
    }
    if (toolchains.isEmpty()) {
      out.println("toolchains: none recorded");
    } else {
      out.printf(
          "%-16s %-8s %-22s %-22s %s%n",
          "TOOLCHAIN", "STATUS", "ACTIVE", "PREVIOUS", "LAST ATTEMPT");
      for (Iterator<Map.Entry<String, JsonNode>> it = toolchains.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode t = e.getValue();
        JsonNode last = t.path("last");
        String lastText =
            last.isMissingNode()
                ? "-"
                : last.path("at").asText("?")
                    + " "
                    + last.path("status").asText()
                    + (last.has("error")
                        ? ": " + last.get("error").asText()
                        : " in " + last.path("durationMs").asLong() + "ms");
        out.printf(
            "%-16s %-8s %-22s %-22s %s%n",
            e.getKey(),
            last.path("status").asText(t.path("active").isMissingNode() ? "pending" : "active"),
            shortId(t.path("active")),
            shortId(t.path("previous")),
            lastText);
        if (t.path("active").has("digest")) {
          out.println(
              "  active digest: "
                  + t.path("active").path("digest").asText()
                  + "  ("
                  + t.path("active").path("image").asText()
                  + ")");
        }
      }
    }
    out.flush();
    return Daemon.EXIT_OK;
  }

  /** Where the running daemon answers {@code /status}, when the settings configure a server. */
  static java.util.Optional<String> serverLine(HupdSettings settings) {
    return settings
        .statusListen()
        .map(
            l ->
                l.port() == 0
                    ? "server: a free port on "
                        + l.display().substring(0, l.display().lastIndexOf(':'))
                        + " (event=status.listening in the log names it)"
                    : "server: http://"
                        + l.display()
                        + "/status (also /healthz, /metrics; while hupd runs)");
  }

  private static String shortId(JsonNode image) {
    if (image.isMissingNode() || image.isNull()) {
      return "-";
    }
    String id = image.path("imageId").asText();
    return id.startsWith("sha256:") && id.length() > 19 ? id.substring(0, 19) : id;
  }
}
