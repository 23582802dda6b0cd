package dev.hupd.host;

import dev.hupd.config.HupdSettings;
import dev.hupd.config.StatusListen;
import dev.hupd.status.Metrics;
import dev.hupd.status.StatusBoard;
import dev.hupd.status.StatusServer;
import dev.hupd.status.StatusSnapshot;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the status server the settings ask for, beside the daemon loop. The server is a window,
 * not a part of the job: when it cannot bind, hupd says so at ERROR and runs without it.
 */
final class StatusServers {

  private static final Logger log = LoggerFactory.getLogger(StatusServers.class);

  private StatusServers() {}

  /** A board for this process, in the given mode ({@code cfn-hup} or {@code fleet}). */
  static StatusBoard board(String mode) {
    ProcessHandle self = ProcessHandle.current();
    Instant started = self.info().startInstant().orElse(Instant.now());
    String version = Daemon.class.getPackage().getImplementationVersion();
    return new StatusBoard(
        new StatusSnapshot.ProcessInfo(
            version == null ? "development" : version, self.pid(), started, mode),
        Clock.systemUTC());
  }

  /** Binds {@code listen} and serves {@code board}; empty when off or when binding failed. */
  static Optional<StatusServer> start(Optional<StatusListen> listen, StatusBoard board) {
    if (listen.isEmpty()) {
      log.info("event=status.off reason=\"status-listen = off\"");
      return Optional.empty();
    }
    StatusListen at = listen.get();
    try {
      StatusServer server =
          StatusServer.start(
              at.socketAddress(), board::current, Clock.systemUTC(), Metrics::residentBytes);
      log.info(
          "event=status.listening address={} public={} endpoints=\"/healthz /status /metrics\"",
          display(server, at),
          at.loopback() ? "no" : "yes");
      return Optional.of(server);
    } catch (IOException | RuntimeException e) {
      log.error(
          "event=status.unavailable address={} reason=\"{}\" next=\"running without the status"
              + " server\" hint=\"free the port or set status-listen in [hupd]\"",
          at.display(),
          e.getMessage());
      return Optional.empty();
    }
  }

  /** How long one pass may run before {@code /healthz} calls it stuck, from the settings. */
  static StatusSnapshot.Expectations expectations(HupdSettings s, Duration interval) {
    Duration allowance = s.actionTimeout().multipliedBy(3).plus(s.retryBudget());
    if (s.bamboo().isPresent()) {
      allowance = allowance.plus(s.bamboo().get().drainTimeout());
    }
    return new StatusSnapshot.Expectations(interval, allowance);
  }

  private static String display(StatusServer server, StatusListen asked) {
    return new StatusListen(asked.address(), server.address().getPort()).display();
  }
}
