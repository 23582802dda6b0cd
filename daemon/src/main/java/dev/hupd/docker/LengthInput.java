package dev.hupd.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A body of known length ({@code Content-Length}); a connection that ends early is an error. */
final class LengthInput extends InputStream {

  private final ChannelInput in;
  private final long length;
  private long left;

  LengthInput(ChannelInput in, long length) {
    this.in = in;
    this.length = length;
    this.left = length;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] into, int off, int len) throws IOException {
    if (left == 0) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    int n = in.read(into, off, (int) Math.min(len, left));
    if (n == -1) {
      throw new EOFException(
          "connection closed after " + (length - left) + " of " + length + " body bytes");
    }
    left -= n;
    return n;
  }
}
