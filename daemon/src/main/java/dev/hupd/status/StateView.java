package dev.hupd.status;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.bamboo.AgentRecord;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The parts of the state file the status server shows, as {@code hupd status --json} reads them:
 * hook value and failure counts, {@code toolchain/*}, {@code rollout/*} and {@code bamboo/agent}.
 * Built from a private copy and never changed afterwards, so the server thread may read it while
 * the daemon keeps writing its state.
 *
 * @param hookValues last-seen values recorded
 * @param failingChanges changes whose actions failed and are retried
 * @param toolchains toolchain records by name
 * @param fleets rollout journals by fleet name
 * @param bamboo the Bamboo agent record, if one was written
 */
public record StateView(
    int hookValues,
    int failingChanges,
    SortedMap<String, JsonNode> toolchains,
    SortedMap<String, JsonNode> fleets,
    Optional<AgentRecord> bamboo) {

  public static final StateView EMPTY =
      new StateView(0, 0, new TreeMap<>(), new TreeMap<>(), Optional.empty());

  public StateView {
    toolchains = Collections.unmodifiableSortedMap(new TreeMap<>(toolchains));
    fleets = Collections.unmodifiableSortedMap(new TreeMap<>(fleets));
  }

  /**
   * Reads a state root ({@link dev.hupd.metadata.StateStore#snapshot()} or the state file); the
   * caller hands over {@code root} and must not change it afterwards.
   */
  public static StateView of(JsonNode root) {
    SortedMap<String, JsonNode> toolchains = new TreeMap<>();
    SortedMap<String, JsonNode> fleets = new TreeMap<>();
    JsonNode documents = root.path("documents");
    for (Iterator<Map.Entry<String, JsonNode>> it = documents.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().startsWith("toolchain/")) {
        toolchains.put(e.getKey().substring("toolchain/".length()), e.getValue());
      } else if (e.getKey().startsWith("rollout/")) {
        fleets.put(e.getKey().substring("rollout/".length()), e.getValue());
      }
    }
    JsonNode agent = documents.path(AgentRecord.DOCUMENT);
    Optional<AgentRecord> bamboo =
        agent.isObject() ? Optional.of(AgentRecord.fromJson(agent)) : Optional.empty();
    return new StateView(
        root.path("values").size(), root.path("failures").size(), toolchains, fleets, bamboo);
  }

  /** Whether a toolchain has a verified image in use (it was activated and not retired since). */
  public static boolean active(JsonNode toolchain) {
    JsonNode active = toolchain.path("active");
    boolean has = active.isObject() && active.size() > 0;
    return has && !toolchain.path("last").path("status").asText().equals("retired");
  }

  /** The Bamboo record as JSON, through {@link AgentRecord} so that only its fields appear. */
  public Optional<JsonNode> bambooJson() {
    return bamboo.map(AgentRecord::toJson);
  }
}
