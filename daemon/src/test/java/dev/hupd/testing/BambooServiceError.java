package dev.hupd.testing;

/**
 * An error answer of {@link FakeBambooModel}: the HTTP status a Bamboo master would send and the
 * message the fake puts into its {@code {"message":…,"status-code":…}} body.
 */
public final class BambooServiceError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;

  public BambooServiceError(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }

  static BambooServiceError notFound(String what) {
    return new BambooServiceError(404, what + " not found");
  }

  static BambooServiceError badRequest(String message) {
    return new BambooServiceError(400, message);
  }
}
