package dev.hupd.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Where revision documents and plan orders live: inline in their record when small, else in
 * content-addressed chunks (docs/rollout.md §5, Blobs).
 */
public interface Contents {

  /** A reference to put in a record: inline text, or a blob pointer after writing the chunks. */
  JsonNode store(String text) throws StoreException;

  /** The text a reference names; the sha256 is verified for blobs. */
  String load(JsonNode ref) throws StoreException;

  /** Convenience for plan orders. */
  default JsonNode storeOrder(List<String> ids) throws StoreException {
    return store(dev.hupd.metadata.Json.MAPPER.valueToTree(ids).toString());
  }

  default List<String> loadOrder(JsonNode ref) throws StoreException {
    JsonNode arr = dev.hupd.metadata.Json.parse(load(ref));
    java.util.ArrayList<String> out = new java.util.ArrayList<>();
    arr.forEach(a -> out.add(a.asText()));
    return out;
  }
}
