package dev.hupd.template;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a CloudFormation template, JSON or YAML, into a JSON tree. YAML's short-form tags become
 * the long form CloudFormation itself turns them into: {@code !Ref X} → {@code {"Ref": "X"}},
 * {@code !GetAtt A.B} → {@code {"Fn::GetAtt": ["A", "B"]}}, {@code !Sub s} → {@code {"Fn::Sub":
 * s}}, and so on. Jackson's tree reader drops tags, so the tree is built from the token stream,
 * where {@code YAMLParser.getTypeId()} still carries each value's tag.
 */
public final class TemplateReader {

  /** Templates are at most 1 MB (CloudFormation's limit through S3); larger files are refused. */
  static final long MAX_BYTES = 1 << 20;

  /** Short-form tags and the key of their long form; {@code !GetAtt} is handled on its own. */
  static final List<String> FUNCTIONS =
      List.of(
          "Base64",
          "Cidr",
          "FindInMap",
          "GetAZs",
          "ImportValue",
          "Join",
          "Select",
          "Split",
          "Sub",
          "Transform",
          "And",
          "Equals",
          "If",
          "Not",
          "Or",
          "Length",
          "ToJsonString");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A template that cannot be read or parsed. */
  public static final class TemplateException extends Exception {
    public TemplateException(String message) {
      super(message);
    }
  }

  private TemplateReader() {}

  /** Reads {@code file}; JSON when its first non-blank character is '{', else YAML. */
  public static JsonNode read(Path file) throws TemplateException {
    String text;
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new TemplateException(file + ": larger than 1 MB; not a CloudFormation template");
      }
      text = Files.readString(file);
    } catch (IOException e) {
      throw new TemplateException(file + ": cannot read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses template text; {@code name} only labels error messages. */
  public static JsonNode parse(String text, String name) throws TemplateException {
    try {
      JsonNode root;
      if (text.stripLeading().startsWith("{")) {
        root = new ObjectMapper().readTree(text);
      } else {
        try (JsonParser p = new YAMLFactory().createParser(text)) {
          root = p.nextToken() == null ? null : value(p);
        }
      }
      if (root == null || !root.isObject()) {
        throw new TemplateException(name + ": not a template (expected a mapping at the top)");
      }
      return root;
    } catch (IOException e) {
      throw new TemplateException(name + ": not valid JSON or YAML: " + e.getMessage());
    }
  }

  /** The value starting at the current token, with its tag (if any) applied. */
  private static JsonNode value(JsonParser p) throws IOException {
    Object typeId = p.getTypeId();
    String tag = typeId == null ? null : typeId.toString();
    JsonNode plain = untagged(p);
    return tag == null ? plain : tagged(tag, plain);
  }

  private static JsonNode untagged(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT:
        ObjectNode object = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          p.nextToken();
          object.set(key, value(p));
        }
        return object;
      case START_ARRAY:
        ArrayNode array = NODES.arrayNode();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          array.add(value(p));
        }
        return array;
      case VALUE_STRING:
        return NODES.textNode(p.getText());
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return number(p);
      case VALUE_TRUE:
      case VALUE_FALSE:
        return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
      default:
        return NODES.nullNode();
    }
  }

  private static JsonNode number(JsonParser p) throws IOException {
    return switch (p.getNumberType()) {
      case INT -> NODES.numberNode(p.getIntValue());
      case LONG -> NODES.numberNode(p.getLongValue());
      case BIG_INTEGER -> NODES.numberNode(p.getBigIntegerValue());
      default -> NODES.numberNode(p.getDoubleValue());
    };
  }

  private static JsonNode tagged(String tag, JsonNode value) {
    ObjectNode longForm = NODES.objectNode();
    switch (tag) {
      case "Ref":
        longForm.set("Ref", value);
        return longForm;
      case "Condition":
        longForm.set("Condition", value);
        return longForm;
      case "GetAtt":
        if (value.isTextual()) {
          // !GetAtt Resource.Attribute: the first dot separates; the attribute may hold more.
          String text = value.textValue();
          int dot = text.indexOf('.');
          ArrayNode pair = NODES.arrayNode();
          pair.add(dot < 0 ? text : text.substring(0, dot));
          pair.add(dot < 0 ? "" : text.substring(dot + 1));
          longForm.set("Fn::GetAtt", pair);
        } else {
          longForm.set("Fn::GetAtt", value);
        }
        return longForm;
      default:
        if (FUNCTIONS.contains(tag)) {
          longForm.set("Fn::" + tag, value);
          return longForm;
        }
        // A standard YAML tag (!!str …) or one CloudFormation does not know: keep the value.
        return value;
    }
  }
}
