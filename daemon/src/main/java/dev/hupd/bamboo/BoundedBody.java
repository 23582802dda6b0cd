package dev.hupd.bamboo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * An answer body read as UTF-8 text up to a limit: a larger one (a misconfigured URL serving a
 * download, a hostile server) ends the request instead of filling hupd's small heap. A declared
 * {@code Content-Length} over the limit is refused before any byte is read; otherwise the bytes are
 * counted as they arrive, so nothing past the limit is ever buffered.
 */
public final class BoundedBody {

  /** The answer was larger than the limit. */
  public static final class TooLarge extends IOException {
    TooLarge(int limit) {
      super(
          "the answer is larger than "
              + (limit % (1 << 20) == 0 ? (limit >> 20) + " MiB" : (limit >> 10) + " KiB"));
    }
  }

  /** Checked between two reads; throws to stop reading (the exchange was given up). */
  public interface Guard {
    void check() throws IOException;
  }

  private BoundedBody() {}

  /**
   * Reads {@code in} to its end.
   *
   * @param declaredLength the answer's {@code Content-Length}, or -1 when it has none
   * @throws TooLarge when the body is, or is declared, larger than {@code limit} bytes
   */
  public static String read(InputStream in, long declaredLength, int limit, Guard guard)
      throws IOException {
    if (declaredLength > limit) {
      throw new TooLarge(limit);
    }
    int expected = declaredLength >= 0 ? (int) declaredLength : 1024;
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(expected, 64 << 10));
    byte[] buffer = new byte[8192];
    guard.check();
    for (int n; (n = in.read(buffer)) >= 0; ) {
      if (out.size() + (long) n > limit) {
        throw new TooLarge(limit);
      }
      out.write(buffer, 0, n);
      guard.check();
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
