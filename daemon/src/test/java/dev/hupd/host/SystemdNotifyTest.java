package dev.hupd.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SystemdNotifyTest {

  static final long SECOND = 1_000_000_000L;

  final List<String> sent = new ArrayList<>();
  final AtomicLong now = new AtomicLong(1_000 * SECOND);
  final SystemdNotify.Transport recorder =
      new SystemdNotify.Transport() {
        @Override
        public void send(String message) {
          sent.add(message);
        }

        @Override
        public void close() {}
      };

  @Test
  void watchdogIntervalIsHalfOfWatchdogUsecAndOnlyForThisPid() {
    assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "400000"), 7))
        .isEqualTo(200_000_000L);
    assertThat(
            SystemdNotify.watchdogInterval(
                Map.of("WATCHDOG_USEC", "400000", "WATCHDOG_PID", "7"), 7))
        .isEqualTo(200_000_000L);
    assertThat(
            SystemdNotify.watchdogInterval(
                Map.of("WATCHDOG_USEC", "400000", "WATCHDOG_PID", "8"), 7))
        .isZero();
    assertThat(SystemdNotify.watchdogInterval(Map.of(), 7)).isZero();
    assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "x"), 7)).isZero();
    assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "0"), 7)).isZero();
  }

  @Test
  void messagesHaveSystemdsFormat() {
    assertThat(SystemdNotify.readyMessage("Ready: a\nb")).isEqualTo("READY=1\nSTATUS=Ready: a b");
    assertThat(SystemdNotify.reloadingMessage(5_000_123_456L))
        .isEqualTo("RELOADING=1\nMONOTONIC_USEC=5000123\nSTATUS=Reloading configuration");
    assertThat(SystemdNotify.passStatus(Instant.parse("2026-01-02T03:04:05.678Z"), 2, 1))
        .isEqualTo("Last pass 2026-01-02T03:04:05Z: 2 actions, 1 failed");
  }

  @Test
  void keepAlivePingsOncePerIntervalAndTheWaitWakesForIt() {
    SystemdNotify notify = new SystemdNotify(recorder, 2 * SECOND, now::get);
    long far = now.get() + 60 * SECOND;

    notify.keepAlive();
    notify.keepAlive();
    assertThat(sent).containsExactly("WATCHDOG=1");
    assertThat(notify.wakeBy(far)).isEqualTo(now.get() + 2 * SECOND);

    now.addAndGet(2 * SECOND);
    notify.keepAlive();
    assertThat(sent).containsExactly("WATCHDOG=1", "WATCHDOG=1");
  }

  @Test
  void progressInsideAPassPingsTheWatchdogAndExtendsTheStartUntilReady() {
    SystemdNotify notify = new SystemdNotify(recorder, 2 * SECOND, now::get);
    String extend = "EXTEND_TIMEOUT_USEC=" + SystemdNotify.START_EXTENSION.toNanos() / 1000;

    notify.progress();
    notify.progress(); // rate-limited: nothing new
    assertThat(sent).containsExactly("WATCHDOG=1", extend);

    now.addAndGet(2 * SECOND); // a long action: the watchdog is due again, the extension not yet
    notify.progress();
    assertThat(sent).containsExactly("WATCHDOG=1", extend, "WATCHDOG=1");

    now.addAndGet(SystemdNotify.EXTEND_EVERY.toNanos());
    notify.progress();
    assertThat(sent).containsExactly("WATCHDOG=1", extend, "WATCHDOG=1", "WATCHDOG=1", extend);

    notify.ready("Ready: first pass done, 2 actions");
    sent.clear();
    now.addAndGet(SystemdNotify.EXTEND_EVERY.toNanos());
    notify.progress(); // after READY: keep-alives only, the start is over
    assertThat(sent).containsExactly("WATCHDOG=1");
  }

  @Test
  void progressWithoutWatchdogStillExtendsTheStartButSendsNothingOnceReady() {
    SystemdNotify notify = new SystemdNotify(recorder, 0, now::get);
    notify.progress();
    assertThat(sent).singleElement().asString().startsWith("EXTEND_TIMEOUT_USEC=");
    notify.ready("Ready");
    sent.clear();
    now.addAndGet(10 * SystemdNotify.EXTEND_EVERY.toNanos());
    notify.progress();
    assertThat(sent).isEmpty();
    SystemdNotify.off().progress(); // off: a no-op, no transport to fail on
  }

  @Test
  void withoutWatchdogTheDeadlineIsKeptAndNothingIsPinged() {
    SystemdNotify notify = new SystemdNotify(recorder, 0, now::get);
    notify.keepAlive();
    assertThat(notify.wakeBy(42)).isEqualTo(42);
    assertThat(sent).isEmpty();
  }

  @Test
  void passStatusIsRateLimitedAndTheLatestIsSentLater() {
    SystemdNotify notify = new SystemdNotify(recorder, 0, now::get);
    notify.ready("Ready");
    notify.passDone(Instant.EPOCH, 1, 0);
    notify.passDone(Instant.EPOCH, 2, 0);
    assertThat(sent).containsExactly("READY=1\nSTATUS=Ready");

    now.addAndGet(SystemdNotify.STATUS_GAP.toNanos());
    notify.keepAlive();
    assertThat(sent).hasSize(2).last().asString().contains("2 actions");
  }

  @Test
  void offSendsNothing() {
    SystemdNotify notify = SystemdNotify.off();
    notify.ready("x");
    notify.stopping();
    assertThat(notify.enabled()).isFalse();
  }
}
