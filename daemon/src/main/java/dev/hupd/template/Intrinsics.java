package dev.hupd.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Resolves a template's intrinsic functions as far as the template alone determines them: literal
 * strings, {@code Fn::Sub}, {@code Fn::Join}, {@code Fn::Base64}, {@code Fn::Select} and {@code
 * Fn::FindInMap} over static arguments. Everything known only at deploy time (parameters, pseudo
 * parameters, attributes, conditions, imports) becomes a placeholder, by default in {@code Fn::Sub}
 * syntax ({@code ${AWS::Region}}, {@code ${Role.Arn}}), and is recorded so that a check can tell a
 * real mistake from a value it cannot know.
 */
final class Intrinsics {

  /**
   * Text with the placeholders it contains.
   *
   * @param text the resolved text
   * @param placeholders each placeholder as it appears in {@code text}
   */
  record Resolved(String text, Set<String> placeholders) {
    Resolved {
      placeholders = Set.copyOf(placeholders);
    }

    boolean complete() {
      return placeholders.isEmpty();
    }
  }

  private final JsonNode template;
  private final Map<String, String> pseudo;
  private final UnaryOperator<String> placeholder;

  /**
   * @param template the whole template (for {@code Mappings})
   * @param pseudo values for pseudo parameters; those absent become placeholders
   * @param placeholder how an unknown value named {@code X} (a parameter, {@code Res.Attr}, a
   *     function) is written
   */
  Intrinsics(JsonNode template, Map<String, String> pseudo, UnaryOperator<String> placeholder) {
    this.template = template;
    this.pseudo = Map.copyOf(pseudo);
    this.placeholder = placeholder;
  }

  /** Placeholders in {@code Fn::Sub} syntax; the stack id spelled out as an ARN. */
  static Intrinsics placeholders(JsonNode template) {
    return new Intrinsics(template, Map.of("AWS::NoValue", ""), n -> "${" + n + "}");
  }

  /**
   * Whether {@code node} is one intrinsic function call: {@code {"Ref": …}} or {@code {"Fn::X":
   * …}}.
   */
  static boolean isFunction(JsonNode node) {
    if (node == null || !node.isObject() || node.size() != 1) {
      return false;
    }
    String key = node.fieldNames().next();
    return key.equals("Ref") || key.startsWith("Fn::");
  }

  Resolved text(JsonNode value) {
    Set<String> found = new LinkedHashSet<>();
    String text = text(value, found);
    return new Resolved(text, found);
  }

  /**
   * A copy of {@code value} with every function call replaced by its resolved text, for checks that
   * read plain JSON (the toolchain manifest, the rollout policy).
   */
  JsonNode tree(JsonNode value, Set<String> found) {
    if (isFunction(value)) {
      return JsonNodeFactory.instance.textNode(text(value, found));
    }
    if (value.isObject()) {
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      value.fields().forEachRemaining(e -> copy.set(e.getKey(), tree(e.getValue(), found)));
      return copy;
    }
    if (value.isArray()) {
      var copy = JsonNodeFactory.instance.arrayNode();
      value.forEach(v -> copy.add(tree(v, found)));
      return copy;
    }
    return value;
  }

  private String unknown(String name, Set<String> found) {
    String p = placeholder.apply(name);
    found.add(p);
    return p;
  }

  private String text(JsonNode value, Set<String> found) {
    if (value == null || value.isNull()) {
      return "";
    }
    if (value.isValueNode()) {
      return value.asText();
    }
    if (!isFunction(value)) {
      return unknown(value.isArray() ? "list" : "object", found);
    }
    String function = value.fieldNames().next();
    JsonNode arg = value.get(function);
    return switch (function) {
      case "Ref" -> ref(arg.asText(), found);
      case "Fn::Sub" -> sub(arg, found);
      case "Fn::Join" -> join(arg, found);
      case "Fn::Base64" -> text(arg, found);
      case "Fn::GetAtt" -> unknown(getAtt(arg, found), found);
      case "Fn::Select" -> select(arg, found);
      case "Fn::FindInMap" -> findInMap(arg, found);
      default -> unknown(function, found);
    };
  }

