package dev.hupd.hooks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds system tools in the standard folders rather than through PATH, which may be empty when a
 * service manager starts hupd.
 */
public final class Executables {

  private Executables() {}

  public static Optional<String> find(String name) {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }
}
