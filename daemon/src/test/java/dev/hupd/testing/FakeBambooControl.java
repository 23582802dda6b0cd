package dev.hupd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.testing.FakeBambooModel.Agent;
import dev.hupd.testing.FakeBambooModel.Capability;
import dev.hupd.testing.FakeBambooModel.ServerState;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The test-control side of {@link FakeBamboo} ({@code /bamboo/_fake/...}), so a test can drive a
 * fake running in another process: JSON in, model calls, JSON dumps out.
 */
final class FakeBambooControl {

  private final FakeBambooModel model;

  FakeBambooControl(FakeBambooModel model) {
    this.model = model;
  }

  /** {@code GET /_fake/agents}: every record with uuid, ip, capabilities and counters. */
  ArrayNode agents() {
    ArrayNode array = JsonTexts.MAPPER.createArrayNode();
    for (Agent a : model.allAgents()) {
      ObjectNode node = BambooHandler.agentJson(a);
      node.put("uuid", a.uuid());
      node.put("ip", a.ip());
      ObjectNode caps = node.putObject("capabilities");
      for (Capability c : a.capabilities().values()) {
        ObjectNode cap = caps.putObject(c.key());
        cap.put("value", c.value());
        cap.put("source", c.source().wireName());
      }
      node.put("connects", a.connects());
      node.put("restarts", a.restarts());
      node.put("restartsWhileBusy", a.restartsWhileBusy());
      node.put("heartbeatTimeouts", a.heartbeatTimeouts());
      array.add(node);
    }
    return array;
  }

  /** {@code GET /_fake/authentication}: modes, pending and approved rows, B2 counts. */
  ObjectNode auth() {
    ObjectNode node = JsonTexts.object();
    node.put("manualApproval", model.manualApproval());
    node.put("securityTokenVerification", model.securityToken().isPresent());
    putMap(node.putObject("pending"), model.pending());
    putMap(node.putObject("approved"), model.approved());
    ObjectNode approvals = node.putObject("approvals");
    model.pending().keySet().forEach(u -> approvals.put(u, model.approvals(u)));
    model.approved().keySet().forEach(u -> approvals.put(u, model.approvals(u)));
    return node;
  }

  /** {@code POST /_fake/server/state {"state":"PAUSED"}}. */
  FakeBambooModel serverState(JsonNode body) {
    return model.setServerState(ServerState.valueOf(upperCase(body, "state")));
  }

  /**
   * {@code POST /_fake/settings}: any of {@code manualApproval} (bool), {@code securityToken}
   * (string, or null to switch verification off), {@code version}, {@code heartbeatTimeoutMs},
   * {@code addToken}, {@code addUserToken} (non-admin), {@code removeToken}.
   */
  FakeBambooModel settings(JsonNode body) {
    if (body.has("manualApproval")) {
      model.setManualApproval(body.get("manualApproval").asBoolean());
    }
    if (body.has("securityToken")) {
      JsonNode token = body.get("securityToken");
      model.setSecurityToken(token.isNull() ? Optional.empty() : Optional.of(token.asText()));
    }
    if (body.has("version")) {
      model.setVersion(body.get("version").asText());
    }
    if (body.has("heartbeatTimeoutMs")) {
      model.heartbeatTimeout(Duration.ofMillis(body.get("heartbeatTimeoutMs").asLong()));
    }
    if (body.has("addToken")) {
      model.addToken(body.get("addToken").asText(), true);
    }
    if (body.has("addUserToken")) {
      model.addToken(body.get("addUserToken").asText(), false);
    }
    if (body.has("removeToken")) {
      model.removeToken(body.get("removeToken").asText());
    }
    return model;
  }

  /**
   * {@code POST /_fake/faults}: {@code {"prefix":"/agent", …}} with any of {@code "status":503}
   * plus {@code "count":n} (the next n) or without it (until cleared), {@code "drop":n}, {@code
   * "delayMs":n}, {@code "redirect":true}.
   */
  FakeBambooModel faults(JsonNode body) {
    String prefix = body.path("prefix").asText("");
    if (body.has("status")) {
      int status = body.get("status").asInt();
      if (body.has("count")) {
        model.failNext(prefix, body.get("count").asInt(), status);
      } else {
        model.failAlways(prefix, status);
      }
    }
    if (body.has("drop")) {
      model.dropNext(prefix, body.get("drop").asInt());
    }
    if (body.has("delayMs")) {
      model.delay(prefix, Duration.ofMillis(body.get("delayMs").asLong()));
    }
    if (body.has("redirect")) {
      model.redirectToLogin(body.get("redirect").asBoolean());
    }
    return model;
  }

  /** {@code GET /_fake/requests}: counts by {@code METHOD path} and the log, oldest first. */
  ObjectNode requests() {
    ObjectNode node = JsonTexts.object();
    ObjectNode counts = node.putObject("counts");
    new TreeMap<>(model.requestCounts()).forEach(counts::put);
    ArrayNode list = node.putArray("requests");
    for (FakeBambooModel.Call call : model.requests()) {
      ObjectNode c = list.addObject();
      c.put("method", call.method());
      c.put("path", call.path());
      c.put("rawPath", call.rawPath());
      c.put("status", call.status());
    }
    return node;
  }

  private static void putMap(ObjectNode node, Map<String, String> map) {
    new TreeMap<>(map).forEach(node::put);
  }

  private static String upperCase(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      throw new IllegalArgumentException("'" + field + "' is required");
    }
    return node.asText().toUpperCase(Locale.ROOT);
  }
}
