package dev.hupd.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.docker.DockerException.Kind;
import dev.hupd.docker.UnixHttpClient.Response;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Turns dockerd's answers, and the lack of one, into {@link DockerException}s. dockerd reports most
 * registry failures as HTTP 500 (before streaming) or as an {@code errorDetail} line (after), with
 * the registry's words inside the message, so the message decides for pulls; everywhere else only
 * the status and a full disk count, since e.g. "executable file not found" on a container start is
 * not a missing object.
 */
final class DockerErrors {

  /** Checked in this order; the first kind with a matching phrase wins. */
  private static final List<Rule> PULL_RULES =
      List.of(
          new Rule(Kind.DISK_FULL, "no space left on device"),
          new Rule(
              Kind.DIGEST_MISMATCH,
              "digest mismatch",
              "verification failed",
              "does not match digest",
              "unexpected digest"),
          new Rule(
              Kind.REGISTRY_ERROR,
              "connection refused",
              "no such host",
              "i/o timeout",
              "dial tcp",
              "tls:",
              "x509:",
              "server gave http response to https client",
              "connection reset",
              "received unexpected http status: 5",
              "toomanyrequests",
              "service unavailable"),
          new Rule(
              Kind.UNAUTHORIZED,
              "unauthorized",
              "authentication required",
              "access denied",
              "denied: ",
              "access to the resource is denied",
              "no basic auth credentials"),
          new Rule(
              Kind.NOT_FOUND,
              "manifest unknown",
              "not found",
              "name unknown",
              "no such image",
              "repository does not exist"));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ERROR_BYTES = 64 << 10;

  private DockerErrors() {}

  /** For an HTTP error answer or stream error line of a pull (and build's implicit pull). */
  static Kind forPull(int status, String message) {
    String text = message.toLowerCase(Locale.ROOT);
    for (Rule rule : PULL_RULES) {
      if (rule.matches(text)) {
        return rule.kind;
      }
    }
    return forStatus(status, message);
  }

  /** For an HTTP error answer of any other call. */
  static Kind forStatus(int status, String message) {
    if (message.toLowerCase(Locale.ROOT).contains("no space left on device")) {
      return Kind.DISK_FULL;
    }
    switch (status) {
      case 401:
      case 403:
        return Kind.UNAUTHORIZED;
      case 404:
        return Kind.NOT_FOUND;
      case 409:
        return Kind.CONFLICT;
      default:
        return Kind.OTHER;
    }
  }

  /** An HTTP error answer, with dockerd's {@code message} taken from its JSON body. */
  static DockerException fromAnswer(String action, boolean pull, Response response)
      throws IOException {
    int status = response.status();
    byte[] body = response.body().readNBytes(MAX_ERROR_BYTES);
    String text = new String(body, StandardCharsets.UTF_8);
    String message;
    try {
      message = JSON.readTree(text).path("message").asText(text).strip();
    } catch (JsonProcessingException e) {
      message = text.strip();
    }
    Kind kind = pull ? forPull(status, message) : forStatus(status, message);
    return new DockerException(
        kind, status, message, action + ": " + message + " (HTTP " + status + ")");
  }

  /**
   * No usable answer. A broken connection counts as the daemon being unavailable: that is what a
   * dockerd restart in the middle of a pull looks like.
   */
  static DockerException fromTransport(
      String action, Path socket, Duration timeout, IOException e) {
    if (e instanceof SocketTimeoutException) {
      String text = "no answer within " + timeout.toMillis() + " ms from dockerd at " + socket;
      return new DockerException(Kind.TIMEOUT, 0, "", action + ": " + text, e);
    }
    if (e instanceof InterruptedIOException) {
      Thread.currentThread().interrupt();
      return new DockerException(Kind.OTHER, 0, "", action + ": interrupted", e);
    }
    if (e instanceof ConnectException) {
      String text = e.getMessage() + " (is dockerd running?)";
      return new DockerException(Kind.DAEMON_UNAVAILABLE, 0, "", action + ": " + text, e);
    }
    if (e instanceof JsonProcessingException || e instanceof ProtocolException) {
      String text = "unreadable answer from dockerd at " + socket + ": " + e.getMessage();
      return new DockerException(Kind.OTHER, 0, "", action + ": " + text, e);
    }
    String text = "connection to dockerd at " + socket + " broke: " + e.getMessage();
    return new DockerException(Kind.DAEMON_UNAVAILABLE, 0, "", action + ": " + text, e);
  }

  private record Rule(Kind kind, List<String> phrases) {
    Rule(Kind kind, String... phrases) {
      this(kind, List.of(phrases));
    }

    boolean matches(String text) {
      return phrases.stream().anyMatch(text::contains);
    }
  }
}
