package dev.hupd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads stack contents for {@link FakeCloudFormation} from a metadata folder or a stack file. */
final class StackFiles {

  private static final String SUFFIX = ".json";

  private StackFiles() {}

  /** Each {@code <LogicalId>.json} becomes that resource's Metadata; unchanged ones stay put. */
  static List<String> loadMetadataDir(FakeCloudFormation fake, Path dir) throws IOException {
    List<String> loaded = new ArrayList<>();
    for (Path file : metadataFiles(dir)) {
      String fileName = file.getFileName().toString();
      String logicalId = fileName.substring(0, fileName.length() - SUFFIX.length());
      String metadata = compact(file);
      FakeCloudFormation.Resource resource = fake.resource(logicalId);
      if (!metadata.equals(resource.metadata())) {
        resource.metadata(metadata);
      }
      loaded.add(logicalId);
    }
    return loaded;
  }

  static void loadStackFile(FakeCloudFormation fake, Path file) throws IOException {
    JsonNode root = JsonTexts.parse(Files.readString(file, StandardCharsets.UTF_8));
    if (root.hasNonNull("StackName")) {
      fake.stack(root.get("StackName").asText());
    }
    for (Map.Entry<String, JsonNode> entry : root.path("Resources").properties()) {
      loadResource(fake.resource(entry.getKey()), entry.getValue(), file);
    }
  }

  private static void loadResource(FakeCloudFormation.Resource resource, JsonNode node, Path file) {
    if (node.hasNonNull("ResourceType")) {
      resource.type(node.get("ResourceType").asText());
    }
    if (node.has("PhysicalResourceId")) {
      JsonNode physicalId = node.get("PhysicalResourceId");
      resource.physicalId(physicalId.isNull() ? null : physicalId.asText());
    }
    if (node.hasNonNull("ResourceStatus")) {
      resource.status(node.get("ResourceStatus").asText());
    }
    if (node.has("Metadata")) {
      JsonNode metadata = node.get("Metadata");
      resource.metadata(
          metadata.isNull()
              ? null
              : metadata.isTextual() ? metadata.asText() : metadata.toString());
    }
    if (node.hasNonNull("LastUpdatedTimestamp")) {
      resource.lastUpdated(timestamp(node.get("LastUpdatedTimestamp").asText(), file));
    }
  }

  private static Instant timestamp(String text, Path file) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          file
              + ": LastUpdatedTimestamp '"
              + text
              + "' is not ISO-8601 such as "
              + "2024-01-31T09:15:00.123Z",
          e);
    }
  }

  private static List<Path> metadataFiles(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .filter(p -> p.getFileName().toString().endsWith(SUFFIX))
          .filter(p -> p.getFileName().toString().length() > SUFFIX.length())
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    }
  }

  private static String compact(Path file) throws IOException {
    try {
      return JsonTexts.compact(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }
}
