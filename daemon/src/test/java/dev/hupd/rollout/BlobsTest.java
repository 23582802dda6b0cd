package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.rollout.Blobs.Pointer;
import dev.hupd.rollout.Blobs.Stored;
import dev.hupd.rollout.StoreException.Kind;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobsTest {

  private static final String PREFIX = "/hupd/demo";

  @TempDir Path dir;
  private DirStore dirStore;
  private FaultyStore store;
  private Blobs blobs;

  @BeforeEach
  void open() throws StoreException {
    dirStore = DirStore.open(dir);
    store = new FaultyStore(dirStore, 1, () -> 0L);
    blobs = new Blobs(store, PREFIX);
  }

  @Test
  void aDocumentUpToTheLimitStaysInlineAndWritesNothing() throws Exception {
    String atLimit = jsonOfLength(Blobs.INLINE_LIMIT, 1);

    Stored stored = blobs.store(atLimit);

    assertThat(stored.isInline()).isTrue();
    assertThat(stored.inline()).isEqualTo(atLimit);
    assertThat(blobs.read(stored)).isEqualTo(atLimit);
    assertThat(store.writes()).isZero();
    assertThat(Stored.fromJson(stored.toJson())).isEqualTo(Stored.inline(compact(atLimit)));
  }

  @Test
  void aDocumentOneOverTheLimitGoesToChunks() throws Exception {
    String overLimit = jsonOfLength(Blobs.INLINE_LIMIT + 1, 2);

    Stored stored = blobs.store(overLimit);

    assertThat(stored.isInline()).isFalse();
    Pointer pointer = stored.pointer();
    assertThat(pointer.sha256()).isEqualTo(Json.sha256(overLimit));
    assertThat(pointer.bytes()).isEqualTo(overLimit.length());
    assertThat(pointer.enc()).isEqualTo("gzip+base64");
    assertThat(dirStore.list(PREFIX + "/blob/" + pointer.sha256(), Optional.empty()).entries())
        .hasSize(pointer.chunks());
    assertThat(blobs.read(stored)).isEqualTo(overLimit);
  }

  @Test
  void theInlineLimitCanBeChosen() throws Exception {
    assertThat(blobs.store("{\"a\":1}", 6).isInline()).isFalse();
    assertThat(blobs.store("{\"a\":1}", 7).isInline()).isTrue();
  }

  @Test
  void aLargeDocumentRoundTripsThroughSeveralGets() throws Exception {
    String document = jsonOfLength(150_000, 3);

    Pointer pointer = blobs.store(document).pointer();
    long getsBefore = store.calls("get");
    String read = blobs.read(pointer);

    assertThat(read).isEqualTo(document);
    assertThat(pointer.chunks()).isBetween(11, Blobs.MAX_CHUNKS);
    assertThat(store.calls("get") - getsBefore).isEqualTo((pointer.chunks() + 9) / 10);
    assertThat(store.writes()).isEqualTo(pointer.chunks());
    String lastChunk = blobs.chunkName(pointer.sha256(), pointer.chunks() - 1);
    assertThat(dirStore.get(List.of(lastChunk)).get(lastChunk).value().length())
        .isBetween(1, Blobs.CHUNK_CHARS);
  }

  @Test
  void writingTheSameDocumentAgainIsHarmless() throws Exception {
    String document = jsonOfLength(20_000, 4);
    Pointer first = blobs.store(document).pointer();

    Pointer second = blobs.store(document).pointer();

    assertThat(second).isEqualTo(first);
    String chunk0 = blobs.chunkName(first.sha256(), 0);
    assertThat(dirStore.get(List.of(chunk0)).get(chunk0).version()).isEqualTo(1);
    assertThat(blobs.read(second)).isEqualTo(document);
  }

  @Test
  void contentThatDoesNotMatchTheShaIsInvalidAndNamesTheBlob() throws Exception {
    String document = jsonOfLength(10_000, 5);
    Pointer real = blobs.store(document).pointer();
    String otherSha = Json.sha256("something else");
    for (int i = 0; i < real.chunks(); i++) {
      String chunk =
          dirStore
              .get(List.of(blobs.chunkName(real.sha256(), i)))
              .values()
              .iterator()
              .next()
              .value();
      dirStore.create(blobs.chunkName(otherSha, i), chunk);
    }
    Pointer forged = new Pointer(otherSha, real.chunks(), real.bytes(), real.enc());

    assertThatThrownBy(() -> blobs.read(forged))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("blob " + otherSha)
        .hasMessageContaining("sha256 " + real.sha256());
  }

  @Test
  void chunksThatAreNotGzipAreInvalid() throws Exception {
    Pointer pointer = blobs.store(jsonOfLength(10_000, 6)).pointer();
    dirStore.overwrite(blobs.chunkName(pointer.sha256(), 0), "AAAA");

    assertThatThrownBy(() -> blobs.read(pointer))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("blob " + pointer.sha256());
  }

  @Test
  void aMissingChunkIsATransientStaleRead() throws Exception {
    Pointer pointer = blobs.store(jsonOfLength(40_000, 7)).pointer();
    dirStore.delete(List.of(blobs.chunkName(pointer.sha256(), 2)));

    assertThatThrownBy(() -> blobs.read(pointer))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TRANSIENT))
        .hasMessageContaining("chunk 2 of " + pointer.chunks())
        .hasMessageContaining("not yet visible");
  }

  @Test
  void aChunkNotYetVisibleToAStaleReplicaIsTransientThenReadable() throws Exception {
    long[] now = {1_000};
    FaultyStore stale = new FaultyStore(dirStore, 7, () -> now[0]).staleReads(1.0, 500);
    Blobs lagging = new Blobs(stale, PREFIX);
    String document = jsonOfLength(10_000, 8);
    Pointer pointer = lagging.store(document).pointer();

    assertThatThrownBy(() -> lagging.read(pointer))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TRANSIENT));
    now[0] += 500;
    assertThat(lagging.read(pointer)).isEqualTo(document);
  }

  @Test
  void aDocumentNeedingMoreThanAHundredChunksIsInvalidAndNothingIsWritten() throws Exception {
    String incompressible = randomText(600_000, 9);

    assertThatThrownBy(() -> blobs.store(incompressible))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("document of 600002 bytes")
        .hasMessageContaining("at most 100 chunks");
    assertThat(store.writes()).isZero();
  }

  @Test
  void malformedPointersAreInvalid() {
    String sha = Json.sha256("x");

    assertThatThrownBy(() -> blobs.read(new Pointer(sha, 101, 10, Blobs.ENCODING)))
        .isInstanceOfSatisfying(
            StoreException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID))
        .hasMessageContaining("chunks");
    assertThatThrownBy(() -> blobs.read(new Pointer("../x", 1, 10, Blobs.ENCODING)))
        .hasMessageContaining("sha256");
    assertThatThrownBy(() -> blobs.read(new Pointer(sha, 1, 10, "zstd")))
        .hasMessageContaining("enc");
  }

  @Test
  void pointersHaveTheDocumentedJsonShape() throws Exception {
    Pointer pointer = new Pointer(Json.sha256("d"), 3, 12_345, Blobs.ENCODING);

    JsonNode json = Stored.pointer(pointer).toJson();

    assertThat(Json.canonical(json))
        .isEqualTo(
            "{\"blob\":\""
                + pointer.sha256()
                + "\",\"bytes\":12345,\"chunks\":3,"
                + "\"enc\":\"gzip+base64\"}");
    assertThat(Stored.fromJson(json)).isEqualTo(Stored.pointer(pointer));
    assertThat(Pointer.fromJson(Json.parse("{\"blob\":\"x\",\"chunks\":1,\"bytes\":1}"))).isEmpty();
    assertThat(Stored.fromJson(Json.parse("{\"a\":[1,2]}")).inline()).isEqualTo("{\"a\":[1,2]}");
  }

  /** A JSON text of exactly {@code length} characters that gzip shrinks by about half. */
  private static String jsonOfLength(int length, long seed) {
    Random random = new Random(seed);
    StringBuilder out = new StringBuilder("{\"items\":[");
    while (out.length() < length - 60) {
      out.append("{\"id\":").append(random.nextInt(1_000_000)).append(",\"hash\":\"");
      out.append(Long.toHexString(random.nextLong())).append("\"},");
    }
    out.append("{\"pad\":\"");
    int closing = 4;
    out.append("x".repeat(Math.max(0, length - out.length() - closing)));
    out.append("\"}]}");
    String json = out.toString();
    assertThat(json).hasSize(length);
    Json.parse(json);
    return json;
  }

  private static String randomText(int length, long seed) {
    Random random = new Random(seed);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < length; i++) {
      out.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return out.append('"').toString();
  }

  private static String compact(String json) throws Exception {
    return Json.MAPPER.writeValueAsString(Json.parse(json));
  }
}
