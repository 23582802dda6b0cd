package dev.hupd.testing;

/**
 * An error the fake answers in CloudFormation's Query error shape: HTTP status, fault type ({@code
 * Sender} = the caller's fault, {@code Receiver} = the service's), code and message.
 */
final class CfnServiceError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  static final String SENDER = "Sender";
  static final String RECEIVER = "Receiver";

  private final int httpStatus;
  private final String type;
  private final String code;

  CfnServiceError(int httpStatus, String type, String code, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.type = type;
    this.code = code;
  }

  /** The code client fixtures show for a stack name or id that is not known. */
  static CfnServiceError stackNotFound(String stackName) {
    return validation("Stack with id " + stackName + " does not exist");
  }

  static CfnServiceError resourceNotFound(String logicalId, String stackName) {
    return validation("Resource " + logicalId + " does not exist for stack " + stackName);
  }

  /** The wording of the service's own request validator for a missing required member. */
  static CfnServiceError missingParameter(String memberName) {
    return validation(
        "1 validation error detected: Value null at '"
            + memberName
            + "' failed to satisfy constraint: Member must not be null");
  }

  static CfnServiceError validation(String message) {
    return new CfnServiceError(400, SENDER, "ValidationError", message);
  }

  /** What CloudFormation answers when its (unpublished) request rate limit is exceeded. */
  static CfnServiceError throttling() {
    return new CfnServiceError(400, SENDER, "Throttling", "Rate exceeded");
  }

  /** The common AWS server-side errors: 503 is ServiceUnavailable, any other InternalFailure. */
  static CfnServiceError serverError(int httpStatus) {
    if (httpStatus == 503) {
      return new CfnServiceError(
          503,
          RECEIVER,
          "ServiceUnavailable",
          "The request has failed due to a temporary failure of the server.");
    }
    return new CfnServiceError(
        httpStatus,
        RECEIVER,
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.");
  }

  static CfnServiceError accessDenied(String action, String stackId) {
    return new CfnServiceError(
        403,
        SENDER,
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/AgentRole/i-0abc is not authorized to"
            + " perform: cloudformation:"
            + action
            + " on resource: "
            + stackId);
  }

  static CfnServiceError invalidAction(String action) {
    return new CfnServiceError(
        400,
        SENDER,
        "InvalidAction",
        "Could not find operation " + action + " for version 2010-05-15");
  }

  static CfnServiceError missingAction() {
    return new CfnServiceError(
        400, SENDER, "MissingAction", "The request is missing an action or a required parameter.");
  }

  int httpStatus() {
    return httpStatus;
  }

  String type() {
    return type;
  }

  String code() {
    return code;
  }
}
