package dev.hupd.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;

/**
 * What a metadata source knows about one stack resource at one moment: the fields of
 * CloudFormation's {@code StackResourceDetail} that hooks can look at.
 *
 * @param logicalId the resource's logical id
 * @param type e.g. {@code AWS::EC2::LaunchTemplate}
 * @param status e.g. {@code UPDATE_COMPLETE}
 * @param physicalId the physical id, if any
 * @param lastUpdated when the resource last changed, if known
 * @param metadataText the Metadata attribute as the JSON text the API returns, if any
 */
public record StackResource(
    String logicalId,
    String type,
    String status,
    Optional<String> physicalId,
    Optional<Instant> lastUpdated,
    Optional<String> metadataText) {

  /** cfn-hup skips every hook on a resource whose status ends in {@code _IN_PROGRESS}. */
  public boolean inProgress() {
    return status != null && status.endsWith("_IN_PROGRESS");
  }

  public boolean deleted() {
    return "DELETE_COMPLETE".equals(status);
  }

  /**
   * The Metadata parsed as JSON.
   *
   * @throws IllegalArgumentException if the text is not JSON (the message says where)
   */
  public Optional<JsonNode> metadata() {
    return metadataText.filter(t -> !t.isBlank()).map(Json::parse);
  }
}
