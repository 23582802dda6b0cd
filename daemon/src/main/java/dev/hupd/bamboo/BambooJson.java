package dev.hupd.bamboo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Reads the master's JSON shapes (R§3) from parsed trees. Fields hupd does not use are ignored; a
 * field it needs that is missing or of the wrong type is an {@link IllegalArgumentException}, which
 * the client reports as a protocol error.
 */
final class BambooJson {

  private BambooJson() {}

  static RemoteAgent agent(JsonNode node) {
    requireObject(node, "an agent");
    JsonNode id = node.path("id");
    if (!id.isIntegralNumber() || !id.canConvertToLong()) {
      throw new IllegalArgumentException("agent has no numeric \"id\": " + node);
    }
    return new RemoteAgent(
        id.longValue(),
        text(node, "name"),
        node.path("type").asText(""),
        bool(node, "active"),
        bool(node, "enabled"),
        bool(node, "busy"));
  }

  /** {@code /agent/{id}} wraps the agent in {@code general}; the enable/disable reply may not. */
  static RemoteAgent agentInformation(JsonNode node) {
    requireObject(node, "agent information");
    return agent(node.has("general") ? node.get("general") : node);
  }

  static AgentAuthentication authentication(JsonNode node) {
    requireObject(node, "an agent authentication");
    return new AgentAuthentication(
        text(node, "uuid"), node.path("ip").asText(""), bool(node, "approved"));
  }

  static Capability capability(JsonNode node) {
    requireObject(node, "a capability");
    JsonNode source = node.path("source");
    return new Capability(
        text(node, "key"),
        node.path("value").asText(""),
        source.isValueNode() && !source.isNull() ? source.asText() : null);
  }

  static ServerInfo info(JsonNode node) {
    requireObject(node, "server information");
    return new ServerInfo(
        text(node, "version"), node.path("buildNumber").asText(""), node.path("state").asText(""));
  }

  static ServerState state(JsonNode node) {
    requireObject(node, "a server status");
    return ServerState.parse(node.path("state").asText(null));
  }

  static <T> List<T> list(JsonNode node, Function<JsonNode, T> element) {
    if (!node.isArray()) {
      throw new IllegalArgumentException("expected a JSON array, got " + kind(node));
    }
    List<T> out = new ArrayList<>(node.size());
    for (JsonNode e : node) {
      out.add(element.apply(e));
    }
    return List.copyOf(out);
  }

  private static void requireObject(JsonNode node, String what) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          "expected " + what + " (a JSON object), got " + kind(node));
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" missing or not a string in " + node);
    }
    return value.textValue();
  }

  private static boolean bool(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isBoolean()) {
      throw new IllegalArgumentException("\"" + field + "\" missing or not a boolean in " + node);
    }
    return value.booleanValue();
  }

  private static String kind(JsonNode node) {
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
