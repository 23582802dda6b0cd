package dev.hupd.toolchain;

import dev.hupd.docker.ContainerSpec;
import dev.hupd.docker.ContainerSummary;
import dev.hupd.docker.DockerEngine;
import dev.hupd.docker.DockerException;
import dev.hupd.docker.ImageInfo;
import dev.hupd.docker.ImageRef;
import dev.hupd.docker.RegistryAuth;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ImageHost} on the Docker Engine API ({@link DockerEngine}). */
public final class DockerImageHost implements ImageHost {

  static final String VERIFY_LABEL = "dev.hupd.verify";

  /** Which hupd (state folder) started a verify container: cleanup never touches another's. */
  static final String OWNER_LABEL = "dev.hupd.owner";

  private static final int MAX_OUTPUT = 64 * 1024;
  private static final Duration WAIT_SLICE = Duration.ofSeconds(1);
  private static final Logger log = LoggerFactory.getLogger(DockerImageHost.class);

  private final DockerEngine engine;
  private final Optional<Path> dockerConfig;
  private final String owner;
  private volatile boolean negotiated;

  /**
   * @param owner identifies this hupd among others sharing the engine (e.g. a hash of its state
   *     folder); put on every verify container it starts
   */
  public DockerImageHost(DockerEngine engine, Optional<Path> dockerConfig, String owner) {
    this.engine = engine;
    this.dockerConfig = dockerConfig;
    this.owner = owner;
  }

  /** Negotiates the API version on first use and again after the daemon was unreachable. */
  private DockerEngine engine() throws HostException {
    if (!negotiated) {
      try {
        engine.negotiate();
        negotiated = true;
      } catch (DockerException e) {
        throw convert(e);
      }
    }
    return engine;
  }

  private HostException convert(DockerException e) {
    if (e.kind() == DockerException.Kind.DAEMON_UNAVAILABLE) {
      negotiated = false;
    }
    return new HostException(HostException.Kind.valueOf(e.kind().name()), e.getMessage(), e);
  }

  @Override
  public Optional<LocalImage> find(String reference) throws HostException {
    try {
      return engine().inspectImage(reference).map(DockerImageHost::local);
    } catch (DockerException e) {
      throw convert(e);
    }
  }

  @Override
  public LocalImage pull(String reference, Duration timeout) throws HostException {
    return pull(reference, timeout, () -> {});
  }

  @Override
  public LocalImage pull(String reference, Duration timeout, Runnable progress)
      throws HostException {
    ImageRef ref;
    try {
      ref = ImageRef.parse(reference);
    } catch (IllegalArgumentException e) {
      throw new HostException(HostException.Kind.OTHER, e.getMessage());
    }
    Optional<RegistryAuth> auth = Optional.empty();
    if (dockerConfig.isPresent()) {
      try {
        auth = RegistryAuth.fromDockerConfig(dockerConfig.get(), ref.registry());
      } catch (IOException e) {
        log.warn(
            "event=docker.config-unreadable file={} reason=\"{}\" using=\"no credentials\"",
            dockerConfig.get(),
            e.getMessage());
      }
    }
    try {
      return local(engine().pull(ref, auth, timeout, progress));
    } catch (DockerException e) {
      throw convert(e);
    }
  }

  @Override
  public String build(String baseImageId, String lines, String tag, Duration timeout)
      throws HostException {
    return build(baseImageId, lines, tag, timeout, () -> {});
  }

  @Override
  public String build(
      String baseImageId, String lines, String tag, Duration timeout, Runnable progress)
      throws HostException {
    // FROM needs a name, so the base gets a temporary tag for the duration of the build
    String base = "hupd-build-base";
    String baseTag = baseImageId.replace("sha256:", "").substring(0, 12);
    try {
      engine().tag(baseImageId, base, baseTag);
      return engine()
          .build("FROM " + base + ":" + baseTag + "\n" + lines + "\n", tag, timeout, progress);
    } catch (DockerException e) {
      throw convert(e);
    } finally {
      try {
        engine.removeImage(base + ":" + baseTag, false, true);
      } catch (DockerException e) {
        log.debug(
            "event=docker.untag-failed ref={}:{} reason=\"{}\"", base, baseTag, e.getMessage());
      }
    }
  }

