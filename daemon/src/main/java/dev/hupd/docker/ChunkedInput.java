package dev.hupd.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;

/**
 * A {@code Transfer-Encoding: chunked} body, decoded as it arrives so that progress streams (pull,
 * build, logs) are read line by line. Chunk extensions and trailers are skipped. A connection that
 * ends before the last (zero) chunk is an error, not a short body: that is how a daemon restart in
 * the middle of a pull shows.
 */
final class ChunkedInput extends InputStream {

  private static final int MAX_LINE = 4096;

  private final ChannelInput in;
  private long chunkLeft;
  private boolean crlfPending;
  private boolean done;

  ChunkedInput(ChannelInput in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] into, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (chunkLeft == 0 && !nextChunk()) {
      return -1;
    }
    int n = in.read(into, off, (int) Math.min(len, chunkLeft));
    if (n == -1) {
      throw new EOFException("connection closed inside a chunk");
    }
    chunkLeft -= n;
    crlfPending = chunkLeft == 0; // read with the next chunk: the data is handed out now
    return n;
  }

  private boolean nextChunk() throws IOException {
    if (done) {
      return false;
    }
    if (crlfPending) {
      expectEmptyLine();
      crlfPending = false;
    }
    chunkLeft = parseSize(requireLine("chunk size"));
    if (chunkLeft > 0) {
      return true;
    }
    done = true;
    while (!requireLine("trailer").isEmpty()) {
      // trailers carry nothing we use
    }
    return false;
  }

  private void expectEmptyLine() throws IOException {
    if (!requireLine("chunk end").isEmpty()) {
      throw new ProtocolException("chunk not followed by CRLF");
    }
  }

  private String requireLine(String what) throws IOException {
    String line = in.readLine(MAX_LINE);
    if (line == null) {
      throw new EOFException("connection closed before the " + what + " of a chunked body");
    }
    return line;
  }

  static long parseSize(String line) throws ProtocolException {
    int semicolon = line.indexOf(';');
    String hex = (semicolon >= 0 ? line.substring(0, semicolon) : line).strip();
    if (hex.isEmpty() || hex.length() > 15) {
      throw new ProtocolException("bad chunk size line: \"" + line + "\"");
    }
    try {
      return Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new ProtocolException("bad chunk size line: \"" + line + "\"");
    }
  }
}
