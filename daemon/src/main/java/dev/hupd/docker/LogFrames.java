package dev.hupd.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * Reads container output as {@code /containers/{id}/logs} sends it. Without a TTY the stream is
 * multiplexed: frames of an 8-byte header (stream 0/1/2, three zero bytes, big-endian payload
 * length) and the payload. With a TTY it is raw. API 1.41 labels both {@code raw-stream} (or not at
 * all), so the first header decides, as the Docker CLI's own heuristics do.
 */
final class LogFrames {

  private static final int HEADER = 8;

  private LogFrames() {}

  /**
   * stdout and stderr interleaved as they were written, cut after {@code maxBytes} bytes; reading
   * stops there, so a huge log costs no more than the cap.
   */
  static String read(InputStream in, int maxBytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, 8192));
    byte[] header = in.readNBytes(HEADER);
    if (header.length < HEADER || !isFrameHeader(header)) {
      out.write(header, 0, Math.min(header.length, maxBytes));
      copy(in, out, maxBytes - out.size(), false);
      return out.toString(StandardCharsets.UTF_8);
    }
    while (out.size() < maxBytes) {
      long length = Integer.toUnsignedLong(readInt(header, 4));
      long wanted = Math.min(length, maxBytes - out.size());
      copy(in, out, wanted, true);
      if (wanted < length) {
        break;
      }
      header = in.readNBytes(HEADER);
      if (header.length == 0) {
        break;
      }
      if (header.length < HEADER || !isFrameHeader(header)) {
        throw new ProtocolException("log stream: bad frame header after " + out.size() + " bytes");
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static boolean isFrameHeader(byte[] h) {
    return h[0] >= 0 && h[0] <= 2 && h[1] == 0 && h[2] == 0 && h[3] == 0;
  }

  private static int readInt(byte[] b, int off) {
    return (b[off] & 0xff) << 24
        | (b[off + 1] & 0xff) << 16
        | (b[off + 2] & 0xff) << 8
        | b[off + 3] & 0xff;
  }

  /** Copies {@code count} bytes, or up to the end when {@code whole} is false. */
  private static void copy(InputStream in, ByteArrayOutputStream out, long count, boolean whole)
      throws IOException {
    byte[] buffer = new byte[8192];
    long left = count;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n == -1 && !whole) {
        return;
      }
      if (n == -1) {
        throw new ProtocolException("log stream ended inside a frame");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }
}
