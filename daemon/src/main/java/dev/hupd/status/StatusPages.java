package dev.hupd.status;

import java.time.Clock;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * What each path answers, independent of HTTP plumbing: a status code, a content type and a body,
 * all computed from the latest snapshot.
 */
final class StatusPages {

  /**
   * One answer.
   *
   * @param status the HTTP status code
   * @param contentType the Content-Type header
   * @param body the UTF-8 body
   */
  record Page(int status, String contentType, String body) {}

  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json; charset=utf-8";

  private final Supplier<StatusSnapshot> snapshots;
  private final Clock clock;
  private final Supplier<OptionalLong> residentBytes;

  StatusPages(
      Supplier<StatusSnapshot> snapshots, Clock clock, Supplier<OptionalLong> residentBytes) {
    this.snapshots = snapshots;
    this.clock = clock;
    this.residentBytes = residentBytes;
  }

  /** Whether {@code path} is served at all (else 404, whatever the method). */
  static boolean known(String path) {
    return path.equals("/healthz") || path.equals("/status") || path.equals("/metrics");
  }

  /** The answer to a GET of a {@link #known} path. */
  Page get(String path) {
    StatusSnapshot s = snapshots.get();
    Instant now = clock.instant();
    switch (path) {
      case "/healthz":
        StatusSnapshot.Health h = s.health(now);
        return new Page(h.ok() ? 200 : 503, TEXT, h.reason() + "\n");
      case "/status":
        return new Page(200, JSON, StatusDocument.render(s, now));
      case "/metrics":
        return new Page(
            200, MetricsWriter.CONTENT_TYPE, Metrics.render(s, now, residentBytes.get()));
      default:
        return notFound();
    }
  }

  static Page notFound() {
    return new Page(404, TEXT, "not found: hupd serves /healthz, /status and /metrics\n");
  }

  static Page notAllowed() {
    return new Page(405, TEXT, "method not allowed: only GET\n");
  }

  static Page badRequest() {
    return new Page(400, TEXT, "bad request\n");
  }
}
