package dev.hupd.testing;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One request as {@link FakeCloudFormation} received it, with the fields a test asserts on already
 * pulled out of the parameters and the SigV4 {@code Authorization} header.
 *
 * @param method HTTP method, e.g. {@code POST} (AWS SDK, AWS CLI) or {@code GET} (cfn-hup)
 * @param path request path without the query, normally {@code /}
 * @param params query-string and form-body parameters merged (the body wins on a clash)
 * @param headers request headers, names lower-cased, repeated values joined with ","
 * @param protocol which answer shape the caller asked for
 * @param action the {@code Action} parameter, or null
 * @param stackName the {@code StackName} parameter as sent (a name or a stack ARN), or null
 * @param logicalId the {@code LogicalResourceId} parameter, or null
 * @param accessKeyId the access key in the SigV4 credential scope, or null when unsigned
 * @param region the region in the SigV4 credential scope, or null when unsigned
 * @param host the {@code Host} header
 * @param body the raw request body ("" for GET)
 */
public record RecordedRequest(
    String method,
    String path,
    Map<String, String> params,
    Map<String, String> headers,
    Protocol protocol,
    String action,
    String stackName,
    String logicalId,
    String accessKeyId,
    String region,
    String host,
    String body) {

  /** The two answer shapes CloudFormation's Query API offers. */
  public enum Protocol {
    /** The documented default: XML, as the AWS SDKs and the AWS CLI read it. */
    QUERY_XML,
    /** {@code ContentType=JSON}: undocumented JSON answers, as cfn-bootstrap (cfn-hup) reads. */
    JSON
  }

  /** {@code Credential=AKID/20240101/eu-west-1/cloudformation/aws4_request}. */
  private static final Pattern CREDENTIAL_SCOPE =
      Pattern.compile("Credential=([^/,\\s]+)/\\d{8}/([^/,\\s]+)/[^/,\\s]+/aws4_request");

  public RecordedRequest {
    params = Map.copyOf(params);
    headers = Map.copyOf(headers);
  }

  static RecordedRequest of(
      String method,
      String path,
      Map<String, String> params,
      Map<String, String> headers,
      String body) {
    Protocol protocol =
        "JSON".equalsIgnoreCase(params.get("ContentType")) ? Protocol.JSON : Protocol.QUERY_XML;
    Matcher scope = CREDENTIAL_SCOPE.matcher(headers.getOrDefault("authorization", ""));
    boolean signed = scope.find();
    return new RecordedRequest(
        method,
        path,
        params,
        headers,
        protocol,
        params.get("Action"),
        params.get("StackName"),
        params.get("LogicalResourceId"),
        signed ? scope.group(1) : null,
        signed ? scope.group(2) : null,
        headers.get("host"),
        body);
  }
}
