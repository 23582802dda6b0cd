package dev.hupd.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Real Docker for integration tests, driven through the docker CLI: makes sure dockerd, the
 * registry on 127.0.0.1:5000 and the busybox base image are there ({@code .ci/docker-up}), builds
 * and pushes throw-away images under one unique repository, and removes everything it made.
 */
public final class DockerFixture implements AutoCloseable {

  public static final String REGISTRY = "127.0.0.1:5000";
  public static final String BASE = "hupd-test/busybox:1";

  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final List<String> localRefs = new ArrayList<>();
  private final List<String> containers = new ArrayList<>();

  public static DockerFixture start() throws Exception {
    Path up = HupdProcess.repoRoot().resolve(".ci/docker-up");
    Process p = new ProcessBuilder(up.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(
          ".ci/docker-up failed (dockerd, registry or base image missing):\n" + out);
    }
    return new DockerFixture();
  }

  /** A unique name for this test run, usable in repositories and toolchain names. */
  public String id() {
    return run;
  }

  /** {@code 127.0.0.1:5000/hupd-it-<run>/<name>}. */
  public String repository(String name) {
    return REGISTRY + "/hupd-it-" + run + "/" + name;
  }

  /**
   * Builds {@code FROM busybox} plus {@code dockerfileLines}, pushes it as {@code repo:tag} and
   * removes the local copy (so hupd must pull it); returns {@code repo@sha256:…}.
   */
  public String publish(String name, String tag, String dockerfileLines) throws Exception {
    Path ctx = Files.createTempDirectory("hupd-it-build");
    try {
      Files.writeString(ctx.resolve("Dockerfile"), "FROM " + BASE + "\n" + dockerfileLines + "\n");
      String ref = repository(name) + ":" + tag;
      docker("build", "-q", "-t", ref, ctx.toString());
      docker("push", ref);
      String digest =
          docker("image", "inspect", "--format", "{{index .RepoDigests 0}}", ref).strip();
      docker("rmi", ref);
      return digest;
    } finally {
      try (var walk = Files.walk(ctx)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** The local image id a reference names, or null. */
  public String imageId(String ref) throws Exception {
    Process p =
        new ProcessBuilder("/usr/bin/docker", "image", "inspect", "--format", "{{.Id}}", ref)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    p.waitFor(30, TimeUnit.SECONDS);
    return p.exitValue() == 0 ? out : null;
  }

  /** Creates (does not start) a container from an image: the image is then "in use". */
  public String createContainer(String image) throws Exception {
    String id = docker("create", "--label", "dev.hupd.test=" + run, image, "true").strip();
    containers.add(id);
    return id;
  }

  public void removeContainer(String id) throws Exception {
    docker("rm", "-f", id);
    containers.remove(id);
  }

  /** Ids of containers carrying a label (any value). */
  public List<String> containersWithLabel(String label) throws Exception {
    String out = docker("ps", "-aq", "--filter", "label=" + label);
    return out.isBlank() ? List.of() : List.of(out.strip().split("\\s+"));
  }

  /** Remembers a local reference to remove at the end (e.g. hupd/<name>:active). */
  public void removeAtEnd(String ref) {
    localRefs.add(ref);
  }

  public static String docker(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("/usr/bin/docker");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("docker " + String.join(" ", args) + " timed out");
    }
    if (p.exitValue() != 0) {
      throw new IOException("docker " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    for (String c : List.copyOf(containers)) {
      try {
        docker("rm", "-f", c);
      } catch (IOException ignored) {
        // already gone
      }
    }
    for (String ref : localRefs) {
      try {
        docker("rmi", "-f", ref);
      } catch (IOException ignored) {
        // already gone
      }
    }
    String images =
        docker("images", "-q", "--filter", "reference=" + REGISTRY + "/hupd-it-" + run + "/*");
    for (String id : images.isBlank() ? new String[0] : images.strip().split("\\s+")) {
      try {
        docker("rmi", "-f", id);
      } catch (IOException ignored) {
        // shared with another reference that is already gone
      }
    }
  }
}
