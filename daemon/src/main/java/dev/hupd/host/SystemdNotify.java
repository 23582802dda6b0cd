package dev.hupd.host;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sd_notify protocol of a {@code Type=notify} unit: READY after the first good pass, STATUS=
 * lines, RELOADING/STOPPING and WATCHDOG=1 keep-alives. Off (every call a no-op) when systemd set
 * no {@code NOTIFY_SOCKET}; the keep-alives are driven only by the daemon loop's own wake-ups so
 * that a stuck loop stops them and systemd restarts hupd.
 */
public final class SystemdNotify implements AutoCloseable {

  /**
   * Before READY, work that shows progress extends systemd's start timeout by this much (the first
   * pass may run actions, pulls and builds far longer than {@code TimeoutStartSec}); a pass that
   * stops progressing lets the timeout run out. It covers the longest wait that may be silent while
   * bounded by its own deadline (a pull without progress lines: 30 min; a build step that prints
   * nothing; a health command), as {@code WatchdogSec=35min} does after READY.
   */
  static final Duration START_EXTENSION = Duration.ofMinutes(31);

  /** How often the start timeout is extended while the first pass progresses. */
  static final Duration EXTEND_EVERY = Duration.ofMinutes(1);

  /** STATUS= after a pass is sent at most this often; a newer text waits for the next wake. */
  static final Duration STATUS_GAP = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

  /** Where datagrams go: the notify socket, or a recorder in tests. */
  interface Transport {
    void send(String message) throws IOException;

    void close();
  }

  /** {@code NOTIFY_SOCKET} is set but no datagram can be sent to it. */
  public static final class UnavailableException extends Exception {
    private final String hint;

    UnavailableException(String message, String hint) {
      super(message);
      this.hint = hint;
    }

    /** What an operator can do about it. */
    public String hint() {
      return hint;
    }
  }

  private final Transport transport;
  private final long watchdogNanos;
  private final LongSupplier nanoClock;
  private long nextPing;
  private long nextExtend;
  private boolean readySent;
  private long lastStatus;
  private String pendingStatus;
  private boolean sendFailed;

  SystemdNotify(Transport transport, long watchdogNanos, LongSupplier nanoClock) {
    this.transport = transport;
    this.watchdogNanos = watchdogNanos;
    this.nanoClock = nanoClock;
    this.nextPing = nanoClock.getAsLong();
    this.nextExtend = nanoClock.getAsLong();
    this.lastStatus = nanoClock.getAsLong() - STATUS_GAP.toNanos();
  }

  /** Off: hupd was not started by systemd as a notify service. */
  public static SystemdNotify off() {
    return new SystemdNotify(null, 0, System::nanoTime);
  }

  /**
   * From systemd's environment: off without {@code NOTIFY_SOCKET}; Netty's epoll transport is
   * loaded only when it is set.
   */
  public static SystemdNotify fromEnvironment(Map<String, String> env, long pid)
      throws UnavailableException {
    String socket = env.getOrDefault("NOTIFY_SOCKET", "");
    if (socket.isEmpty()) {
      return off();
    }
    long watchdog = watchdogInterval(env, pid);
    SystemdNotify notify = new SystemdNotify(NotifySocket.open(socket), watchdog, System::nanoTime);
    log.info(
        "event=systemd.notify socket=\"{}\" watchdog_every_ms={}",
        socket,
        Duration.ofNanos(watchdog).toMillis());
    return notify;
  }

  /**
   * Nanoseconds between WATCHDOG=1 pings (half of {@code WATCHDOG_USEC}, as sd_watchdog_enabled
   * advises), or 0 when the watchdog is off or meant for another process.
   */
  static long watchdogInterval(Map<String, String> env, long pid) {
    String usec = env.getOrDefault("WATCHDOG_USEC", "");
    String forPid = env.getOrDefault("WATCHDOG_PID", "");
    if (usec.isEmpty() || (!forPid.isEmpty() && !forPid.equals(Long.toString(pid)))) {
      return 0;
    }
    try {
      long micros = Long.parseLong(usec);
      return micros > 0 ? micros * 1000 / 2 : 0;
    } catch (NumberFormatException e) {
      log.warn("event=systemd.watchdog-ignored reason=\"WATCHDOG_USEC={} is not a number\"", usec);
      return 0;
    }
  }

