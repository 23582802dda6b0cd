package dev.hupd.poll;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Lets a repeated, identical problem be logged once per period instead of once per pass (an
 * AccessDenied at interval=1 would otherwise write 1440 ERROR lines a day).
 */
public final class LogLimiter {

  private record Seen(long lastLoggedNanos, int suppressed) {}

  private final Map<String, Seen> seen = new HashMap<>();
  private final LongSupplier clock;

  public LogLimiter(LongSupplier nanoClock) {
    this.clock = nanoClock;
  }

  public LogLimiter() {
    this(System::nanoTime);
  }

  /**
   * @return -1 to stay quiet, otherwise the number of occurrences suppressed since the last line
   */
  public synchronized int admit(String key, Duration period) {
    long now = clock.getAsLong();
    Seen s = seen.get(key);
    if (s == null || now - s.lastLoggedNanos() >= period.toNanos()) {
      seen.put(key, new Seen(now, 0));
      return s == null ? 0 : s.suppressed();
    }
    seen.put(key, new Seen(s.lastLoggedNanos(), s.suppressed() + 1));
    return -1;
  }

  /** Forgets a key, e.g. when the problem went away, so its next occurrence is logged at once. */
  public synchronized void clear(String key) {
    seen.remove(key);
  }

  /** Forgets every key starting with {@code prefix}. */
  public synchronized void clearPrefix(String prefix) {
    seen.keySet().removeIf(k -> k.startsWith(prefix));
  }
}
