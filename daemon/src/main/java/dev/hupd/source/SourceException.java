package dev.hupd.source;

/**
 * A metadata read that failed. The kind decides what happens next: throttling, server errors and
 * network trouble are retried with backoff within the pass; the rest wait for the next pass. None
 * of them is ever read as the value having been removed.
 */
public final class SourceException extends Exception {

  /** Why the read failed. */
  public enum Kind {
    /** The API asked us to slow down (Throttling, ThrottlingException, RequestLimitExceeded). */
    THROTTLED(true),
    /** HTTP 5xx. */
    SERVER(true),
    /** Connection refused/reset, timeout, DNS. */
    NETWORK(true),
    /** AccessDenied and other authorization failures. */
    ACCESS_DENIED(false),
    /** The stack or resource does not exist (ValidationError), or no such file. */
    NOT_FOUND(false),
    /** The data exists but cannot be understood (malformed JSON, missing fields). */
    INVALID(false),
    /** Anything else. */
    OTHER(false);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final Kind kind;
  private final String code;

  public SourceException(Kind kind, String code, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.code = code == null ? kind.name() : code;
  }

  public SourceException(Kind kind, String message) {
    this(kind, null, message, null);
  }

  public Kind kind() {
    return kind;
  }

  /** The service's error code (e.g. {@code Throttling}) or the kind's name. */
  public String code() {
    return code;
  }
}
