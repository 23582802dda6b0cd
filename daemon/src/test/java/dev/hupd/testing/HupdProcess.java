package dev.hupd.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code hupd} started as a real child process from the packaged jar (with the launcher's JVM
 * flags), its stderr collected line by line. Always stopped by {@link #close()}, by pid.
 */
public final class HupdProcess implements AutoCloseable {

  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Thread reader;

  private HupdProcess(Process process) {
    this.process = process;
    this.reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                  }
                }
              } catch (IOException ignored) {
                // process ended
              }
            },
            "hupd-process-stderr");
    reader.setDaemon(true);
    reader.start();
  }

  /** The repository root, found by walking up from the working directory. */
  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("examples/agent-fleet"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "cannot find the repository root above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  /**
   * The newest {@code daemon/target/rpm/hupd-*.noarch.rpm}: the one this build's {@code package}
   * phase wrote (the {@code rpm} profile builds it when {@code /usr/bin/rpmbuild} exists). Fails
   * with a hint when there is none.
   */
  public static Path newestRpm() {
    List<Path> rpms;
    try (var files = Files.list(repoRoot().resolve("daemon/target/rpm"))) {
      rpms =
          files
              .filter(f -> f.getFileName().toString().endsWith(".noarch.rpm"))
              .sorted(
                  java.util.Comparator.comparing((Path f) -> f.toFile().lastModified()).reversed())
              .toList();
    } catch (IOException e) {
      rpms = List.of();
    }
    if (rpms.isEmpty()) {
      throw new AssertionError(
          "no daemon/target/rpm/hupd-*.noarch.rpm (the `rpm` profile builds it in `package` when"
              + " /usr/bin/rpmbuild exists: run .ci/setup)");
    }
    return rpms.get(0);
  }

  /** Starts {@code hupd ARGS} with exactly the given environment (plus nothing inherited). */
  public static HupdProcess start(Map<String, String> env, String... args) throws IOException {
    Path jar = repoRoot().resolve("daemon/target/hupd.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: integration tests run after 'package'");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xss512k",
            "-Xms8m",
            "-Xmx64m",
            "-XX:-UsePerfData",
            "-jar",
            jar.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().clear();
    pb.environment().putAll(env);
    return new HupdProcess(pb.start());
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  public long count(Predicate<String> match) {
    return lines().stream().filter(match).count();
  }

  /** Waits until {@code n} lines match; fails with the log so far when the time runs out. */
  public void awaitLines(Predicate<String> match, int n, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      while (lines.stream().filter(match).count() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "timed out waiting for "
                  + n
                  + " matching log line(s); log:\n"
                  + String.join("\n", lines));
        }
        lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  public void awaitLine(String fragment, Duration timeout) throws InterruptedException {
    awaitLines(l -> l.contains(fragment), 1, timeout);
  }

  /** Sends a signal by name (TERM, HUP, INT) to this process only. */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    kill.waitFor(10, TimeUnit.SECONDS);
  }

  /** Waits for exit; returns the exit code, or fails with the log. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "hupd did not exit within " + timeout + "; log:\n" + String.join("\n", lines()));
    }
    reader.join(2000);
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
