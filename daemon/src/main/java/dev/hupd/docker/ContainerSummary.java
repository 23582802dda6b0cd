package dev.hupd.docker;

import java.util.Map;

/**
 * One line of the container list.
 *
 * @param id full container id
 * @param imageId id ({@code sha256:…}) of the image it runs, whatever name it was started by
 * @param state {@code created}, {@code running}, {@code exited}, …
 * @param labels the container's labels
 */
public record ContainerSummary(
    String id, String imageId, String state, Map<String, String> labels) {

  public ContainerSummary {
    labels = Map.copyOf(labels);
  }
}
