package dev.hupd.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;

/**
 * Buffered bytes from a {@link DeadlineChannel}, with the line reading that HTTP heads and chunk
 * sizes need. Reads return -1 only when the peer closed the connection.
 */
final class ChannelInput extends InputStream {

  private final DeadlineChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(8192).flip();

  ChannelInput(DeadlineChannel channel) {
    this.channel = channel;
  }

  @Override
  public int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return buffer.get() & 0xff;
  }

  @Override
  public int read(byte[] into, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, buffer.remaining());
    buffer.get(into, off, n);
    return n;
  }

  @Override
  public int available() {
    return buffer.remaining();
  }

  /**
   * One line without its CRLF (a bare LF is accepted too), or null when the connection ended before
   * any byte of it.
   *
   * @throws ProtocolException when the line is longer than {@code max} bytes
   */
  String readLine(int max) throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      int b = read();
      if (b == -1 && line.length() == 0) {
        return null;
      }
      if (b == -1) {
        throw new EOFException("connection closed inside a line from " + channel.socket());
      }
      if (b == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r'
            ? line.substring(0, end - 1)
            : line.toString();
      }
      if (line.length() >= max) {
        throw new ProtocolException("line longer than " + max + " bytes from " + channel.socket());
      }
      line.append((char) b);
    }
  }

  private boolean fill() throws IOException {
    if (buffer.hasRemaining()) {
      return true;
    }
    buffer.clear();
    int n = channel.read(buffer);
    buffer.flip();
    return n > 0;
  }
}
