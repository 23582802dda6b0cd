package dev.hupd.bamboo;

import dev.hupd.metadata.StateStore;
import dev.hupd.toolchain.Manifest;
import dev.hupd.toolchain.Toolchain;
import dev.hupd.toolchain.ToolchainRecord;
import dev.hupd.toolchain.ToolchainStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The capabilities this host really has (docs/bamboo.md §7.1): {@code system.docker.executable}
 * when Docker's client is installed, and per active toolchain {@code hupd.toolchain.<name>} = the
 * image digest plus the manifest's own capabilities for it. Two toolchains giving one key two
 * values is a conflict: nothing is published.
 *
 * @param capabilities key → value, sorted
 * @param conflicts one line per conflicting key, empty when none
 */
public record CapabilitySet(SortedMap<String, String> capabilities, List<String> conflicts) {

  public static final String DOCKER_KEY = "system.docker.executable";
  public static final String TOOLCHAIN_PREFIX = "hupd.toolchain.";

  /** The set for {@code manifest} (empty when toolchains are not managed) as activated in state. */
  public static CapabilitySet of(
      Optional<Manifest> manifest, StateStore state, Path dockerExecutable) {
    SortedMap<String, String> caps = new TreeMap<>();
    Map<String, String> from = new TreeMap<>();
    List<String> conflicts = new ArrayList<>();
    if (Files.isExecutable(dockerExecutable)) {
      caps.put(DOCKER_KEY, dockerExecutable.toString());
      from.put(DOCKER_KEY, "docker");
    }
    for (Toolchain t : manifest.map(Manifest::toolchains).orElse(List.of())) {
      Optional<ToolchainRecord.Image> active = ToolchainStep.active(t.name(), state);
      if (active.isEmpty()) {
        continue;
      }
      ToolchainRecord.Image image = active.get();
      String digest = image.digest() != null ? image.digest() : image.imageId();
      put(caps, from, conflicts, TOOLCHAIN_PREFIX + t.name(), digest, t.name());
      for (Map.Entry<String, String> e : t.capabilities().entrySet()) {
        put(caps, from, conflicts, e.getKey(), e.getValue(), t.name());
      }
    }
    return new CapabilitySet(caps, List.copyOf(conflicts));
  }

  private static void put(
      SortedMap<String, String> caps,
      Map<String, String> from,
      List<String> conflicts,
      String key,
      String value,
      String owner) {
    String prior = caps.putIfAbsent(key, value);
    if (prior != null && !prior.equals(value)) {
      conflicts.add(
          "capability '"
              + key
              + "' is '"
              + prior
              + "' from "
              + from.get(key)
              + " and '"
              + value
              + "' from "
              + owner);
    } else {
      from.putIfAbsent(key, owner);
    }
  }

  /** Keys hupd may change or delete on the master: those it published, and its own prefix. */
  public static boolean owned(String key, Map<String, String> published) {
    return published.containsKey(key) || key.startsWith(TOOLCHAIN_PREFIX);
  }
}
