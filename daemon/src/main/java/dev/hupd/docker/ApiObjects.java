package dev.hupd.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps between the Engine API's JSON and our records, through the tree model only: no
 * reflection-based binding, which would cost start-up time and metaspace for a handful of fields.
 */
final class ApiObjects {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ApiObjects() {}

  /**
   * An image from {@code /images/{name}/json} (labels under {@code Config}) or {@code /images/json}
   * (labels at the top): the caller says where the labels are.
   */
  static ImageInfo imageInfo(JsonNode image, JsonNode labels) {
    return new ImageInfo(
        image.path("Id").asText(),
        names(image.path("RepoTags")),
        names(image.path("RepoDigests")),
        image.path("Size").asLong(),
        stringMap(labels));
  }

  static ContainerSummary containerSummary(JsonNode container) {
    return new ContainerSummary(
        container.path("Id").asText(),
        container.path("ImageID").asText(),
        container.path("State").asText(),
        stringMap(container.path("Labels")));
  }

  /** The body of {@code POST /containers/create}. */
  static ObjectNode containerConfig(ContainerSpec spec) {
    ObjectNode config = JSON.createObjectNode();
    config.put("Image", spec.image());
    config.putArray("Entrypoint"); // [] clears the image's entrypoint; null would keep it
    ArrayNode cmd = config.putArray("Cmd");
    spec.cmd().forEach(cmd::add);
    ArrayNode env = config.putArray("Env");
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    ObjectNode labels = config.putObject("Labels");
    spec.labels().forEach(labels::put);
    ObjectNode host = config.putObject("HostConfig");
    if (spec.memoryBytes() > 0) {
      host.put("Memory", spec.memoryBytes());
      host.put("MemorySwap", spec.memoryBytes()); // the same value: no swap on top
    }
    if (spec.nanoCpus() > 0) {
      host.put("NanoCpus", spec.nanoCpus());
    }
    host.put("NetworkMode", spec.network() ? "default" : "none");
    return config;
  }

  /** dockerd fills empty name lists with {@code <none>:<none>} / {@code <none>@<none>}. */
  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    for (JsonNode name : array) {
      if (!name.asText().startsWith("<none>")) {
        names.add(name.asText());
      }
    }
    return names;
  }

  /** A JSON object of strings; null or missing (as dockerd sends for "no labels") is empty. */
  static Map<String, String> stringMap(JsonNode object) {
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : object.properties()) {
      map.put(e.getKey(), e.getValue().asText());
    }
    return map;
  }
}
