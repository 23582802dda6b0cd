package dev.hupd.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds request targets for the Engine API. Names go into paths unescaped, as the Docker CLI sends
 * them (dockerd routes {@code /images/{name:.*}/json}), so they are checked against the characters
 * a name can have: a value from configuration can never add a path segment, query or header.
 */
final class ApiPaths {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern IMAGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@-]*");
  private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  private ApiPaths() {}

  /** {@code ?k=v&…} with values URL-encoded; pairs with a null value are left out. */
  static String query(String... keysAndValues) {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] == null) {
        continue;
      }
      q.append(q.length() == 0 ? '?' : '&')
          .append(keysAndValues[i])
          .append('=')
          .append(URLEncoder.encode(keysAndValues[i + 1], StandardCharsets.UTF_8));
    }
    return q.toString();
  }

  /**
   * dockerd's {@code filters} parameter: JSON of filter name to values, or null when there is no
   * filter. A label with an empty value matches any value of that label.
   */
  static String filters(Map<String, String> labels, String reference) {
    ObjectNode filters = JSON.createObjectNode();
    if (!labels.isEmpty()) {
      ArrayNode label = filters.putArray("label");
      new TreeMap<>(labels).forEach((k, v) -> label.add(v.isEmpty() ? k : k + "=" + v));
    }
    if (reference != null && !reference.isBlank()) {
      filters.putArray("reference").add(reference);
    }
    return filters.isEmpty() ? null : filters.toString();
  }

  static String flag(boolean on) {
    return on ? "1" : "0";
  }

  /** An image name, reference or id, checked to be only that. */
  static String imageName(String ref) {
    if (ref == null || !IMAGE_NAME.matcher(ref).matches() || hasDotSegment(ref)) {
      throw new IllegalArgumentException("not an image name or id: \"" + ref + "\"");
    }
    return ref;
  }

  /** A container id or name, checked to be only that. */
  static String containerId(String id) {
    if (id == null || !CONTAINER_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a container id or name: \"" + id + "\"");
    }
    return id;
  }

  private static boolean hasDotSegment(String ref) {
    for (String segment : ref.split("/")) {
      if (segment.equals(".") || segment.equals("..")) {
        return true;
      }
    }
    return false;
  }
}
