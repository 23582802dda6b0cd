package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;

/** {@link Contents} in the fleet's own store, through {@link Blobs}. */
public final class StoreContents implements Contents {

  /** Inline limit that leaves room for the rest of a meta or plan record within 4,096. */
  static final int INLINE = 2_400;

  private final Blobs blobs;

  public StoreContents(RolloutStore store, Names names) throws StoreException {
    this.blobs = new Blobs(store, names.blobPrefix());
  }

  @Override
  public JsonNode store(String text) throws StoreException {
    return blobs.store(text, INLINE).toJson();
  }

  @Override
  public String load(JsonNode ref) throws StoreException {
    return blobs.read(Blobs.Stored.fromJson(ref));
  }
}
