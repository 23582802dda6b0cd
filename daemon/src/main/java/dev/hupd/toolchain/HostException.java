package dev.hupd.toolchain;

/** A container-engine operation that failed, with a kind that decides what happens next. */
public final class HostException extends Exception {

  /** Why it failed. */
  public enum Kind {
    DAEMON_UNAVAILABLE,
    NOT_FOUND,
    UNAUTHORIZED,
    REGISTRY_ERROR,
    DIGEST_MISMATCH,
    TIMEOUT,
    DISK_FULL,
    CONFLICT,
    OTHER
  }

  private final Kind kind;

  public HostException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public HostException(Kind kind, String message) {
    this(kind, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
