package dev.hupd.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request line and headers of one HTTP/1.1 request, read byte by byte from a socket, so the
 * body that follows stays unread in the stream.
 *
 * @param method e.g. {@code GET}, {@code POST}, {@code CONNECT}
 * @param target the request target exactly as sent: absolute-form for a proxy ({@code
 *     http://host/path}), authority-form for CONNECT ({@code host:443})
 * @param headers header name/value pairs in the order sent
 */
record ProxyRequestHead(String method, String target, List<Map.Entry<String, String>> headers) {

  /** Refuses heads larger than this, as a real proxy would. */
  private static final int MAX_HEAD_BYTES = 64 * 1024;

  static ProxyRequestHead read(InputStream in) throws IOException {
    List<String> lines = splitLines(readHead(in));
    String[] requestLine = lines.get(0).split(" ");
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x request line: " + lines.get(0));
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.add(Map.entry(line.substring(0, colon).trim(), line.substring(colon + 1).trim()));
      }
    }
    return new ProxyRequestHead(requestLine[0], requestLine[1], List.copyOf(headers));
  }

  /** The first value of a header, compared case-insensitively, or null. */
  String header(String name) {
    for (Map.Entry<String, String> header : headers) {
      if (header.getKey().equalsIgnoreCase(name)) {
        return header.getValue();
      }
    }
    return null;
  }

  boolean isChunked() {
    String encoding = header("Transfer-Encoding");
    return encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked");
  }

  /** The body announced by Content-Length (none when absent). */
  byte[] readBody(InputStream in) throws IOException {
    String length = header("Content-Length");
    int size = length == null ? 0 : Integer.parseInt(length.trim());
    byte[] body = in.readNBytes(size);
    if (body.length != size) {
      throw new EOFException("body ended after " + body.length + " of " + size + " bytes");
    }
    return body;
  }

  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed inside the request head");
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > MAX_HEAD_BYTES) {
        throw new IOException("request head larger than " + MAX_HEAD_BYTES + " bytes");
      }
    }
    return head.toByteArray();
  }

  private static List<String> splitLines(byte[] head) {
    String text = new String(head, StandardCharsets.ISO_8859_1);
    List<String> lines = new ArrayList<>(List.of(text.split("\r\n")));
    lines.removeIf(String::isEmpty);
    return lines;
  }
}
