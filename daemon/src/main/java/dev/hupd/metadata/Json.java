package dev.hupd.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON the way cfn-hup sees it: values compared as parsed JSON (key order and {@code 1} vs {@code
 * 1.0} do not matter), Python truthiness, and Python's {@code json.dumps} formatting for the {@code
 * CFN_*} environment variables.
 */
public final class Json {

  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          // keep 1.0 as 1.0 in the state file: cfn-hup passes the last-seen form on as CFN_OLD_*
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .build();

  private Json() {}

  /** Parses JSON text; the exception message names line and column. */
  public static JsonNode parse(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new IllegalArgumentException("empty, not JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      // size limits (nesting depth, number length) come without a location
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new IllegalArgumentException(
          "not valid JSON" + where + ": " + e.getOriginalMessage(), e);
    }
  }

  /** Python truthiness: null, {}, [], "", 0 and false are all "absent". */
  public static boolean truthy(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return false;
    }
    if (node.isObject() || node.isArray()) {
      return node.size() > 0;
    }
    if (node.isTextual()) {
      return !node.textValue().isEmpty();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      return node.bigIntegerValue().signum() != 0;
    }
    if (node.isNumber()) {
      return node.doubleValue() != 0.0; // Python reads JSON fractions as floats: 1e-400 is 0.0
    }
    return true;
  }

  /**
   * A canonical text form: object keys sorted, numbers normalised ({@code 1} == {@code 1.0}), no
   * whitespace. Two values are equal for change detection exactly when their canonical forms are.
   */
  public static String canonical(JsonNode node) {
    StringBuilder out = new StringBuilder();
    writeCanonical(node, out);
    return out.toString();
  }

  private static void writeCanonical(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      List<String> keys = new ArrayList<>();
      node.fieldNames().forEachRemaining(keys::add);
      keys.sort(null);
      out.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        writeString(keys.get(i), out, false);
        out.append(':');
        writeCanonical(node.get(keys.get(i)), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        writeCanonical(node.get(i), out);
      }
      out.append(']');
    } else if (node.isNumber()) {
      out.append(canonicalNumber(node));
    } else if (node.isTextual()) {
      writeString(node.textValue(), out, false);
    } else {
      out.append(node.asText());
    }
  }

  /**
   * Numbers as Python compares them: integers exactly, fractions as doubles, and {@code 1 == 1.0}.
   * Never expands an exponent (1e999999999 is Infinity, not a billion digits).
   */
  private static String canonicalNumber(JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.bigIntegerValue().toString();
    }
    double d = node.doubleValue();
    if (Double.isInfinite(d) || Double.isNaN(d)) {
      return Double.toString(d);
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e18) {
      return Long.toString((long) d);
    }
    return BigDecimal.valueOf(d).stripTrailingZeros().toString();
  }

  public static boolean same(JsonNode a, JsonNode b) {
    return canonical(a).equals(canonical(b));
  }

  /**
   * The value as cfn-hup puts it into {@code CFN_OLD_*}/{@code CFN_NEW_*}: strings raw, anything
   * else as Python's {@code json.dumps} ({@code ", "} and {@code ": "} separators, ASCII only).
   */
  public static String forEnvironment(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue();
    }
    StringBuilder out = new StringBuilder();
    writePython(node, out);
    return out.toString();
  }

  private static void writePython(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      out.append('{');
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      boolean first = true;
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (!first) {
          out.append(", ");
        }
        first = false;
        writeString(f.getKey(), out, true);
        out.append(": ");
        writePython(f.getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        writePython(node.get(i), out);
      }
      out.append(']');
    } else if (node.isTextual()) {
      writeString(node.textValue(), out, true);
    } else if (node.isBoolean()) {
      out.append(node.booleanValue() ? "true" : "false");
    } else if (node.isIntegralNumber()) {
      out.append(node.bigIntegerValue());
    } else if (node.isNumber()) {
      out.append(pythonFloat(node.doubleValue()));
    } else {
      out.append(node.asText());
    }
  }

  /**
   * Python's {@code repr(float)}: the shortest digits that read back as the same double, in plain
   * notation for decimal exponents -4..15 and in {@code 1e+16} form outside.
   */
  static String pythonFloat(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    if (v == 0) {
      return (1 / v < 0) ? "-0.0" : "0.0";
    }
    BigDecimal shortest = new BigDecimal(v);
    for (int digits = 1; digits <= 17; digits++) {
      BigDecimal candidate = new BigDecimal(v).round(new MathContext(digits));
      if (candidate.doubleValue() == v) {
        shortest = candidate;
        break;
      }
    }
    shortest = shortest.stripTrailingZeros();
    int exponent = shortest.precision() - shortest.scale() - 1;
    if (exponent >= -4 && exponent < 16) {
      String plain = shortest.toPlainString();
      return plain.contains(".") ? plain : plain + ".0";
    }
    String digits = shortest.unscaledValue().abs().toString();
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (shortest.signum() < 0 ? "-" : "")
        + mantissa
        + "e"
        + (exponent < 0 ? "-" : "+")
        + String.format("%02d", Math.abs(exponent));
  }

  private static void writeString(String s, StringBuilder out, boolean asciiOnly) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (asciiOnly && c > 0x7e)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Hex SHA-256 of the text's UTF-8 bytes (fingerprints of values and changes). */
  public static String sha256(String text) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
