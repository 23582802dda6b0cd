package dev.hupd.hooks;

import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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
 * Runs hook actions the way cfn-hup does ({@code /bin/sh -c <action>} with the daemon's environment
 * plus {@code CFN_*} variables) and fixes what it gets wrong:
 *
 * <ul>
 *   <li>each action is the leader of its own session/process group ({@code setsid}), so a timeout
 *       or shutdown terminates everything it started, not just the shell;
 *   <li>{@code runas} switches uid, gid and supplementary groups with {@code setpriv} instead of
 *       {@code su}, so accounts with a nologin shell work, and HOME/USER/LOGNAME are the user's;
 *   <li>PATH gets a sane default when the service manager starts hupd with none;
 *   <li>output is logged line by line as it arrives, tagged with the hook name;
 *   <li>the action text is passed as an argument, never spliced into another command, and metadata
 *       only ever travels in environment variables.
 * </ul>
 */
public final class ActionRunner {

  public static final String DEFAULT_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/aws/bin";
  private static final Duration KILL_GRACE = Duration.ofSeconds(10);
  private static final Duration MAX_TIMEOUT = Duration.ofDays(3650);
  private static final int MAX_LINE = 8192;
  private static final int MAX_LINES = 2000;
  private static final Logger log = LoggerFactory.getLogger(ActionRunner.class);

  private final Map<String, String> baseEnvironment;
  private final int umask;
  private final String currentUser;
  private final Optional<String> setsid;
  private final Optional<String> kill;
  private final Optional<String> setpriv;
  private volatile long stopDeadlineNanos = Long.MAX_VALUE;
  private volatile Map<String, String> passEnvironment = Map.of();

  /**
   * @param baseEnvironment the daemon's environment (normally {@code System.getenv()})
   * @param umask umask applied to actions (cfn-hup's {@code umask=})
   */
  public ActionRunner(Map<String, String> baseEnvironment, int umask) {
    this.baseEnvironment = Map.copyOf(baseEnvironment);
    this.umask = umask;
    this.currentUser = System.getProperty("user.name");
    this.setsid = Executables.find("setsid");
    this.kill = Executables.find("kill");
    this.setpriv = Executables.find("setpriv");
  }

  /**
   * Tells a running (and any later) action that hupd is stopping: it may continue for at most
   * {@code grace} more, then its process group is terminated.
   */
  public void stopWithin(Duration grace) {
    stopDeadlineNanos = System.nanoTime() + grace.toNanos();
  }

  /**
   * Variables added to every action until changed, e.g. {@code HUPD_REVISION} and {@code
   * HUPD_ROLLBACK} during a rollout pass.
   */
  public void setPassEnvironment(Map<String, String> extra) {
    passEnvironment = Map.copyOf(extra);
  }

  public ActionResult run(ActionRequest request) {
    return run(request, () -> {});
  }

