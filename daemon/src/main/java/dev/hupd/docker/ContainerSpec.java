package dev.hupd.docker;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A container to create. The image's entrypoint is always cleared and {@code cmd} is run as given,
 * so a command means the same whatever image it runs in (our toolchain images may have no CMD at
 * all).
 *
 * @param image image id or reference
 * @param cmd the command and its arguments; not empty
 * @param env environment added to the image's
 * @param memoryBytes memory limit in bytes (also the memory+swap limit, so no swap); 0 for none
 * @param nanoCpus CPU limit in billionths of a CPU (1_000_000_000 = one CPU); 0 for none
 * @param network false for {@code NetworkMode=none} (loopback only)
 * @param labels container labels, e.g. to find and clean up what hupd started
 * @param name container name; empty to let dockerd choose one
 */
public record ContainerSpec(
    String image,
    List<String> cmd,
    Map<String, String> env,
    long memoryBytes,
    long nanoCpus,
    boolean network,
    Map<String, String> labels,
    String name) {

  public ContainerSpec {
    Objects.requireNonNull(image, "image");
    if (image.isBlank()) {
      throw new IllegalArgumentException("container image is empty");
    }
    if (cmd.isEmpty()) {
      throw new IllegalArgumentException("container command is empty; give the command to run");
    }
    cmd = List.copyOf(cmd);
    env = Map.copyOf(env);
    env.keySet().stream()
        .filter(k -> k.isEmpty() || k.contains("="))
        .findFirst()
        .ifPresent(
            k -> {
              throw new IllegalArgumentException("bad environment variable name: \"" + k + "\"");
            });
    if (memoryBytes < 0 || nanoCpus < 0) {
      throw new IllegalArgumentException("memory and CPU limits must be >= 0 (0 = no limit)");
    }
    labels = Map.copyOf(labels);
    name = name == null ? "" : name;
  }
}
