package dev.hupd.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One of the repository's check scripts run from the repository root, bounded in time (on timeout
 * the whole process tree is killed and the test fails with the output so far).
 *
 * @param exit the exit status
 * @param output stdout and stderr together
 */
public record ScriptRun(int exit, String output) {

  public static ScriptRun of(Path scratch, Duration timeout, String... command)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile(scratch, "out", ".log");
    Process p =
        new ProcessBuilder(command)
            .directory(HupdProcess.repoRoot().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
      throw new AssertionError(
          String.join(" ", command)
              + " did not finish within "
              + timeout.toSeconds()
              + " s:\n"
              + Files.readString(log, StandardCharsets.UTF_8));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(out); // kept in the failsafe report
    return new ScriptRun(p.exitValue(), out);
  }
}