  private String ref(String name, Set<String> found) {
    if (pseudo.containsKey(name)) {
      return pseudo.get(name);
    }
    if (name.equals("AWS::StackId")) {
      // arn:…:stack/<name>/<id>, so that a policy on stack/${AWS::StackName}/* is seen to cover it
      return "arn:"
          + ref("AWS::Partition", found)
          + ":cloudformation:"
          + ref("AWS::Region", found)
          + ":"
          + ref("AWS::AccountId", found)
          + ":stack/"
          + ref("AWS::StackName", found)
          + "/"
          + unknown("AWS::StackId", found);
    }
    return unknown(name, found);
  }

  private String getAtt(JsonNode arg, Set<String> found) {
    if (arg.isArray() && arg.size() == 2) {
      return text(arg.get(0), found) + "." + text(arg.get(1), found);
    }
    return arg.asText();
  }

  /** {@code Fn::Sub}: {@code ${Name}}, {@code ${Res.Attr}}, {@code ${!Literal}}. */
  private String sub(JsonNode arg, Set<String> found) {
    JsonNode vars = arg.isArray() && arg.size() == 2 ? arg.get(1) : null;
    JsonNode body = arg.isArray() && arg.size() >= 1 ? arg.get(0) : arg;
    if (!body.isTextual()) {
      return unknown("Fn::Sub", found);
    }
    String s = body.textValue();
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      int open = s.indexOf("${", i);
      int close = open < 0 ? -1 : s.indexOf('}', open);
      if (open < 0 || close < 0) {
        out.append(s, i, s.length());
        break;
      }
      out.append(s, i, open);
      String name = s.substring(open + 2, close);
      if (name.startsWith("!")) {
        out.append("${").append(name.substring(1)).append('}');
      } else if (vars != null && vars.has(name)) {
        out.append(text(vars.get(name), found));
      } else if (name.contains(".")) {
        out.append(unknown(name, found));
      } else {
        out.append(ref(name.strip(), found));
      }
      i = close + 1;
    }
    return out.toString();
  }

  private String join(JsonNode arg, Set<String> found) {
    if (!arg.isArray() || arg.size() != 2 || !arg.get(1).isArray()) {
      return unknown("Fn::Join", found);
    }
    String delimiter = text(arg.get(0), found);
    StringBuilder out = new StringBuilder();
    for (Iterator<JsonNode> it = arg.get(1).elements(); it.hasNext(); ) {
      out.append(text(it.next(), found));
      if (it.hasNext()) {
        out.append(delimiter);
      }
    }
    return out.toString();
  }

  private String select(JsonNode arg, Set<String> found) {
    if (arg.isArray() && arg.size() == 2 && arg.get(1).isArray()) {
      Set<String> inner = new LinkedHashSet<>();
      String index = text(arg.get(0), inner);
      if (inner.isEmpty() && index.matches("\\d{1,6}")) {
        int i = Integer.parseInt(index);
        if (i < arg.get(1).size()) {
          return text(arg.get(1).get(i), found);
        }
      }
    }
    return unknown("Fn::Select", found);
  }

  private String findInMap(JsonNode arg, Set<String> found) {
    if (arg.isArray() && arg.size() == 3) {
      Set<String> inner = new LinkedHashSet<>();
      List<String> keys =
          List.of(text(arg.get(0), inner), text(arg.get(1), inner), text(arg.get(2), inner));
      JsonNode v = template.path("Mappings").path(keys.get(0)).path(keys.get(1)).path(keys.get(2));
      if (inner.isEmpty() && !v.isMissingNode()) {
        return text(v, found);
      }
    }
    return unknown("Fn::FindInMap", found);
  }
}
