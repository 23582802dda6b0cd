package dev.hupd.testing;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * CloudFormation's documented XML answers (namespace {@code 2010-05-15}), as read by the AWS SDKs
 * and the AWS CLI. Metadata travels as XML-escaped JSON text that the client parses again.
 */
final class QueryXmlFormat implements CfnWireFormat {

  static final String NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

  /** ISO-8601 in UTC with milliseconds, the form the service writes: 2024-01-31T09:15:00.123Z. */
  static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Override
  public String contentType() {
    return "text/xml";
  }

  @Override
  public String describeStackResource(ResourceSnapshot resource, String requestId) {
    StringBuilder xml = openResponse("DescribeStackResource");
    xml.append("<StackResourceDetail>");
    commonFields(xml, resource, "LastUpdatedTimestamp");
    element(xml, "Metadata", resource.metadata());
    driftInformation(xml);
    xml.append("</StackResourceDetail>");
    return closeResponse(xml, "DescribeStackResource", requestId);
  }

  @Override
  public String describeStackResources(List<ResourceSnapshot> resources, String requestId) {
    StringBuilder xml = openResponse("DescribeStackResources");
    xml.append("<StackResources>");
    for (ResourceSnapshot resource : resources) {
      xml.append("<member>");
      commonFields(xml, resource, "Timestamp");
      driftInformation(xml);
      xml.append("</member>");
    }
    xml.append("</StackResources>");
    return closeResponse(xml, "DescribeStackResources", requestId);
  }

  @Override
  public String error(CfnServiceError error, String requestId) {
    StringBuilder xml = new StringBuilder();
    xml.append("<ErrorResponse xmlns=\"").append(NAMESPACE).append("\">\n  <Error>");
    element(xml, "Type", error.type());
    element(xml, "Code", error.code());
    element(xml, "Message", error.getMessage());
    xml.append("</Error>\n  ");
    element(xml, "RequestId", requestId);
    return xml.append("\n</ErrorResponse>\n").toString();
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static StringBuilder openResponse(String action) {
    return new StringBuilder()
        .append("<")
        .append(action)
        .append("Response xmlns=\"")
        .append(NAMESPACE)
        .append("\">\n  <")
        .append(action)
        .append("Result>");
  }

  private static String closeResponse(StringBuilder xml, String action, String requestId) {
    xml.append("</").append(action).append("Result>\n  <ResponseMetadata>");
    element(xml, "RequestId", requestId);
    xml.append("</ResponseMetadata>\n</").append(action).append("Response>\n");
    return xml.toString();
  }

  private static void commonFields(StringBuilder xml, ResourceSnapshot r, String timeElement) {
    element(xml, "StackName", r.stackName());
    element(xml, "StackId", r.stackId());
    element(xml, "LogicalResourceId", r.logicalId());
    element(xml, "PhysicalResourceId", r.physicalId());
    element(xml, "ResourceType", r.type());
    element(xml, timeElement, timestamp(r.lastUpdated()));
    element(xml, "ResourceStatus", r.status());
  }

  private static void driftInformation(StringBuilder xml) {
    xml.append("<DriftInformation>");
    element(xml, "StackResourceDriftStatus", DRIFT_STATUS);
    xml.append("</DriftInformation>");
  }

  private static String timestamp(Instant instant) {
    return instant == null ? null : TIMESTAMP.format(instant);
  }

  /** Writes {@code <name>value</name>}; a null value writes no element at all. */
  private static void element(StringBuilder xml, String name, String value) {
    if (value != null) {
      xml.append('<').append(name).append('>');
      xml.append(escape(value));
      xml.append("</").append(name).append('>');
    }
  }
}
