package dev.hupd.toolchain;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * What hupd durably knows about one toolchain, kept in the state file as document {@code
 * toolchain/<name>}. The state file, not the local tags, is the truth: tags are re-derived from it
 * at every pass, so a crash between the two is repaired, and a toolchain only ever becomes active
 * here after its image verified.
 *
 * @param name toolchain name
 * @param active the verified image in use, or null before the first success
 * @param previous the image active before it (a rollback is a re-tag of this one)
 * @param history activated images, newest first (kept up to the manifest's {@code keep})
 * @param owned image ids hupd pulled or built for this toolchain (candidates for collection)
 * @param verified {@code <imageId>|<verify fingerprint>} pairs that passed verification
 * @param last the result of the latest attempt
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolchainRecord(
    String name,
    Image active,
    Image previous,
    List<Image> history,
    List<String> owned,
    List<String> verified,
    Result last) {

  /**
   * An image as activated.
   *
   * @param image the reference from the manifest
   * @param imageId local image id
   * @param digest {@code repo@sha256:…} if known
   * @param fingerprint of the manifest entry it satisfies
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Image(String image, String imageId, String digest, String fingerprint) {}

  /**
   * The latest attempt, for {@code hupd status} and the rollout work.
   *
   * @param status {@code active}, {@code failed} or {@code retired}
   * @param step the step that failed ({@code pull}, {@code build}, {@code verify}, {@code
   *     activate}), or null
   * @param image the reference attempted
   * @param digest resolved digest, if known
   * @param imageId local image id, if known
   * @param output verify output excerpt
   * @param durationMs time the attempt took
   * @param error why it failed, naming the toolchain, image and cause
   * @param at when (ISO-8601)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Result(
      String status,
      String step,
      String image,
      String digest,
      String imageId,
      String output,
      long durationMs,
      String error,
      String at) {}

  public static ToolchainRecord empty(String name) {
    return new ToolchainRecord(name, null, null, List.of(), List.of(), List.of(), null);
  }

  static ToolchainRecord fromJson(String name, JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return empty(name);
    }
    try {
      ToolchainRecord r = Json.MAPPER.treeToValue(node, ToolchainRecord.class);
      return new ToolchainRecord(
          name,
          r.active,
          r.previous,
          r.history == null ? List.of() : r.history,
          r.owned == null ? List.of() : r.owned,
          r.verified == null ? List.of() : r.verified,
          r.last);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "unreadable toolchain record for " + name + ": " + e.getOriginalMessage(), e);
    }
  }

  JsonNode toJson() {
    return Json.MAPPER.valueToTree(this);
  }

  ToolchainRecord withLast(Result result) {
    return new ToolchainRecord(name, active, previous, history, owned, verified, result);
  }

  ToolchainRecord withOwned(String imageId) {
    if (owned.contains(imageId)) {
      return this;
    }
    List<String> o = new ArrayList<>(owned);
    o.add(imageId);
    return new ToolchainRecord(name, active, previous, history, List.copyOf(o), verified, last);
  }

  ToolchainRecord withoutOwned(String imageId) {
    List<String> o = new ArrayList<>(owned);
    o.remove(imageId);
    return new ToolchainRecord(name, active, previous, history, List.copyOf(o), verified, last);
  }

  ToolchainRecord withVerified(String entry) {
    if (verified.contains(entry)) {
      return this;
    }
    List<String> v = new ArrayList<>(verified);
    v.add(0, entry);
    return new ToolchainRecord(
        name,
        active,
        previous,
        history,
        owned,
        List.copyOf(v.subList(0, Math.min(v.size(), 20))),
        last);
  }

  /** Makes {@code image} active; the old active becomes previous; history keeps {@code keep}. */
  ToolchainRecord activate(Image image, int keep) {
    Image prev = active != null && !active.imageId().equals(image.imageId()) ? active : previous;
    List<Image> h = new ArrayList<>();
    h.add(image);
    for (Image old : history) {
      if (!old.imageId().equals(image.imageId()) && h.size() < keep) {
        h.add(old);
      }
    }
    return new ToolchainRecord(name, image, prev, List.copyOf(h), owned, verified, last);
  }
}