  @Override
  public VerifyRun verify(
      String imageId, Toolchain.Verify spec, String toolchain, BooleanSupplier stopping)
      throws HostException {
    DockerEngine d = engine();
    String id = null;
    try {
      id =
          d.createContainer(
              new ContainerSpec(
                  imageId,
                  spec.command(),
                  Map.of(),
                  spec.memoryBytes(),
                  spec.nanoCpus(),
                  spec.network(),
                  Map.of(VERIFY_LABEL, toolchain, OWNER_LABEL, owner),
                  "hupd-verify-" + toolchain + "-" + UUID.randomUUID().toString().substring(0, 8)));
      try {
        d.start(id);
      } catch (DockerException e) {
        if (e.kind() == DockerException.Kind.DAEMON_UNAVAILABLE) {
          throw e;
        }
        // e.g. the command does not exist in the image: a verification failure, not an engine one
        return new VerifyRun(
            OptionalInt.of(127), "verify container did not start: " + e.getMessage());
      }
      // wait in short slices so that a shutdown does not sit out the whole verify timeout
      long deadline = System.nanoTime() + spec.timeout().toNanos();
      OptionalInt exit = OptionalInt.empty();
      while (exit.isEmpty()) {
        if (stopping.getAsBoolean()) {
          d.kill(id);
          return new VerifyRun(OptionalInt.empty(), "", true);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        exit = d.waitExit(id, Duration.ofNanos(Math.min(left, WAIT_SLICE.toNanos())));
      }
      if (exit.isEmpty()) {
        d.kill(id);
      }
      return new VerifyRun(exit, d.logs(id, MAX_OUTPUT));
    } catch (DockerException e) {
      throw convert(e);
    } finally {
      if (id != null) {
        try {
          d.removeContainer(id, true);
        } catch (DockerException e) {
          log.warn(
              "event=docker.verify-container-left id={} reason=\"{}\" next=\"removed at the next start\"",
              id,
              e.getMessage());
        }
      }
    }
  }

  @Override
  public void tag(String imageId, String repository, String tag) throws HostException {
    try {
      engine().tag(imageId, repository, tag);
    } catch (DockerException e) {
      throw convert(e);
    }
  }

  @Override
  public void untag(String repositoryAndTag) throws HostException {
    try {
      engine().removeImage(repositoryAndTag, false, true);
    } catch (DockerException e) {
      if (e.kind() == DockerException.Kind.NOT_FOUND || e.kind() == DockerException.Kind.CONFLICT) {
        return; // absent already, or the image is in use: the tag stays, nothing is lost
      }
      throw convert(e);
    }
  }

  @Override
  public void remove(String imageId) throws HostException {
    try {
      // not forced: an image that also carries someone else's name stays (CONFLICT)
      engine().removeImage(imageId, false, false);
    } catch (DockerException e) {
      throw convert(e);
    }
  }

  @Override
  public Set<String> imagesInUse() throws HostException {
    try {
      Set<String> ids = new HashSet<>();
      for (ContainerSummary c : engine().containers(true, Map.of())) {
        ids.add(c.imageId());
      }
      return ids;
    } catch (DockerException e) {
      throw convert(e);
    }
  }

  @Override
  public int removeLeftoverVerifyContainers() throws HostException {
    try {
      int n = 0;
      for (ContainerSummary c :
          engine().containers(true, Map.of(VERIFY_LABEL, "", OWNER_LABEL, owner))) {
        engine().removeContainer(c.id(), true);
        n++;
      }
      return n;
    } catch (DockerException e) {
      throw convert(e);
    }
  }

  private static LocalImage local(ImageInfo info) {
    return new LocalImage(info.id(), info.repoDigests());
  }
}
