package dev.hupd.hooks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A local account as the name service sees it ({@code getent passwd}, so LDAP/SSSD accounts work
 * too).
 *
 * @param name login name
 * @param uid numeric user id
 * @param gid primary group id
 * @param home home folder
 */
public record Account(String name, long uid, long gid, String home) {

  /** Looks an account up by name; empty when it does not exist. */
  public static Optional<Account> lookup(String name) throws IOException {
    if (name.isEmpty() || name.startsWith("-") || name.contains(":")) {
      return Optional.empty();
    }
    Process p =
        new ProcessBuilder(Executables.find("getent").orElse("getent"), "passwd", name)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    // Wait first (a passwd line fits the pipe), so that a getent stuck on a hung directory
    // service ends at the limit instead of blocking the read.
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("getent passwd " + name + " did not answer within 10 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while looking up " + name, e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.exitValue() != 0 || out.isEmpty()) {
      return Optional.empty();
    }
    String[] f = out.split("\n", 2)[0].split(":", -1);
    if (f.length < 7) {
      throw new IOException("unexpected getent output for " + name);
    }
    return Optional.of(new Account(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]), f[5]));
  }
}
