package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;

/** The JSON envelope every rollout record carries (docs/rollout.md §5). */
public final class Records {

  public static final String VERSION = "hupd-rollout/1";

  private Records() {}

  /** A new record: {@code {"v", "kind", "agent", "nonce", "at"}} plus the caller's fields. */
  public static ObjectNode envelope(String kind, String agent, String nonce, long atMs) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("v", VERSION);
    n.put("kind", kind);
    n.put("agent", agent);
    n.put("nonce", nonce);
    n.put("at", atMs);
    return n;
  }

  /** One-line JSON, refusing anything over a parameter's size (a bug, never silently cut). */
  public static String write(JsonNode record) {
    String text = record.toString();
    if (text.length() > RolloutStore.MAX_VALUE) {
      throw new IllegalStateException(
          "a " + record.path("kind").asText() + " record is " + text.length() + " characters");
    }
    return text;
  }

  /** Parses a stored value; a value that is not a hupd record reads as an empty object. */
  public static JsonNode read(String value) {
    try {
      JsonNode n = Json.parse(value);
      return n.isObject() ? n : Json.MAPPER.createObjectNode();
    } catch (IllegalArgumentException e) {
      return Json.MAPPER.createObjectNode();
    }
  }

  /**
   * When a lease held in {@code e} ends for a judge: from the later of the writer's clock and the
   * store's, so a writer whose clock lags cannot make its lease look shorter.
   */
  public static long leaseEnd(RolloutStore.Entry e, JsonNode rec) {
    return Math.max(rec.path("at").asLong(0), e.modifiedMs()) + rec.path("leaseMs").asLong(0);
  }
}
