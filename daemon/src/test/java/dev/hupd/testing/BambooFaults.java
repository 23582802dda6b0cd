package dev.hupd.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Faults to inject into {@link FakeBamboo}'s answers, each armed for a path prefix.
 *
 * <p>A prefix is matched against the REST path below {@code /rest/api/latest} as sent (e.g. {@code
 * /agent/131073/disable}; {@code ""} = every REST call), or against the agent-side path {@code
 * /_fake/agents/connect|heartbeat|disconnect} when the prefix itself starts with {@code /_fake}.
 * Test-control endpoints are never faulted, so a test can always clear the faults.
 *
 * <p>When several faults match one request, a dropped connection wins over a counted status, which
 * wins over a persistent status; a delay applies to every answer it matches (the longest wins).
 */
final class BambooFaults {

  /** What the handler does with one request instead of (or before) answering it normally. */
  record Fault(boolean drop, int status, Duration delay) {
    static final Fault NONE = new Fault(false, 0, Duration.ZERO);
  }

  private static final class Armed {
    final String prefix;
    int dropsLeft;
    int failuresLeft;
    int failureStatus;
    int persistentStatus;
    Duration delay = Duration.ZERO;

    Armed(String prefix) {
      this.prefix = prefix;
    }
  }

  private final List<Armed> armed = new ArrayList<>();
  private boolean redirectToLogin;

  synchronized void failNext(String prefix, int count, int status) {
    requireErrorStatus(status);
    Armed a = slot(prefix);
    a.failuresLeft = requireCount(count);
    a.failureStatus = status;
  }

  synchronized void failAlways(String prefix, int status) {
    requireErrorStatus(status);
    slot(prefix).persistentStatus = status;
  }

  synchronized void dropNext(String prefix, int count) {
    slot(prefix).dropsLeft = requireCount(count);
  }

  synchronized void delay(String prefix, Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, got " + value);
    }
    slot(prefix).delay = value;
  }

  synchronized void redirectToLogin(boolean on) {
    redirectToLogin = on;
  }

  synchronized boolean redirectToLogin() {
    return redirectToLogin;
  }

  synchronized void clear() {
    armed.clear();
    redirectToLogin = false;
  }

  /** Uses up the counted faults that apply to {@code path}; {@link Fault#NONE} when none. */
  synchronized Fault take(String path) {
    Duration delay = Duration.ZERO;
    Optional<Armed> drop = Optional.empty();
    Optional<Armed> failure = Optional.empty();
    int persistent = 0;
    for (Armed a : armed) {
      if (!matches(a.prefix, path)) {
        continue;
      }
      delay = a.delay.compareTo(delay) > 0 ? a.delay : delay;
      if (a.dropsLeft > 0 && drop.isEmpty()) {
        drop = Optional.of(a);
      } else if (a.failuresLeft > 0 && failure.isEmpty()) {
        failure = Optional.of(a);
      } else if (a.persistentStatus != 0 && persistent == 0) {
        persistent = a.persistentStatus;
      }
    }

    if (drop.isPresent()) {
      drop.get().dropsLeft--;
      return new Fault(true, 0, delay);
    }
    if (failure.isPresent()) {
      failure.get().failuresLeft--;
      return new Fault(false, failure.get().failureStatus, delay);
    }
    return new Fault(false, persistent, delay);
  }

  static boolean matches(String prefix, String path) {
    boolean agentSide = path.startsWith("/_fake");
    return agentSide == prefix.startsWith("/_fake") && path.startsWith(prefix);
  }

  private Armed slot(String prefix) {
    for (Armed a : armed) {
      if (a.prefix.equals(prefix)) {
        return a;
      }
    }
    Armed a = new Armed(prefix);
    armed.add(a);
    return a;
  }

  private static void requireErrorStatus(int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("a fault needs a 4xx or 5xx status, got " + status);
    }
  }

  private static int requireCount(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    return count;
  }
}
