package dev.hupd.docker;

import java.util.List;
import java.util.Map;

/**
 * What dockerd knows about a local image.
 *
 * @param id content id, {@code sha256:…}
 * @param repoTags {@code repo:tag} names; empty for an image pulled only by digest
 * @param repoDigests {@code repo@sha256:…} names, one per registry repository it was pulled from or
 *     pushed to
 * @param size bytes on disk, shared layers included
 * @param labels the image's labels ({@code LABEL} in its Dockerfile)
 */
public record ImageInfo(
    String id,
    List<String> repoTags,
    List<String> repoDigests,
    long size,
    Map<String, String> labels) {

  public ImageInfo {
    repoTags = List.copyOf(repoTags);
    repoDigests = List.copyOf(repoDigests);
    labels = Map.copyOf(labels);
  }
}
