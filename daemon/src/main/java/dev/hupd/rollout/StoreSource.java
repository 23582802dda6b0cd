package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StackResource;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import dev.hupd.source.StackDocument;
import java.util.List;
import java.util.Map;

/**
 * Metadata from the document {@code hupd push} last published to {@code /hupd/<fleet>/source}: a
 * source beside CloudFormation and the file, read the same way (one {@code GetParameters} per
 * resource per pass; the document's chunks are fetched once per content and verified by sha256).
 * Used with {@code rollout = off}; with the rollout on, agents run revisions instead.
 */
public final class StoreSource implements MetadataSource {

  private final RolloutStore store;
  private final Names names;
  private final Contents contents;
  private String cachedSha = "";
  private JsonNode cachedDocument;
  private DirWatch watch;

  public StoreSource(RolloutStore store, Names names) throws StoreException {
    this.store = store;
    this.names = names;
    this.contents = new StoreContents(store, names);
  }

  @Override
  public StackResource describe(String logicalId) throws SourceException {
    JsonNode doc;
    try {
      doc = document();
    } catch (StoreException e) {
      throw new SourceException(kind(e), e.kind().name(), e.getMessage(), e);
    }
    return StackDocument.describe(doc, logicalId, names.source());
  }

  private synchronized JsonNode document() throws StoreException, SourceException {
    Map<String, RolloutStore.Entry> got = store.get(List.of(names.source()));
    RolloutStore.Entry e = got.get(names.source());
    if (e == null) {
      throw new SourceException(
          SourceException.Kind.NOT_FOUND,
          "ParameterNotFound",
          names.source() + " does not exist yet: publish a document with hupd push",
          null);
    }
    JsonNode rec = Records.read(e.value());
    String sha = rec.path("sha").asText("");
    if (!sha.isEmpty() && sha.equals(cachedSha)) {
      return cachedDocument;
    }
    String text = contents.load(rec.path("content"));
    if (!sha.isEmpty() && !Publisher.identity(text).equals(sha)) {
      throw new SourceException(
          SourceException.Kind.INVALID,
          "ShaMismatch",
          names.source() + " version " + e.version() + ": content does not match its sha256",
          null);
    }
    cachedDocument = Json.parse(text);
    cachedSha = sha;
    return cachedDocument;
  }

  private static SourceException.Kind kind(StoreException e) {
    return switch (e.kind()) {
      case THROTTLED -> SourceException.Kind.THROTTLED;
      case TRANSIENT -> SourceException.Kind.NETWORK;
      case DENIED -> SourceException.Kind.ACCESS_DENIED;
      default -> SourceException.Kind.INVALID;
    };
  }

  /** A folder store wakes the daemon on a push; SSM is polled. */
  @Override
  public synchronized void watch(Runnable onChange) {
    if (store instanceof DirStore d && watch == null) {
      try {
        watch = d.watch(onChange);
      } catch (StoreException e) {
        // polling still finds the push at the next interval
      }
    }
  }

  @Override
  public String description() {
    return "store parameter " + names.source() + " (" + store.description() + ")";
  }

  @Override
  public synchronized void close() {
    if (watch != null) {
      watch.close();
    }
    store.close();
  }
}
