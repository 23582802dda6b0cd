package dev.hupd.testing;

/**
 * An error {@link FakeSsmModel} answers, in the terms of SSM's AWS JSON 1.1 protocol: the HTTP
 * status, the error code (the {@code __type} of the body) and the message. Java callers of the
 * model catch it; {@link SsmHandler} turns it into the wire answer.
 */
public final class SsmServiceError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final String code;

  public SsmServiceError(int httpStatus, String code, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.code = code;
  }

  /** HTTP 400: the caller's fault (the usual status for every SSM client error). */
  static SsmServiceError client(String code, String message) {
    return new SsmServiceError(400, code, message);
  }

  static SsmServiceError validation(String message) {
    return client("ValidationException", message);
  }

  /** The request validator's wording for a member outside its constraint. */
  static SsmServiceError constraint(String value, String member, String constraint) {
    return validation(
        "1 validation error detected: Value '"
            + value
            + "' at '"
            + member
            + "' failed to satisfy constraint: Member must "
            + constraint);
  }

  /** What SSM answers when an account's request rate is over its quota. */
  static SsmServiceError throttling() {
    return client("ThrottlingException", "Rate exceeded");
  }

  static SsmServiceError tooManyUpdates() {
    return client(
        "TooManyUpdates",
        "There are concurrent updates for a resource that supports one update at a time.");
  }

  static SsmServiceError notFound(String name) {
    return client("ParameterNotFound", "Parameter " + name + " not found.");
  }

  static SsmServiceError internal(int httpStatus) {
    if (httpStatus == 503) {
      return new SsmServiceError(503, "ServiceUnavailable", "Service Unavailable");
    }
    return new SsmServiceError(httpStatus, "InternalServerError", "Internal Server Error");
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The SSM error code, e.g. {@code ParameterAlreadyExists}. */
  public String code() {
    return code;
  }

  @Override
  public String toString() {
    return code + " (HTTP " + httpStatus + "): " + getMessage();
  }
}
