package dev.hupd.rollout;

/** A store call that did not do what was asked. {@link #kind()} decides what the caller does. */
public final class StoreException extends Exception {

  /** Why, as far as the caller's decision goes. */
  public enum Kind {
    /** Create-if-absent lost: the name exists. Not an error; someone else made the same move. */
    ALREADY_EXISTS,
    /** Rate exceeded or too many concurrent updates: retry later, never a verdict. */
    THROTTLED,
    /** Timeouts, 5xx, connection trouble: retry later. */
    TRANSIENT,
    /** Credentials refused or not allowed: retry at a slow pace, logged rarely. */
    DENIED,
    /**
     * The request itself is wrong (bad name, value too long, version limit): a bug or bad input.
     */
    INVALID
  }

  private final Kind kind;

  public StoreException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public StoreException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Worth retrying after a delay: throttling and transient trouble. */
  public boolean retryable() {
    return kind == Kind.THROTTLED || kind == Kind.TRANSIENT;
  }
}
