package dev.hupd.bamboo;

import dev.hupd.hooks.ActionRunner;
import dev.hupd.hooks.Executables;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one agent control command, bounded, in its own session (so the agent it may leave running is
 * not in hupd's process group), with output to a private temporary file rather than a pipe: a
 * daemon the command starts may keep its output open forever, and hupd must neither wait for that
 * nor block the daemon's writes.
 */
final class AgentCommand {

  /**
   * How a command ended.
   *
   * @param exit its exit code
   * @param lastLine its last non-blank line of output (secret masked), or empty
   */
  record Result(int exit, String lastLine) {}

  private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);
  private static final int TAIL_BYTES = 64 * 1024;
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final Map<String, String> environment;
  private final Duration timeout;
  private final Optional<String> setsid = Executables.find("setsid");

  AgentCommand(Map<String, String> environment, Duration timeout) {
    this.environment = Map.copyOf(environment);
    this.timeout = timeout;
  }

  /**
   * Runs {@code argv} with the environment plus {@code extra}; {@code secret}, if any, is replaced
   * by {@code ****} in everything logged or returned.
   *
   * @throws IOException when it cannot start or does not finish within the timeout (then it is
   *     killed; processes it started are left alone, since one of them may be the agent)
   */
  Result run(String what, List<String> argv, Map<String, String> extra, Optional<String> secret)
      throws IOException {
    List<String> command = new ArrayList<>();
    setsid.ifPresent(command::add);
    command.addAll(argv);
    Map<String, String> env = new HashMap<>(environment);
    env.putIfAbsent("PATH", ActionRunner.DEFAULT_PATH);
    env.putAll(extra);
    Path output =
        Files.createTempFile(
            "hupd-agent-",
            ".out",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      long start = System.nanoTime();
      int exit = await(what, start(command, env, output));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      String last = logOutput(what, output, secret);
      log.debug("event=bamboo.agent-command command={} exit={} took={}", what, exit, took);
      return new Result(exit, last);
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static Process start(List<String> command, Map<String, String> env, Path output)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().clear();
    try {
      pb.environment().putAll(env);
    } catch (IllegalArgumentException e) {
      throw new IOException("an environment value cannot be passed to a process");
    }
    return pb.start();
  }

  private int await(String what, Process process) throws IOException {
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
      process.destroyForcibly();
      process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      throw new IOException(what + " did not finish within " + timeout.toSeconds() + "s; killed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException(what + " interrupted", e);
    }
  }

  /** Logs the output's tail at DEBUG and returns its last non-blank line. */
  private static String logOutput(String what, Path output, Optional<String> secret)
      throws IOException {
    String last = "";
    for (String line : tail(output).split("\n")) {
      String shown = ActionRunner.printable(mask(line.stripTrailing(), secret));
      if (!shown.isBlank()) {
        log.debug("agent-command={} | {}", what, shown);
        last = shown.strip();
      }
    }
    return last;
  }

  private static String tail(Path output) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(output.toFile(), "r")) {
      long length = f.length();
      long from = Math.max(0, length - TAIL_BYTES);
      byte[] bytes = new byte[(int) (length - from)];
      f.seek(from);
      f.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static String mask(String line, Optional<String> secret) {
    return secret.filter(s -> !s.isEmpty()).map(s -> line.replace(s, "****")).orElse(line);
  }
}
