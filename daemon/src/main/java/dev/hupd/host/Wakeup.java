package dev.hupd.host;

import dev.hupd.poll.Sleeper;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * What the daemon's main loop waits on: the next poll time, a change reported by the source, a
 * reload request (SIGHUP) or a stop request (SIGTERM/SIGINT). Signal handlers and the file watcher
 * only set flags here; all work happens on the main thread.
 */
public final class Wakeup implements Sleeper {

  /** Why the wait ended. */
  public enum Reason {
    TIMER,
    CHANGED,
    RELOAD,
    STOP
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signalled = lock.newCondition();
  private boolean changed;
  private boolean reload;
  private volatile boolean stop;
  private volatile int exitCode;

  public void changed() {
    signal(() -> changed = true);
  }

  public void reload() {
    signal(() -> reload = true);
  }

  public void stop(int code) {
    signal(
        () -> {
          if (!stop) {
            exitCode = code;
          } else {
            stopAgain = true;
          }
          stop = true;
        });
  }

  /** True once a second stop signal arrived: shutdown waits (the agent's drain) end at once. */
  public boolean stopAgain() {
    return stopAgain;
  }

  /**
   * A sleep for the shutdown phase, when {@link #sleep} would return at once: ends early only on a
   * second stop signal.
   */
  public boolean sleepWhileStopping(Duration d) {
    return sleepUnless(d, () -> stopAgain);
  }

  private volatile boolean stopAgain;

  public boolean stopping() {
    return stop;
  }

  public int exitCode() {
    return exitCode;
  }

  private void signal(Runnable update) {
    lock.lock();
    try {
      update.run();
      signalled.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the deadline or an event; STOP beats RELOAD beats CHANGED. */
  public Reason await(long deadlineNanos) {
    lock.lock();
    try {
      while (true) {
        if (stop) {
          return Reason.STOP;
        }
        if (reload) {
          reload = false;
          return Reason.RELOAD;
        }
        if (changed) {
          changed = false;
          return Reason.CHANGED;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return Reason.TIMER;
        }
        try {
          signalled.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          stop = true;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Clears a pending change, e.g. one raised while the pass that reads it was running. */
  public void clearChanged() {
    lock.lock();
    try {
      changed = false;
    } finally {
      lock.unlock();
    }
  }

  /** A backoff sleep that ends early when hupd is asked to stop. */
  @Override
  public boolean sleep(Duration d) {
    return sleepUnless(d, () -> stop);
  }

  /**
   * Waits {@code d}, woken by every signal to re-check {@code cut}: true when the time is up, false
   * when {@code cut} turned true first or the thread was interrupted.
   */
  private boolean sleepUnless(Duration d, BooleanSupplier cut) {
    long deadline = System.nanoTime() + d.toNanos();
    lock.lock();
    try {
      while (!cut.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        try {
          signalled.await(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return false;
    } finally {
      lock.unlock();
    }
  }
}
