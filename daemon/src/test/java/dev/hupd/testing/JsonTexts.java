package dev.hupd.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The Jackson mapper the fakes share, and JSON text normalisation. */
final class JsonTexts {

  /** Keeps decimals exact, so {@code 1.10} stays {@code 1.10} after a round trip. */
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private JsonTexts() {}

  /** A new, empty JSON object from {@link #MAPPER}. */
  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /**
   * Re-writes JSON text without insignificant whitespace, as CloudFormation stores a resource's
   * Metadata: the service hands back its own serialisation, not the template's text.
   *
   * @throws IllegalArgumentException if {@code json} is not one JSON value
   */
  static String compact(String json) {
    return write(parse(json));
  }

  static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON for " + value.getClass(), e);
    }
  }
}
