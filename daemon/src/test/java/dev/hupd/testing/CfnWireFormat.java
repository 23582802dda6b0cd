package dev.hupd.testing;

import java.util.List;

/** One of the two answer shapes of CloudFormation's Query API. */
interface CfnWireFormat {

  String contentType();

  String describeStackResource(ResourceSnapshot resource, String requestId);

  String describeStackResources(List<ResourceSnapshot> resources, String requestId);

  String error(CfnServiceError error, String requestId);

  /** Drift detection never runs against the fake, so every resource reports this status. */
  String DRIFT_STATUS = "NOT_CHECKED";

  static CfnWireFormat of(RecordedRequest.Protocol protocol) {
    return protocol == RecordedRequest.Protocol.JSON ? new QueryJsonFormat() : new QueryXmlFormat();
  }
}
