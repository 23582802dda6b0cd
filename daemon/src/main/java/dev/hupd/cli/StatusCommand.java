package dev.hupd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
      out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
      out.flush();
      return Daemon.EXIT_OK;
    }
    out.println("state:  " + settings.stateDir().resolve(StateStore.FILE_NAME));
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

  private static String shortId(JsonNode image) {
    if (image.isMissingNode() || image.isNull()) {
      return "-";
    }
    String id = image.path("imageId").asText();
    return id.startsWith("sha256:") && id.length() > 19 ? id.substring(0, 19) : id;
  }
}
