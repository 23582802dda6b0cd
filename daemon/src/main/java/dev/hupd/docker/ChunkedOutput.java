package dev.hupd.docker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a {@code Transfer-Encoding: chunked} request body: one chunk per write (wrap it in a
 * buffer to get sensible chunk sizes); {@link #close()} writes the last chunk and leaves the
 * connection open for the response.
 */
final class ChunkedOutput extends OutputStream {

  private static final byte[] CRLF = {'\r', '\n'};

  private final OutputStream out;
  private boolean closed;

  ChunkedOutput(OutputStream out) {
    this.out = out;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("chunked body already finished");
    }
    if (len == 0) {
      return; // a zero-length chunk would end the body
    }
    out.write(Integer.toHexString(len).getBytes(StandardCharsets.US_ASCII));
    out.write(CRLF);
    out.write(bytes, off, len);
    out.write(CRLF);
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
  }
}
