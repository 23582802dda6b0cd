package dev.hupd.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;

/**
 * The undocumented JSON answers CloudFormation gives to Query calls carrying {@code
 * ContentType=JSON}, which is what cfn-bootstrap (cfn-hup) asks for. Timestamps are epoch seconds
 * as a JSON number; Metadata is a JSON string holding JSON text.
 *
 * <p>The fake writes timestamps as a double the way Jackson prints one (e.g. {@code
 * 1.700000000123E9}, or {@code 1.7E9} for whole seconds). Whether the real service uses exponent
 * notation was not verified; every JSON parser reads both forms, and cfn-hup passes the value to
 * {@code datetime.utcfromtimestamp}.
 */
final class QueryJsonFormat implements CfnWireFormat {

  @Override
  public String contentType() {
    return "application/json";
  }

  @Override
  public String describeStackResource(ResourceSnapshot resource, String requestId) {
    ObjectNode detail = commonFields(resource, "LastUpdatedTimestamp");
    putIfPresent(detail, "Metadata", resource.metadata());
    putDriftInformation(detail);
    ObjectNode result = JsonTexts.MAPPER.createObjectNode();
    result.set("StackResourceDetail", detail);
    return response("DescribeStackResource", result, requestId);
  }

  @Override
  public String describeStackResources(List<ResourceSnapshot> resources, String requestId) {
    ObjectNode result = JsonTexts.MAPPER.createObjectNode();
    ArrayNode items = result.putArray("StackResources");
    for (ResourceSnapshot resource : resources) {
      ObjectNode item = commonFields(resource, "Timestamp");
      putDriftInformation(item);
      items.add(item);
    }
    return response("DescribeStackResources", result, requestId);
  }

  /** {@code {"Error":{"Code","Message","Type"},"RequestId"}}: what cfn-bootstrap parses. */
  @Override
  public String error(CfnServiceError error, String requestId) {
    ObjectNode root = JsonTexts.MAPPER.createObjectNode();
    ObjectNode body = root.putObject("Error");
    body.put("Code", error.code());
    body.put("Message", error.getMessage());
    body.put("Type", error.type());
    root.put("RequestId", requestId);
    return JsonTexts.write(root);
  }

  /** Epoch seconds with the fraction kept, e.g. 1700000000.123. */
  static double epochSeconds(Instant instant) {
    return instant.getEpochSecond() + instant.getNano() / 1e9;
  }

  private static String response(String action, ObjectNode result, String requestId) {
    ObjectNode root = JsonTexts.MAPPER.createObjectNode();
    ObjectNode response = root.putObject(action + "Response");
    response.set(action + "Result", result);
    response.putObject("ResponseMetadata").put("RequestId", requestId);
    return JsonTexts.write(root);
  }

  private static ObjectNode commonFields(ResourceSnapshot r, String timeField) {
    ObjectNode node = JsonTexts.MAPPER.createObjectNode();
    node.put("StackName", r.stackName());
    node.put("StackId", r.stackId());
    node.put("LogicalResourceId", r.logicalId());
    putIfPresent(node, "PhysicalResourceId", r.physicalId());
    node.put("ResourceType", r.type());
    node.put(timeField, epochSeconds(r.lastUpdated()));
    node.put("ResourceStatus", r.status());
    return node;
  }

  private static void putDriftInformation(ObjectNode node) {
    node.putObject("DriftInformation").put("StackResourceDriftStatus", DRIFT_STATUS);
  }

  private static void putIfPresent(ObjectNode node, String name, String value) {
    if (value != null) {
      node.put(name, value);
    }
  }
}