  public boolean enabled() {
    return transport != null;
  }

  /** The loop's wait deadline, moved earlier so that the loop wakes for the next keep-alive. */
  public synchronized long wakeBy(long deadlineNanos) {
    return watchdogNanos == 0 ? deadlineNanos : Math.min(deadlineNanos, nextPing);
  }

  /** Called by the daemon loop on each wake-up only: WATCHDOG=1 when due, a delayed STATUS=. */
  public synchronized void keepAlive() {
    long now = nanoClock.getAsLong();
    pingIfDue(now);
    if (pendingStatus != null && now - lastStatus >= STATUS_GAP.toNanos()) {
      send(status(pendingStatus));
      pendingStatus = null;
      lastStatus = now;
    }
  }

  /**
   * Called, from the loop's thread, while a pass waits on work that its own deadline bounds (an
   * action, a pull, a verify, a drain): WATCHDOG=1 when due, so that a pass with several long
   * actions is not taken for a hung loop; before READY also EXTEND_TIMEOUT_USEC=, so that a long
   * first pass is not taken for a failed start. A loop stuck outside such a wait sends neither.
   */
  public synchronized void progress() {
    if (transport == null) {
      return;
    }
    long now = nanoClock.getAsLong();
    pingIfDue(now);
    if (!readySent && now - nextExtend >= 0) {
      send("EXTEND_TIMEOUT_USEC=" + START_EXTENSION.toNanos() / 1000);
      nextExtend = now + EXTEND_EVERY.toNanos();
    }
  }

  /** WATCHDOG=1 when the watchdog is on and its interval has passed since the last ping. */
  private void pingIfDue(long now) {
    if (watchdogNanos > 0 && now - nextPing >= 0) {
      send("WATCHDOG=1");
      nextPing = now + watchdogNanos;
    }
  }

  /** The first good pass, or the end of a reload. */
  public synchronized void ready(String status) {
    readySent = true;
    send(readyMessage(status));
    pendingStatus = null;
    lastStatus = nanoClock.getAsLong();
  }

  /** A pass ended: a short STATUS=, rate-limited to one per {@link #STATUS_GAP}. */
  public synchronized void passDone(Instant at, int actions, int failed) {
    pendingStatus = passStatus(at, actions, failed);
    keepAlive();
  }

  /** SIGHUP: the reload starts now; {@link #ready} follows when it is done. */
  public synchronized void reloading() {
    send(reloadingMessage(nanoClock.getAsLong()));
  }

  /** A stop was requested (may be called from the signal thread). */
  public synchronized void stopping() {
    send("STOPPING=1\nSTATUS=Stopping");
  }

  static String readyMessage(String status) {
    return "READY=1\n" + status(status);
  }

  /**
   * MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds: on Linux, HotSpot's System.nanoTime reads
   * that same clock, so systemd can tell this reload from an earlier one.
   */
  static String reloadingMessage(long monotonicNanos) {
    return "RELOADING=1\nMONOTONIC_USEC="
        + monotonicNanos / 1000
        + "\n"
        + status("Reloading configuration");
  }

  static String passStatus(Instant at, int actions, int failed) {
    return "Last pass "
        + at.truncatedTo(ChronoUnit.SECONDS)
        + ": "
        + actions
        + " actions, "
        + failed
        + " failed";
  }

  private static String status(String text) {
    return "STATUS=" + text.replace('\n', ' ');
  }

  private void send(String message) {
    if (transport == null) {
      return;
    }
    try {
      transport.send(message);
      sendFailed = false;
    } catch (IOException e) {
      if (!sendFailed) {
        log.warn(
            "event=systemd.notify-failed message=\"{}\" reason=\"{}\" next=\"retried with the"
                + " next message\"",
            message.lines().findFirst().orElse(""),
            e.getMessage());
      }
      sendFailed = true;
    }
  }

  @Override
  public void close() {
    if (transport != null) {
      transport.close();
    }
  }
}
