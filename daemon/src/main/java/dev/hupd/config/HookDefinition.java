package dev.hupd.config;

import dev.hupd.metadata.MetadataPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One {@code [hookname]} section from {@code hooks.conf} or {@code hooks.d/*}.
 *
 * @param name the section name
 * @param triggers post.add / post.update / post.remove
 * @param path the parsed {@code path=}
 * @param action the shell command, run with {@code /bin/sh -c}
 * @param runas user to run the action as, if any
 * @param timeout hupd extension {@code timeout=}: overrides the default action timeout
 * @param maxFailures hupd extension {@code max-failures=}: stop retrying one change after this many
 *     consecutive failures (until the value changes again)
 * @param file the file holding the section header
 * @param line the line of the section header
 */
public record HookDefinition(
    String name,
    Set<Trigger> triggers,
    MetadataPath path,
    String action,
    Optional<String> runas,
    Optional<Duration> timeout,
    OptionalInt maxFailures,
    Path file,
    int line) {

  /** The key under which the last-seen value is stored, exactly as cfn-hup builds it. */
  public String stateKey() {
    return name + "|" + path.text();
  }
}
