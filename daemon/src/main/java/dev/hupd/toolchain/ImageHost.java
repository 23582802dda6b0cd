package dev.hupd.toolchain;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * What the reconciler needs from the container engine, in its own words. The production
 * implementation is {@link DockerImageHost} (Docker Engine API over the unix socket); tests use an
 * in-memory one.
 */
public interface ImageHost {

  /**
   * A local image.
   *
   * @param id the image id ({@code sha256:…})
   * @param repoDigests {@code repo@sha256:…} references it is known by
   */
  record LocalImage(String id, List<String> repoDigests) {}

  /**
   * The outcome of a verify container.
   *
   * @param exitCode empty when it did not finish within its timeout (it was killed)
   * @param output combined stdout/stderr, capped
   * @param interrupted true when it was stopped because hupd is shutting down (no verdict)
   */
  record VerifyRun(OptionalInt exitCode, String output, boolean interrupted) {
    public VerifyRun(OptionalInt exitCode, String output) {
      this(exitCode, output, false);
    }
  }

  /** The local image a reference names, if present. */
  Optional<LocalImage> find(String reference) throws HostException;

  /** Pulls; when the reference pins a digest, the result is checked against it. */
  LocalImage pull(String reference, Duration timeout) throws HostException;

  /**
   * Pulls, calling {@code progress} as the registry's progress arrives (a host that cannot report
   * progress pulls as {@link #pull(String, Duration)} does).
   */
  default LocalImage pull(String reference, Duration timeout, Runnable progress)
      throws HostException {
    return pull(reference, timeout);
  }

  /** Builds {@code FROM <baseImageId>} plus {@code lines}, tagged {@code tag}; returns the id. */
  String build(String baseImageId, String lines, String tag, Duration timeout) throws HostException;

  /** {@link #build(String, String, String, Duration)}, calling {@code progress} per build line. */
  default String build(
      String baseImageId, String lines, String tag, Duration timeout, Runnable progress)
      throws HostException {
    return build(baseImageId, lines, tag, timeout);
  }

  /**
   * Runs the verify command in a fresh container that is always removed afterwards; stops early
   * (interrupted, no verdict) once {@code stopping} turns true.
   */
  VerifyRun verify(
      String imageId, Toolchain.Verify spec, String toolchain, BooleanSupplier stopping)
      throws HostException;

  void tag(String imageId, String repository, String tag) throws HostException;

  /** Removes one tag; the image stays if other references keep it. Absent is fine. */
  void untag(String repositoryAndTag) throws HostException;

  /** Removes an image by id; fails with {@link HostException.Kind#CONFLICT} if it is in use. */
  void remove(String imageId) throws HostException;

  /** Ids of images that any container (running or not) was created from. */
  Set<String> imagesInUse() throws HostException;

  /** Removes verify containers left behind by a hupd that was killed mid-verify. */
  int removeLeftoverVerifyContainers() throws HostException;
}
