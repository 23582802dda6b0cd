package dev.hupd.host;

import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;

/**
 * SIGTERM, SIGINT and SIGHUP handlers, installed as the very first thing in {@code main} so that a
 * signal during start-up is never fatal. Signals that arrive before the daemon listens are kept and
 * delivered when it does.
 */
public final class Signals {

  /** Receives signals. */
  public interface Listener {
    void stop(int exitCode, String signal);

    void reload();
  }

  private static Listener listener;
  private static final List<String> pending = new ArrayList<>();

  private Signals() {}

  public static void install() {
    for (String name : List.of("TERM", "INT", "HUP")) {
      try {
        Signal.handle(new Signal(name), s -> deliver(name));
      } catch (IllegalArgumentException e) {
        // the JVM reserves this signal here; the default action stays
      }
    }
  }

  /** Starts delivering to {@code l}, first replaying anything that arrived earlier. */
  public static synchronized void listen(Listener l) {
    listener = l;
    for (String name : pending) {
      dispatch(name);
    }
    pending.clear();
  }

  private static synchronized void deliver(String name) {
    if (listener == null) {
      pending.add(name);
    } else {
      dispatch(name);
    }
  }

  private static void dispatch(String name) {
    switch (name) {
      case "TERM" -> listener.stop(Daemon.EXIT_OK, "SIGTERM");
      case "INT" -> listener.stop(Daemon.EXIT_INTERRUPTED, "SIGINT");
      default -> listener.reload();
    }
  }
}
