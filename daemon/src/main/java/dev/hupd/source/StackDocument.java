package dev.hupd.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StackResource;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * A JSON document shaped like a stack: {@code {"StackName": …, "Resources": {"<Id>":
 * {"ResourceType", "PhysicalResourceId", "ResourceStatus", "LastUpdatedTimestamp", "Metadata"}}}}.
 * The file source reads it from disk; rollout revisions and {@code hupd push} carry it as text.
 */
public final class StackDocument {

  private StackDocument() {}

  /**
   * One resource of the document.
   *
   * @param root the parsed document
   * @param logicalId the resource
   * @param origin names the document in messages (a file, a parameter, a revision)
   * @throws SourceException NOT_FOUND when absent, INVALID naming the field when malformed
   */
  public static StackResource describe(JsonNode root, String logicalId, String origin)
      throws SourceException {
    JsonNode resources = root.path("Resources");
    if (!resources.isObject()) {
      throw invalid(origin, "Resources", "an object of {\"<LogicalId>\": {...}}");
    }
    JsonNode r = resources.get(logicalId);
    if (r == null) {
      throw new SourceException(
          SourceException.Kind.NOT_FOUND,
          "ResourceNotFound",
          "resource " + logicalId + " is not in " + origin,
          null);
    }
    if (!r.isObject()) {
      throw invalid(origin, "Resources." + logicalId, "an object");
    }
    String field = "Resources." + logicalId + ".";
    String type = text(origin, r, "ResourceType", field).orElse("AWS::CloudFormation::Init");
    String status = text(origin, r, "ResourceStatus", field).orElse("UPDATE_COMPLETE");
    Optional<String> physical = text(origin, r, "PhysicalResourceId", field);
    Optional<Instant> updated = Optional.empty();
    Optional<String> stamp = text(origin, r, "LastUpdatedTimestamp", field);
    if (stamp.isPresent()) {
      try {
        updated = Optional.of(Instant.parse(stamp.get()));
      } catch (DateTimeParseException e) {
        throw invalid(
            origin,
            field + "LastUpdatedTimestamp",
            "an ISO-8601 UTC time such as 2026-12-04T10:00:00Z");
      }
    }
    JsonNode metadata = r.get("Metadata");
    Optional<String> metadataText;
    if (metadata == null || metadata.isNull()) {
      metadataText = Optional.empty();
    } else if (metadata.isTextual()) {
      try {
        Json.parse(metadata.textValue());
      } catch (IllegalArgumentException e) {
        throw invalid(
            origin,
            field + "Metadata",
            "a JSON object or a string holding JSON (" + e.getMessage() + ")");
      }
      metadataText = Optional.of(metadata.textValue());
    } else {
      metadataText = Optional.of(metadata.toString());
    }
    return new StackResource(logicalId, type, status, physical, updated, metadataText);
  }

  private static Optional<String> text(String origin, JsonNode r, String name, String prefix)
      throws SourceException {
    JsonNode v = r.get(name);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw invalid(origin, prefix + name, "a string");
    }
    return Optional.of(v.textValue());
  }

  private static SourceException invalid(String origin, String field, String expected) {
    return new SourceException(
        SourceException.Kind.INVALID,
        "InvalidField",
        origin + ": field " + field + " must be " + expected,
        null);
  }
}
