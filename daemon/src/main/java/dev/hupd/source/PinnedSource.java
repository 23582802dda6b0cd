package dev.hupd.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StackResource;

/**
 * Serves one fixed stack document: the revision a fleet agent is entitled to run. The rollout gate
 * pins a revision before each pass, so the hooks and toolchain steps run unchanged against whatever
 * the gate allows.
 */
public final class PinnedSource implements MetadataSource {

  private volatile JsonNode document;
  private volatile String label = "nothing pinned yet";

  /** Pins {@code text} (a stack-shaped JSON document) described by {@code label}. */
  public void pin(String text, String label) {
    this.document = Json.parse(text);
    this.label = label;
  }

  public boolean pinned() {
    return document != null;
  }

  @Override
  public StackResource describe(String logicalId) throws SourceException {
    JsonNode d = document;
    if (d == null) {
      throw new SourceException(
          SourceException.Kind.NOT_FOUND,
          "NothingPinned",
          "no revision applied yet; waiting for the fleet's approved revision",
          null);
    }
    return StackDocument.describe(d, logicalId, label);
  }

  @Override
  public String description() {
    return "fleet revision (" + label + ")";
  }
}
