package dev.hupd.toolchain;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One toolchain of the manifest: an image that must be present, proven by a verify command, and
 * known to the CI master through its capabilities.
 *
 * @param name short name, also the local repository {@code hupd/<name>}
 * @param image reference as written ({@code registry/repo:tag@sha256:…}); digest recommended
 * @param verify how to prove the image works
 * @param capabilities CI capabilities this toolchain provides (for Bamboo registration)
 * @param build optional Dockerfile lines applied on top of the pulled image (agent-local layers)
 */
public record Toolchain(
    String name,
    String image,
    Verify verify,
    Map<String, String> capabilities,
    Optional<String> build) {

  /**
   * The verify container.
   *
   * @param command argv run inside the image (no shell unless the argv calls one)
   * @param exitCode expected exit code
   * @param outputPattern regular expression that must be found in the combined output, if any
   * @param timeout how long the container may run
   * @param memoryBytes memory limit
   * @param nanoCpus CPU limit in billionths of a CPU
   * @param network whether the container gets a network (off by default)
   */
  public record Verify(
      List<String> command,
      int exitCode,
      Optional<Pattern> outputPattern,
      Duration timeout,
      long memoryBytes,
      long nanoCpus,
      boolean network) {}

  /** True when the reference pins a digest. */
  public boolean pinned() {
    return image.contains("@sha256:");
  }
}
