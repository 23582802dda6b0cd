package dev.hupd.docker;

/**
 * A Docker Engine call that failed, with what the caller can act on: the {@link Kind}, the HTTP
 * status dockerd answered with and dockerd's own message.
 */
public final class DockerException extends Exception {

  /** Why a call failed. */
  public enum Kind {
    /** Nothing answers on the socket, or the connection broke (e.g. dockerd restarted). */
    DAEMON_UNAVAILABLE,
    /** No such image, container, repository, tag or manifest. */
    NOT_FOUND,
    /** The registry refused the credentials, or asked for some. */
    UNAUTHORIZED,
    /** The object is in use or the name taken (HTTP 409). */
    CONFLICT,
    /** The registry cannot be reached or failed (refused, DNS, TLS, 5xx). */
    REGISTRY_ERROR,
    /** The image pulled is not the one the digest names, or a layer failed verification. */
    DIGEST_MISMATCH,
    /** The call's deadline passed. */
    TIMEOUT,
    /** dockerd's disk is full. */
    DISK_FULL,
    /** Anything else; the message says what. */
    OTHER
  }

  private final Kind kind;
  private final int status;
  private final String daemonMessage;

  public DockerException(Kind kind, int status, String daemonMessage, String message) {
    this(kind, status, daemonMessage, message, null);
  }

  public DockerException(
      Kind kind, int status, String daemonMessage, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
    this.daemonMessage = daemonMessage == null ? "" : daemonMessage;
  }

  public Kind kind() {
    return kind;
  }

  /**
   * The HTTP status dockerd answered with; 0 when there was no error status (no answer at all, or
   * an error line inside a streamed 200 answer).
   */
  public int status() {
    return status;
  }

  /** dockerd's {@code message} (or stream {@code error}), empty when there was none. */
  public String daemonMessage() {
    return daemonMessage;
  }
}
