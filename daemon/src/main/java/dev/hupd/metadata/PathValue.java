package dev.hupd.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Reads the value a {@link MetadataPath} selects from a {@link StackResource}, with cfn-hup's rules
 * (including its quirks when a sub-path walks into a string or a list).
 */
public final class PathValue {

  private static final DateTimeFormatter ISO_SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

  private PathValue() {}

  /** The path cannot be read this cycle (cfn-hup logs and skips the hook; no state write). */
  public static final class UnreadableException extends Exception {
    public UnreadableException(String message) {
      super(message);
    }
  }

  /**
   * @return the value, or a JSON null when absent
   * @throws UnreadableException when cfn-hup would raise (e.g. indexing into a string that contains
   *     the key)
   */
  public static JsonNode read(MetadataPath path, StackResource resource)
      throws UnreadableException {
    switch (path.target()) {
      case LAST_UPDATED:
        if (resource.deleted() || resource.lastUpdated().isEmpty()) {
          return NullNode.getInstance();
        }
        return TextNode.valueOf(pythonIsoFormat(resource.lastUpdated().get()));
      case PHYSICAL_RESOURCE_ID:
        if (resource.deleted() || resource.physicalId().isEmpty()) {
          return NullNode.getInstance();
        }
        return TextNode.valueOf(resource.physicalId().get());
      default:
        JsonNode metadata;
        try {
          metadata = resource.metadata().orElse(NullNode.getInstance());
        } catch (IllegalArgumentException e) {
          throw new UnreadableException(
              "Metadata of " + resource.logicalId() + " is " + e.getMessage());
        }
        if (!Json.truthy(metadata)) {
          return NullNode.getInstance();
        }
        return extract(metadata, path);
    }
  }

  /**
   * Python 2's {@code util.extract_value}: {@code if c not in value: return None; value =
   * value[c]}.
   */
  static JsonNode extract(JsonNode metadata, MetadataPath path) throws UnreadableException {
    JsonNode value = metadata;
    for (String key : path.subPath()) {
      if (value.isObject()) {
        if (!value.has(key)) {
          return NullNode.getInstance();
        }
        value = value.get(key);
      } else if (value.isTextual()) {
        // "k in 'string'" is a substring test; indexing a string with a str then raises.
        if (!value.textValue().contains(key)) {
          return NullNode.getInstance();
        }
        throw new UnreadableException("path " + path + " indexes into a string with '" + key + "'");
      } else if (value.isArray()) {
        boolean member = false;
        for (JsonNode element : value) {
          member |= element.isTextual() && element.textValue().equals(key);
        }
        if (!member) {
          return NullNode.getInstance();
        }
        throw new UnreadableException("path " + path + " indexes into a list with '" + key + "'");
      } else {
        throw new UnreadableException(
            "path "
                + path
                + " walks into a "
                + value.getNodeType().toString().toLowerCase()
                + " value at '"
                + key
                + "'");
      }
    }
    return value;
  }

  /** Python's {@code datetime.isoformat()} for a naive UTC datetime: microseconds only if any. */
  public static String pythonIsoFormat(Instant instant) {
    LocalDateTime t = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    String base = t.format(ISO_SECONDS);
    int micros = t.getNano() / 1000;
    return micros == 0 ? base : base + String.format(".%06d", micros);
  }
}