  /**
   * Runs the action; {@code waiting} is called every 100 ms while it runs (the wait is bounded by
   * the action's timeout and the stop grace), so that the caller can show it is alive.
   */
  public ActionResult run(ActionRequest request, Runnable waiting) {
    long start = System.nanoTime();
    List<String> command = new ArrayList<>();
    Map<String, String> env = new HashMap<>(baseEnvironment);
    env.putAll(passEnvironment);
    String path = env.get("PATH");
    if (path == null || path.isBlank()) {
      env.put("PATH", DEFAULT_PATH);
    }
    setsid.ifPresent(command::add);
    if (request.runas().isPresent() && !request.runas().get().equals(currentUser)) {
      Optional<Account> account;
      try {
        account = Account.lookup(request.runas().get());
      } catch (IOException e) {
        return notStarted(
            start, "cannot look up runas user " + request.runas().get() + ": " + e.getMessage());
      }
      if (account.isEmpty()) {
        return notStarted(start, "runas user '" + request.runas().get() + "' does not exist");
      }
      if (setpriv.isEmpty()) {
        return notStarted(start, "runas needs setpriv (util-linux), which is not installed");
      }
      Account a = account.get();
      command.addAll(
          List.of(setpriv.get(), "--reuid=" + a.uid(), "--regid=" + a.gid(), "--init-groups"));
      env.put("HOME", a.home());
      env.put("USER", a.name());
      env.put("LOGNAME", a.name());
    }
    // The action is an argument of the inner shell, so nothing in it is re-parsed by us.
    command.addAll(
        List.of(
            "/bin/sh",
            "-c",
            "umask " + String.format("%04o", umask) + " && exec /bin/sh -c \"$1\"",
            "hupd-action",
            request.action()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process process;
    try {
      pb.environment().clear();
      pb.environment().putAll(env);
      pb.environment().putAll(request.environment());
      process = pb.start();
    } catch (IllegalArgumentException e) {
      return notStarted(
          start, "environment value cannot be passed to a process: " + e.getMessage());
    } catch (IOException e) {
      return notStarted(start, "cannot start /bin/sh: " + e.getMessage());
    }
    Thread pump = pumpOutput(request.hookName(), process);
    Duration timeout =
        request.timeout().compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : request.timeout();
    long deadline = start + timeout.toNanos();
    ActionResult.Outcome forced = null;
    try {
      while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
        waiting.run();
        long now = System.nanoTime();
        if (now - deadline > 0) {
          forced = ActionResult.Outcome.TIMED_OUT;
          break;
        }
        if (now - stopDeadlineNanos > 0) {
          forced = ActionResult.Outcome.ABORTED;
          break;
        }
      }
      if (forced != null) {
        terminateGroup(process);
      }
      pump.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminateGroup(process);
      forced = ActionResult.Outcome.ABORTED;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (forced == ActionResult.Outcome.TIMED_OUT) {
      return new ActionResult(
          forced,
          -1,
          took,
          "timed out after " + request.timeout().toSeconds() + "s; process group terminated");
    }
    if (forced == ActionResult.Outcome.ABORTED) {
      return new ActionResult(forced, -1, took, "stopped because hupd is shutting down");
    }
    int exit = process.exitValue();
    if (exit == 0) {
      return new ActionResult(ActionResult.Outcome.SUCCEEDED, 0, took, "");
    }
    return new ActionResult(ActionResult.Outcome.FAILED, exit, took, "exited with " + exit);
  }

  private static ActionResult notStarted(long start, String why) {
    return new ActionResult(
        ActionResult.Outcome.NOT_STARTED, -1, Duration.ofNanos(System.nanoTime() - start), why);
  }

  /** SIGTERM to the group, then SIGKILL after a grace period. */
  private void terminateGroup(Process process) {
    long pid = process.pid();
    signalGroup(pid, "TERM", process);
    try {
      if (process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        // the shell is gone; make sure no straggler in its group survives
        signalGroup(pid, "KILL", process);
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    signalGroup(pid, "KILL", process);
    try {
      process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void signalGroup(long pid, String signal, Process process) {
    if (setsid.isPresent() && kill.isPresent()) {
      try {
        Process killer =
            new ProcessBuilder(kill.get(), "-" + signal, "--", "-" + pid)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        killer.waitFor(5, TimeUnit.SECONDS);
        return;
      } catch (IOException e) {
        log.debug("event=action.kill-fallback reason=\"{}\"", e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    process
        .descendants()
        .forEach(signal.equals("KILL") ? ProcessHandle::destroyForcibly : ProcessHandle::destroy);
    if (signal.equals("KILL")) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
  }

  private static Thread pumpOutput(String hook, Process process) {
    Thread t =
        new Thread(
            () -> {
              try (InputStreamReader in =
                  new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
                BoundedLines lines = new BoundedLines(in, MAX_LINE);
                int count = 0;
                String line;
                while ((line = lines.next()) != null) {
                  count++;
                  if (count <= MAX_LINES) {
                    log.info("hook={} | {}", hook, printable(line));
                  } else if (count == MAX_LINES + 1) {
                    log.warn(
                        "hook={} event=action.output-truncated after_lines={}", hook, MAX_LINES);
                  }
                }
              } catch (IOException e) {
                // the pipe closes when the process group ends; nothing left to read
              }
            },
            "hupd-action-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Control characters (escape sequences, NUL, CR) shown as {@code \xNN}, tabs kept. */
  public static String printable(String line) {
    StringBuilder out = null;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      boolean control = (c < 0x20 && c != '\t') || c == 0x7f;
      if (control && out == null) {
        out = new StringBuilder(line.substring(0, i));
      }
      if (out != null) {
        if (control) {
          out.append(String.format("\\x%02x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? line : out.toString();
  }

  /**
   * Splits output into lines without ever holding more than {@code max} characters of one line: an
   * action that prints megabytes without a newline must not exhaust hupd's small heap.
   */
  static final class BoundedLines {
    private final java.io.Reader in;
    private final int max;
    private final char[] buffer = new char[8192];
    private int pos;
    private int len;

    BoundedLines(java.io.Reader in, int max) {
      this.in = in;
      this.max = max;
    }

    /** The next line (cut to {@code max} characters and marked), or null at the end. */
    String next() throws IOException {
      StringBuilder line = new StringBuilder();
      boolean cut = false;
      boolean any = false;
      while (true) {
        if (pos == len) {
          len = in.read(buffer);
          pos = 0;
          if (len <= 0) {
            len = 0;
            return any ? finish(line, cut) : null;
          }
        }
        any = true;
        char c = buffer[pos++];
        if (c == '\n') {
          return finish(line, cut);
        }
        if (line.length() < max) {
          line.append(c);
        } else {
          cut = true;
        }
      }
    }

    private static String finish(StringBuilder line, boolean cut) {
      int end = line.length();
      if (end > 0 && line.charAt(end - 1) == '\r') {
        line.setLength(end - 1);
      }
      return cut ? line + "…(line truncated)" : line.toString();
    }
  }
}
