package dev.hupd.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.Utf8;
import dev.hupd.rollout.StoreException.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Documents larger than one parameter (a source document, a plan's order), stored as
 * content-addressed chunks under {@code <prefix>/blob/<sha256>/<i>} (docs/rollout.md §5, "Blobs").
 *
 * <p>{@link #store} keeps a document that fits inline as it is; a larger one is gzip'd, base64'd,
 * cut into {@value #CHUNK_CHARS}-character chunks {@code 0 … n-1}, each created (an existing chunk
 * is one already written: the name is the content's hash), and a {@link Pointer} is returned for
 * the record that names it. Write the chunks before that record, so a pointer only ever names
 * missing chunks through a stale read. {@link #read} fetches the chunks, {@value
 * RolloutStore#MAX_BATCH} per call, and verifies the sha256.
 *
 * <p>Chunks of one document must come from one encoding. Two writers of the same document with
 * different zlib builds would produce different chunks, and a crash of one between its chunks could
 * leave a mix; readers then fail on the sha256 rather than use it. Writers of one fleet run one
 * hupd build, so this is not expected to happen.
 */
public final class Blobs {

  /** Largest document kept inline, in characters: leaves room for a record's envelope. */
  public static final int INLINE_LIMIT = 3_500;

  /** Characters per chunk. */
  public static final int CHUNK_CHARS = 4_000;

  /** Most chunks of one blob (≈ 400,000 encoded characters). */
  public static final int MAX_CHUNKS = 100;

  /** The only encoding: gzip, then base64 (RFC 4648, with padding). */
  public static final String ENCODING = "gzip+base64";

  /** Most bytes a blob may expand to when read: a bound against corrupt or hostile pointers. */
  static final long MAX_BYTES = 64L << 20;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final RolloutStore store;
  private final String prefix;

  /**
   * @param store where the chunks live
   * @param prefix the fleet's namespace, e.g. {@code /hupd/demo}; chunks go below {@code
   *     <prefix>/blob/}
   */
  public Blobs(RolloutStore store, String prefix) throws StoreException {
    ParameterNames.checkName(prefix);
    this.store = Objects.requireNonNull(store);
    this.prefix = prefix;
  }

  /**
   * A document as a record carries it: the document itself ({@link #inline}) or a pointer to its
   * chunks; exactly one of the two is non-null.
   */
  public record Stored(String inline, Pointer pointer) {

    public Stored {
      if ((inline == null) == (pointer == null)) {
        throw new IllegalArgumentException("exactly one of inline and pointer must be given");
      }
    }

    public static Stored inline(String document) {
      return new Stored(document, null);
    }

    public static Stored pointer(Pointer pointer) {
      return new Stored(null, pointer);
    }

    public boolean isInline() {
      return inline != null;
    }

    /** What to put in the record: the parsed document, or the pointer object. */
    public JsonNode toJson() {
      return isInline() ? Json.parse(inline) : pointer.toJson();
    }

    /**
     * Reads back what {@link #toJson} gave: a pointer if {@code node} has exactly a pointer's
     * shape, else the document inline (in compact form).
     */
    public static Stored fromJson(JsonNode node) {
      Optional<Pointer> pointer = Pointer.fromJson(node);
      if (pointer.isPresent()) {
        return pointer(pointer.get());
      }
      try {
        return inline(Json.MAPPER.writeValueAsString(node));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a parsed JsonNode always serialises", e);
      }
    }
  }

  /**
   * Where a document's chunks are and how to check them: {@code
   * {"blob":"<sha256>","chunks":n,"bytes":len,"enc":"gzip+base64"}}.
   *
   * @param sha256 hex SHA-256 of the document's UTF-8 bytes; also the blob's folder name
   * @param chunks how many chunks, numbered from 0
   * @param bytes the document's length in UTF-8 bytes
   * @param enc the encoding, {@value #ENCODING}
   */
  public record Pointer(String sha256, int chunks, long bytes, String enc) {

    private static final Set<String> FIELDS = Set.of("blob", "chunks", "bytes", "enc");

    public ObjectNode toJson() {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("blob", sha256);
      node.put("chunks", chunks);
      node.put("bytes", bytes);
      node.put("enc", enc);
      return node;
    }

    /** The pointer in {@code node}, if it is an object with exactly a pointer's four fields. */
    public static Optional<Pointer> fromJson(JsonNode node) {
      if (node == null || !node.isObject() || node.size() != FIELDS.size()) {
        return Optional.empty();
      }
      for (String field : FIELDS) {
        if (!node.has(field)) {
          return Optional.empty();
        }
      }
      JsonNode blob = node.get("blob");
      JsonNode chunks = node.get("chunks");
      JsonNode bytes = node.get("bytes");
      JsonNode enc = node.get("enc");
      if (!blob.isTextual() || !chunks.canConvertToInt() || !chunks.isIntegralNumber()) {
        return Optional.empty();
      }
      if (!bytes.isIntegralNumber() || !bytes.canConvertToLong() || !enc.isTextual()) {
        return Optional.empty();
      }
      return Optional.of(
          new Pointer(blob.textValue(), chunks.intValue(), bytes.longValue(), enc.textValue()));
    }
  }

  /** {@link #store(String, int)} with {@link #INLINE_LIMIT}. */
  public Stored store(String document) throws StoreException {
    return store(document, INLINE_LIMIT);
  }

  /**
   * Keeps {@code document} inline if it has at most {@code inlineLimit} characters, else writes its
   * chunks and returns a pointer. Writing the same document again is harmless.
   *
   * @throws StoreException {@link Kind#INVALID} when the encoded document needs more than {@link
   *     #MAX_CHUNKS} chunks; any kind a {@link RolloutStore#create} throws but {@link
   *     Kind#ALREADY_EXISTS}
   */
  public Stored store(String document, int inlineLimit) throws StoreException {
    if (document.length() <= inlineLimit) {
      return Stored.inline(document);
    }

    byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
    String encoded = Base64.getEncoder().encodeToString(gzip(bytes));
    int chunks = (encoded.length() + CHUNK_CHARS - 1) / CHUNK_CHARS;
    if (chunks > MAX_CHUNKS) {
      throw new StoreException(
          Kind.INVALID,
          "document of "
              + bytes.length
              + " bytes encodes to "
              + encoded.length()
              + " characters, "
              + chunks
              + " chunks; a blob holds at most "
              + MAX_CHUNKS
              + " chunks of "
              + CHUNK_CHARS);
    }

    Pointer pointer = new Pointer(Json.sha256(document), chunks, bytes.length, ENCODING);
    for (int i = 0; i < chunks; i++) {
      int end = Math.min(encoded.length(), (i + 1) * CHUNK_CHARS);
      createChunk(chunkName(pointer.sha256(), i), encoded.substring(i * CHUNK_CHARS, end));
    }
    return Stored.pointer(pointer);
  }

  /** The document {@code stored} holds: the inline text, or the blob read through its pointer. */
  public String read(Stored stored) throws StoreException {
    return stored.isInline() ? stored.inline() : read(stored.pointer());
  }

  /**
   * Reads, reassembles and verifies the document {@code pointer} names.
   *
   * @throws StoreException {@link Kind#TRANSIENT} when a chunk is not visible yet (a stale read:
   *     retry); {@link Kind#INVALID} when the pointer is malformed or the content does not match
   *     it; any kind a {@link RolloutStore#get} throws
   */
  public String read(Pointer pointer) throws StoreException {
    checkPointer(pointer);

    String encoded = fetchChunks(pointer);

    byte[] bytes = gunzip(pointer, decodeBase64(pointer, encoded));
    if (bytes.length != pointer.bytes()) {
      throw corrupt(pointer, "it expands to " + bytes.length + " bytes");
    }
    String document = utf8(pointer, bytes);
    String sha = Json.sha256(document);
    if (!sha.equals(pointer.sha256())) {
      throw corrupt(pointer, "its content has sha256 " + sha);
    }
    return document;
  }

  /** The name of chunk {@code index} of blob {@code sha256}. */
  public String chunkName(String sha256, int index) {
    return prefix + "/blob/" + sha256 + "/" + index;
  }

  private void createChunk(String name, String chunk) throws StoreException {
    try {
      store.create(name, chunk);
    } catch (StoreException e) {
      if (e.kind() != Kind.ALREADY_EXISTS) {
        throw e;
      }
      // Content-addressed: an existing chunk is this very chunk, written before.
    }
  }

  private String fetchChunks(Pointer pointer) throws StoreException {
    StringBuilder encoded = new StringBuilder(pointer.chunks() * CHUNK_CHARS);
    for (int first = 0; first < pointer.chunks(); first += RolloutStore.MAX_BATCH) {
      int end = Math.min(pointer.chunks(), first + RolloutStore.MAX_BATCH);
      List<String> names = new ArrayList<>();
      for (int i = first; i < end; i++) {
        names.add(chunkName(pointer.sha256(), i));
      }
      Map<String, RolloutStore.Entry> found = store.get(names);
      for (int i = first; i < end; i++) {
        RolloutStore.Entry chunk = found.get(names.get(i - first));
        if (chunk == null) {
          throw new StoreException(
              Kind.TRANSIENT,
              "blob "
                  + pointer.sha256()
                  + ": chunk "
                  + i
                  + " of "
                  + pointer.chunks()
                  + " is not yet visible (a stale read); retry later");
        }
        encoded.append(chunk.value());
      }
    }
    return encoded.toString();
  }

  private static void checkPointer(Pointer pointer) throws StoreException {
    if (!SHA256.matcher(pointer.sha256()).matches()) {
      throw invalidPointer(pointer, "blob is not a lower-case hex sha256");
    }
    if (!ENCODING.equals(pointer.enc())) {
      throw invalidPointer(pointer, "enc is not " + ENCODING);
    }
    if (pointer.chunks() < 1 || pointer.chunks() > MAX_CHUNKS) {
      throw invalidPointer(pointer, "chunks is not between 1 and " + MAX_CHUNKS);
    }
    if (pointer.bytes() < 0 || pointer.bytes() > MAX_BYTES) {
      throw invalidPointer(pointer, "bytes is not between 0 and " + MAX_BYTES);
    }
  }

  private static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new IllegalStateException("gzip into memory cannot fail", e);
    }
    return out.toByteArray();
  }

  private static byte[] decodeBase64(Pointer pointer, String encoded) throws StoreException {
    try {
      return Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw corrupt(pointer, "its chunks are not base64 (" + e.getMessage() + ")");
    }
  }

  /** Inflates at most {@code pointer.bytes() + 1} bytes: enough to see a length mismatch. */
  private static byte[] gunzip(Pointer pointer, byte[] compressed) throws StoreException {
    long limit = pointer.bytes() + 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(limit, 1 << 20));
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      byte[] buf = new byte[8192];
      int n;
      while (out.size() < limit
          && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - out.size()))) > 0) {
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      throw corrupt(pointer, "its chunks are not gzip (" + e.getMessage() + ")");
    }
    return out.toByteArray();
  }

  private static String utf8(Pointer pointer, byte[] bytes) throws StoreException {
    return Utf8.strict(bytes).orElseThrow(() -> corrupt(pointer, "its content is not UTF-8"));
  }

  private static StoreException corrupt(Pointer pointer, String why) {
    return new StoreException(
        Kind.INVALID,
        "blob "
            + pointer.sha256()
            + " ("
            + pointer.chunks()
            + " chunks, "
            + pointer.bytes()
            + " bytes) does not match its pointer: "
            + why);
  }

  private static StoreException invalidPointer(Pointer pointer, String why) {
    return new StoreException(
        Kind.INVALID, "blob pointer " + pointer.toJson() + " is not valid: " + why);
  }
}
