package dev.hupd.bamboo;

/**
 * A call to the Bamboo master that failed, with what the caller can act on: the {@link Kind}, the
 * HTTP status (0 when there was no answer), the method and the path under {@code /rest/api/latest}.
 * The message says what failed and what to check; it never contains the token.
 */
public final class BambooException extends Exception {

  /** Why a call failed. Only the status code decides, never an error body. */
  public enum Kind {
    /** Nothing answered (refused, reset, DNS, proxy down), or the caller was interrupted. */
    UNREACHABLE,
    /** No complete answer within the timeout (connect timeout included). */
    TIMEOUT,
    /** The TLS handshake failed: untrusted certificate or host name mismatch. */
    TLS,
    /** 401 twice: the token was refused even after re-reading it. */
    UNAUTHORIZED,
    /** 403: the token's user lacks the permission. */
    FORBIDDEN,
    /** 404: no such agent, UUID or capability (or no such endpoint on an old master). */
    NOT_FOUND,
    /** 5xx. */
    SERVER_ERROR,
    /** Any other answer hupd cannot use: a redirect, another 4xx, a body that is not the JSON. */
    PROTOCOL,
    /** The token could not be read from its secret. */
    SECRET
  }

  private final Kind kind;
  private final int status;
  private final String method;
  private final String path;

  /**
   * @param status the HTTP status, 0 when there was none
   * @param path the path under {@code /rest/api/latest}, query included, e.g. {@code /agent/7}
   */
  public BambooException(
      Kind kind, int status, String method, String path, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
    this.method = method;
    this.path = path;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status the master answered with; 0 when there was no HTTP answer. */
  public int status() {
    return status;
  }

  public String method() {
    return method;
  }

  /** The path under {@code /rest/api/latest}, query included. */
  public String path() {
    return path;
  }
}
