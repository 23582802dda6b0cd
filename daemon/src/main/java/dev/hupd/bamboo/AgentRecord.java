package dev.hupd.bamboo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StateStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The agent's durable record, document {@code bamboo/agent} in {@code state.json} (docs/bamboo.md
 * §5.2). Written before every disable, so that a crash while the agent is disabled resumes with
 * verify → publish → enable. Holds no secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class AgentRecord {

  public static final String DOCUMENT = "bamboo/agent";

  public String state = AgentState.UNKNOWN.label();
  public String reason = "";
  public String since;

  /** The host (instance id or fleet agent id) this identity belongs to. */
  public String hostId;

  public String uuid;
  public Long agentId;
  public String name;
  public Boolean active;
  public Boolean enabled;
  public Boolean busy;
  public String checkedAt;
  public String serverVersion;

  /** rest or file, once decided. */
  public String publishedMode;

  /** hupd disabled the agent (and so may enable it again). */
  public boolean disabledByHupd;

  /** A disable was sent and its outcome is not known yet (crash, lost answer). */
  public boolean disableInFlight;

  /** The first enable after registration happened. */
  public boolean firstEnableDone;

  /** hupd owes an enable once the toolchains verify and the capabilities are published. */
  public boolean pendingEnable;

  /**
   * A disruptive pass was skipped after hupd disabled the agent (master lost, build outlasting the
   * drain): the agent stays disabled until a pass has run.
   */
  public boolean switchPending;

  /** The capabilities file changed and the agent still has to restart (when idle) to read it. */
  public boolean restartPending;

  /** What hupd published last (the keys it owns). */
  public Map<String, String> published = new TreeMap<>();

  /** {@code uuid|ip} pairs hupd approved (each at most once). */
  public List<String> approvals = new ArrayList<>();

  /** Why the toolchains are not verified, when they are not. */
  public List<String> unverified = new ArrayList<>();

  public static AgentRecord load(StateStore state) {
    JsonNode node = state.document(DOCUMENT);
    if (node == null || node.isNull() || !node.isObject()) {
      return new AgentRecord();
    }
    try {
      return Json.MAPPER.treeToValue(node, AgentRecord.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return new AgentRecord();
    }
  }

  public static AgentRecord fromJson(JsonNode node) {
    try {
      return node == null || !node.isObject()
          ? new AgentRecord()
          : Json.MAPPER.treeToValue(node, AgentRecord.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return new AgentRecord();
    }
  }

  public JsonNode toJson() {
    return Json.MAPPER.valueToTree(this);
  }

  public AgentState agentState() {
    return AgentState.parse(state);
  }
}
