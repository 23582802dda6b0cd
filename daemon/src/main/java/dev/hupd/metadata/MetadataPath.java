package dev.hupd.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A hook's {@code path=}, parsed as cfn-hup does: {@code path.split('.', 3)} gives {@code
 * Resources}, the logical id, {@code Metadata|PhysicalResourceId} (case-insensitive) and an
 * optional metadata sub-path split on dots not preceded by a backslash ({@code \.} is a literal
 * dot).
 */
public final class MetadataPath {

  /** What part of the resource the path selects. */
  public enum Target {
    /** {@code Resources.<Id>}: the resource's LastUpdatedTimestamp. */
    LAST_UPDATED,
    /** {@code Resources.<Id>.PhysicalResourceId}. */
    PHYSICAL_RESOURCE_ID,
    /** {@code Resources.<Id>.Metadata[.sub.path]}. */
    METADATA
  }

  public static final String EXPECTED_FORM =
      "Resources.<LogicalId>, Resources.<LogicalId>.PhysicalResourceId or"
          + " Resources.<LogicalId>.Metadata[.<key>[.<key>...]] (\\. for a literal dot)";

  private final String text;
  private final String logicalId;
  private final Target target;
  private final List<String> subPath;

  private MetadataPath(String text, String logicalId, Target target, List<String> subPath) {
    this.text = text;
    this.logicalId = logicalId;
    this.target = target;
    this.subPath = List.copyOf(subPath);
  }

  /**
   * Parses a path; the error message (if any) says what is wrong, in the words of an operator.
   *
   * @return the path, or empty with {@code error[0]} set
   */
  public static Optional<MetadataPath> parse(String text, String[] error) {
    String[] parts = pythonSplit(text, '.', 3);
    if (parts.length < 2 || !parts[0].toLowerCase(Locale.ROOT).equals("resources")) {
      error[0] = "unsupported path '" + text + "'";
      return Optional.empty();
    }
    String logicalId = parts[1];
    if (logicalId.isEmpty()) {
      error[0] = "path '" + text + "' has an empty logical id";
      return Optional.empty();
    }
    if (parts.length == 2) {
      return Optional.of(new MetadataPath(text, logicalId, Target.LAST_UPDATED, List.of()));
    }
    String kind = parts[2].toLowerCase(Locale.ROOT);
    if (kind.equals("physicalresourceid")) {
      // cfn-hup ignores anything after PhysicalResourceId; so do we.
      return Optional.of(new MetadataPath(text, logicalId, Target.PHYSICAL_RESOURCE_ID, List.of()));
    }
    if (!kind.equals("metadata")) {
      error[0] =
          "unsupported path '"
              + text
              + "': the third part must be Metadata or PhysicalResourceId, not '"
              + parts[2]
              + "'";
      return Optional.empty();
    }
    List<String> sub =
        parts.length == 4 && !parts[3].isEmpty() ? splitSubPath(parts[3]) : List.of();
    return Optional.of(new MetadataPath(text, logicalId, Target.METADATA, sub));
  }

  /** Python's {@code str.split(sep, maxsplit)}. */
  static String[] pythonSplit(String text, char sep, int maxSplit) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    while (parts.size() < maxSplit) {
      int at = text.indexOf(sep, start);
      if (at < 0) {
        break;
      }
      parts.add(text.substring(start, at));
      start = at + 1;
    }
    parts.add(text.substring(start));
    return parts.toArray(new String[0]);
  }

  /** {@code re.split(r'(?<!\\)\.', sub)} then {@code \.} → {@code .} in each component. */
  static List<String> splitSubPath(String sub) {
    List<String> components = new ArrayList<>();
    for (String c : sub.split("(?<!\\\\)\\.", -1)) {
      components.add(c.replace("\\.", "."));
    }
    return components;
  }

  /** The path exactly as written; part of the state key. */
  public String text() {
    return text;
  }

  public String logicalId() {
    return logicalId;
  }

  public Target target() {
    return target;
  }

  /** Metadata keys below {@code Metadata}; empty for the whole document. */
  public List<String> subPath() {
    return subPath;
  }

  @Override
  public String toString() {
    return text;
  }
}
