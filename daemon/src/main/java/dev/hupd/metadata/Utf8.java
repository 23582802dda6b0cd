package dev.hupd.metadata;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Strict UTF-8 decoding for the files and blobs hupd must not misread: a malformed byte sequence is
 * reported, never replaced with U+FFFD as {@code new String(bytes, UTF_8)} would.
 */
public final class Utf8 {

  private Utf8() {}

  /** The text of {@code bytes}, or empty when they are not valid UTF-8. */
  public static Optional<String> strict(byte[] bytes) {
    return strict(bytes, 0, bytes.length);
  }

  /** As {@link #strict(byte[])}, for {@code length} bytes from {@code offset}. */
  public static Optional<String> strict(byte[] bytes, int offset, int length) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes, offset, length))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }
}
