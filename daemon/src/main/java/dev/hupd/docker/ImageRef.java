package dev.hupd.docker;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference as operators write it: {@code [registry/]repository[:tag][@digest]}, e.g.
 * {@code 127.0.0.1:5000/tools/jdk:17@sha256:…}. Parsed with Docker's rules: the first path
 * component is a registry only when it has a dot or a colon, or is {@code localhost}; otherwise the
 * registry is {@code docker.io}. With neither tag nor digest the tag is {@code latest}.
 *
 * @param registry host[:port], {@code docker.io} when none was written
 * @param repository path inside the registry, e.g. {@code tools/jdk}
 * @param tag the tag, if written (or {@code latest} when no digest was)
 * @param digest {@code sha256:} and 64 lowercase hex digits, if written
 */
public record ImageRef(
    String registry, String repository, Optional<String> tag, Optional<String> digest) {

  public static final String DEFAULT_REGISTRY = "docker.io";

  private static final Pattern REGISTRY =
      Pattern.compile("[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]{1,5})?");
  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  public ImageRef {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(digest, "digest");
    String text =
        (registry.equals(DEFAULT_REGISTRY) ? "" : registry + "/")
            + repository
            + tag.map(t -> ":" + t).orElse("")
            + digest.map(d -> "@" + d).orElse("");
    checkRegistry(registry, text);
    checkRepository(repository, text);
    tag.ifPresent(t -> check(TAG, t, "tag", "letters, digits, '_', '.', '-', at most 128", text));
    digest.ifPresent(d -> check(DIGEST, d, "digest", "sha256: and 64 lowercase hex digits", text));
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the part that is wrong and the form expected
   */
  public static ImageRef parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("image reference is empty");
    }
    String name = text;
    Optional<String> digest = Optional.empty();
    int at = text.indexOf('@');
    if (at >= 0) {
      digest = Optional.of(text.substring(at + 1));
      name = text.substring(0, at);
    }
    Optional<String> tag = Optional.empty();
    int colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      tag = Optional.of(name.substring(colon + 1));
      name = name.substring(0, colon);
    }
    if (tag.isEmpty() && digest.isEmpty()) {
      tag = Optional.of("latest");
    }
    String registry = DEFAULT_REGISTRY;
    int slash = name.indexOf('/');
    if (slash > 0 && isRegistry(name.substring(0, slash))) {
      registry = name.substring(0, slash);
      name = name.substring(slash + 1);
    }
    return new ImageRef(registry, name, tag, digest);
  }

  /**
   * The name as dockerd spells it in {@code fromImage}, {@code RepoTags} and {@code RepoDigests}:
   * the registry is left out for Docker Hub ({@code library/} too).
   */
  public String fromImage() {
    if (!registry.equals(DEFAULT_REGISTRY)) {
      return registry + "/" + repository;
    }
    return repository.startsWith("library/") ? repository.substring(8) : repository;
  }

  /**
   * What a pull asks for: the digest when there is one (dockerd's {@code tag} parameter takes
   * either), else the tag.
   */
  public String tagOrDigest() {
    return digest.orElseGet(tag::orElseThrow);
  }

  /** The reference that names exactly the pulled image: by digest when known, else by tag. */
  public String pinned() {
    return fromImage() + digest.map(d -> "@" + d).orElseGet(() -> ":" + tag.orElseThrow());
  }

  @Override
  public String toString() {
    return fromImage() + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }

  private static boolean isRegistry(String first) {
    return first.contains(".") || first.contains(":") || first.equals("localhost");
  }

  private static void checkRegistry(String registry, String text) {
    check(REGISTRY, registry, "registry", "host or host:port", text);
  }

  private static void checkRepository(String repository, String text) {
    if (repository.isEmpty()) {
      throw new IllegalArgumentException("image reference \"" + text + "\" has no repository");
    }
    for (String component : repository.split("/", -1)) {
      check(
          COMPONENT,
          component,
          "repository path component",
          "lowercase letters and digits, separated by '.', '_', '__' or '-'",
          text);
    }
  }

  private static void check(Pattern form, String value, String what, String expected, String ref) {
    if (!form.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "image reference \""
              + ref
              + "\": "
              + what
              + " \""
              + value
              + "\" is not valid; expected "
              + expected);
    }
  }
}
