package dev.hupd.docker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a POSIX ustar archive of regular files: what dockerd's {@code /build} wants as its
 * context. Only what a Dockerfile-only context needs (names up to 100 ASCII bytes, mode 0644, owner
 * 0, mtime 0 so that equal contexts are equal bytes); no directories, links or long names.
 */
final class UstarWriter {

  static final int BLOCK = 512;

  private final OutputStream out;

  UstarWriter(OutputStream out) {
    this.out = out;
  }

  /** Tar bytes holding one file. */
  static byte[] singleFile(String name, byte[] content) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try {
      UstarWriter tar = new UstarWriter(bytes);
      tar.addFile(name, content);
      tar.finish();
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return bytes.toByteArray();
  }

  void addFile(String name, byte[] content) throws IOException {
    out.write(header(name, content.length));
    out.write(content);
    int pad = (BLOCK - content.length % BLOCK) % BLOCK;
    out.write(new byte[pad]);
  }

  /** The end-of-archive marker: two zero blocks. */
  void finish() throws IOException {
    out.write(new byte[2 * BLOCK]);
    out.flush();
  }

  static byte[] header(String name, long size) {
    byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    if (name.isEmpty()
        || nameBytes.length > 100
        || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "tar entry name must be 1-100 printable ASCII characters: \"" + name + "\"");
    }
    byte[] h = new byte[BLOCK];
    put(h, 0, nameBytes);
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0);
    h[156] = '0';
    put(h, 257, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(h, 263, "00".getBytes(StandardCharsets.US_ASCII));
    put(h, 265, "root".getBytes(StandardCharsets.US_ASCII));
    put(h, 297, "root".getBytes(StandardCharsets.US_ASCII));
    checksum(h);
    return h;
  }

  /**
   * Sum of all header bytes with the checksum field counted as spaces: six octal digits, NUL,
   * space.
   */
  private static void checksum(byte[] h) {
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
  }

  /** {@code width - 1} zero-padded octal digits and a NUL. */
  private static void octal(byte[] h, int offset, int width, long value) {
    String digits = Long.toOctalString(value);
    if (digits.length() > width - 1) {
      throw new IllegalArgumentException("value " + value + " does not fit a tar header field");
    }
    String padded = "0".repeat(width - 1 - digits.length()) + digits;
    put(h, offset, padded.getBytes(StandardCharsets.US_ASCII));
    h[offset + width - 1] = 0;
  }

  private static void put(byte[] h, int offset, byte[] value) {
    System.arraycopy(value, 0, h, offset, value.length);
  }
}
