package dev.hupd.toolchain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * An in-memory container engine: a registry of references, local images and tags, scripted verify
 * results and failures, and a log of operations.
 */
final class FakeImageHost implements ImageHost {

  /** What the "registry" serves: reference → image id. */
  final Map<String, String> registry = new HashMap<>();

  /** Local images: id → repo digests. */
  final Map<String, List<String>> images = new HashMap<>();

  /** Local tags: repo:tag → id. */
  final Map<String, String> tags = new HashMap<>();

  final Set<String> inUse = new HashSet<>();
  final List<String> operations = new ArrayList<>();
  Function<String, VerifyRun> verifier = id -> new VerifyRun(OptionalInt.of(0), "ok " + id);
  HostException failPull;
  boolean down;
  int leftoverVerifyContainers;

  FakeImageHost publish(String reference, String imageId) {
    registry.put(reference, imageId);
    return this;
  }

  private void checkUp() throws HostException {
    if (down) {
      throw new HostException(
          HostException.Kind.DAEMON_UNAVAILABLE, "cannot connect to /var/run/docker.sock");
    }
  }

  @Override
  public Optional<LocalImage> find(String reference) throws HostException {
    checkUp();
    if (images.containsKey(reference)) {
      return Optional.of(new LocalImage(reference, images.get(reference)));
    }
    String id = tags.get(reference);
    if (id == null) {
      for (Map.Entry<String, List<String>> e : images.entrySet()) {
        if (e.getValue().contains(reference)) {
          id = e.getKey();
        }
      }
    }
    return id == null || !images.containsKey(id)
        ? Optional.empty()
        : Optional.of(new LocalImage(id, images.get(id)));
  }

  @Override
  public LocalImage pull(String reference, Duration timeout) throws HostException {
    checkUp();
    operations.add("pull " + reference);
    if (failPull != null) {
      throw failPull;
    }
    String id = registry.get(reference);
    if (id == null) {
      throw new HostException(HostException.Kind.NOT_FOUND, "manifest unknown: " + reference);
    }
    String repo =
        reference.contains("@") ? reference.substring(0, reference.indexOf('@')) : reference;
    int colon = repo.lastIndexOf(':');
    if (colon > repo.lastIndexOf('/')) {
      repo = repo.substring(0, colon);
    }
    images
        .computeIfAbsent(id, k -> new ArrayList<>())
        .add(repo + "@sha256:" + id.substring("sha256:".length()));
    return new LocalImage(id, images.get(id));
  }

  @Override
  public String build(String baseImageId, String lines, String tag, Duration timeout)
      throws HostException {
    checkUp();
    operations.add("build " + baseImageId);
    String id = "sha256:built-" + baseImageId.substring(7) + "-" + Math.abs(lines.hashCode());
    images.put(id, new ArrayList<>());
    tags.put(tag, id);
    return id;
  }

  @Override
  public VerifyRun verify(
      String imageId,
      Toolchain.Verify spec,
      String toolchain,
      java.util.function.BooleanSupplier stopping)
      throws HostException {
    checkUp();
    operations.add("verify " + imageId);
    return verifier.apply(imageId);
  }

  @Override
  public void tag(String imageId, String repository, String tag) throws HostException {
    checkUp();
    operations.add("tag " + repository + ":" + tag + "=" + imageId);
    tags.put(repository + ":" + tag, imageId);
  }

  @Override
  public void untag(String repositoryAndTag) throws HostException {
    checkUp();
    tags.remove(repositoryAndTag);
  }

  @Override
  public void remove(String imageId) throws HostException {
    checkUp();
    if (inUse.contains(imageId)) {
      throw new HostException(HostException.Kind.CONFLICT, "image is being used by a container");
    }
    if (images.remove(imageId) == null) {
      throw new HostException(HostException.Kind.NOT_FOUND, "no such image");
    }
    operations.add("remove " + imageId);
    tags.values().removeIf(imageId::equals);
  }

  @Override
  public Set<String> imagesInUse() throws HostException {
    checkUp();
    return Set.copyOf(inUse);
  }

  @Override
  public int removeLeftoverVerifyContainers() throws HostException {
    checkUp();
    int n = leftoverVerifyContainers;
    leftoverVerifyContainers = 0;
    return n;
  }
}
