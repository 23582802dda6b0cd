package dev.hupd.testing;

import java.time.Duration;
import java.util.Optional;

/**
 * Faults to inject into the next answers of {@link FakeCloudFormation}. Counted faults are used up
 * one per request; when several are armed, a dropped connection wins over throttling, which wins
 * over a server error, which wins over a persistent access denial.
 */
final class FaultSwitches {

  private int dropsLeft;
  private int throttlesLeft;
  private int failuresLeft;
  private int failureStatus;
  private boolean accessDenied;
  private Duration delay = Duration.ZERO;

  synchronized void dropConnectionsNext(int count) {
    dropsLeft = requireCount(count);
  }

  synchronized void throttleNext(int count) {
    throttlesLeft = requireCount(count);
  }

  synchronized void failNext(int count, int httpStatus) {
    if (httpStatus < 500 || httpStatus > 599) {
      throw new IllegalArgumentException("failNext needs a 5xx status, got " + httpStatus);
    }
    failuresLeft = requireCount(count);
    failureStatus = httpStatus;
  }

  synchronized void accessDenied(boolean denied) {
    accessDenied = denied;
  }

  synchronized void delay(Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, got " + value);
    }
    delay = value;
  }

  synchronized Duration delay() {
    return delay;
  }

  synchronized void reset() {
    dropsLeft = 0;
    throttlesLeft = 0;
    failuresLeft = 0;
    accessDenied = false;
    delay = Duration.ZERO;
  }

  /** Uses up one armed connection drop, if any. */
  synchronized boolean takeDrop() {
    if (dropsLeft == 0) {
      return false;
    }
    dropsLeft--;
    return true;
  }

  /** Uses up one armed error answer, if any; an access denial is never used up. */
  synchronized Optional<CfnServiceError> takeError(String action, String stackId) {
    if (throttlesLeft > 0) {
      throttlesLeft--;
      return Optional.of(CfnServiceError.throttling());
    }
    if (failuresLeft > 0) {
      failuresLeft--;
      return Optional.of(CfnServiceError.serverError(failureStatus));
    }
    if (accessDenied) {
      return Optional.of(CfnServiceError.accessDenied(action, stackId));
    }
    return Optional.empty();
  }

  private static int requireCount(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    return count;
  }
}
