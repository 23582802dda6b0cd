package dev.hupd.docker;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 server on a Unix domain socket for tests, written independently of the client's
 * parser: it reads each request head, hands the exchange to a handler that writes raw bytes
 * (well-formed or not, slowly or never), then closes the connection. Bodies are read only when the
 * handler asks, so a handler can also answer before the request body has arrived.
 */
final class FakeUnixServer implements AutoCloseable {

  /** Answers one request. */
  @FunctionalInterface
  interface Handler {
    void handle(Exchange exchange) throws Exception;
  }

  private final Path socket;
  private final ServerSocketChannel server;
  private final Handler handler;
  private final List<Exchange> exchanges = Collections.synchronizedList(new ArrayList<>());
  private final List<SocketChannel> open = Collections.synchronizedList(new ArrayList<>());
  private final Thread acceptor;

  private FakeUnixServer(Path socket, Handler handler) throws IOException {
    this.socket = socket;
    this.handler = handler;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::acceptLoop, "fake-uds-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static FakeUnixServer start(Path socket, Handler handler) throws IOException {
    return new FakeUnixServer(socket, handler);
  }

  Path socket() {
    return socket;
  }

  /** Exchanges seen so far, oldest first. */
  List<Exchange> exchanges() {
    synchronized (exchanges) {
      return List.copyOf(exchanges);
    }
  }

  Exchange last() {
    List<Exchange> all = exchanges();
    return all.get(all.size() - 1);
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel channel = server.accept();
        open.add(channel);
        Thread worker = new Thread(() -> serve(channel), "fake-uds-conn");
        worker.setDaemon(true);
        worker.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(SocketChannel channel) {
    try (channel) {
      InputStream in = Channels.newInputStream(channel);
      OutputStream out = Channels.newOutputStream(channel);
      Exchange exchange = Exchange.read(in, out);
      if (exchange == null) {
        return;
      }
      exchanges.add(exchange);
      handler.handle(exchange);
      out.flush();
    } catch (Exception e) {
      // the client went away or the handler gave up: nothing to report from here
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (open) {
      for (SocketChannel c : open) {
        c.close();
      }
    }
    Files.deleteIfExists(socket);
  }

  /** One request as the server saw it, and the raw way back. */
  static final class Exchange {
    final String method;
    final String target;
    final Map<String, String> headers;
    private final InputStream in;
    private final OutputStream out;
    private byte[] body;

    private Exchange(
        String method,
        String target,
        Map<String, String> headers,
        InputStream in,
        OutputStream out) {
      this.method = method;
      this.target = target;
      this.headers = headers;
      this.in = in;
      this.out = out;
    }

    static Exchange read(InputStream in, OutputStream out) throws IOException {
      String requestLine = line(in);
      if (requestLine == null) {
        return null;
      }
      String[] parts = requestLine.split(" ");
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
      }
      return new Exchange(parts[0], parts[1], headers, in, out);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The request body, read on first call (Content-Length or chunked). */
    synchronized byte[] body() throws IOException {
      if (body == null) {
        body = readBody();
      }
      return body;
    }

    String bodyText() throws IOException {
      return new String(body(), StandardCharsets.UTF_8);
    }

    private byte[] readBody() throws IOException {
      if ("chunked".equalsIgnoreCase(header("transfer-encoding"))) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        while (true) {
          int size = Integer.parseInt(line(in).split(";")[0].strip(), 16);
          if (size == 0) {
            while (!line(in).isEmpty()) {
              // trailers
            }
            return all.toByteArray();
          }
          all.write(in.readNBytes(size));
          line(in);
        }
      }
      String length = header("content-length");
      return length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
    }

    /** Writes raw text (ISO-8859-1) and flushes. */
    Exchange raw(String text) throws IOException {
      return raw(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    Exchange raw(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
      return this;
    }

    /** A complete answer with Content-Length. */
    void respond(int status, String contentType, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      raw(
          "HTTP/1.1 "
              + status
              + " X\r\nContent-Type: "
              + contentType
              + "\r\nContent-Length: "
              + bytes.length
              + "\r\n\r\n");
      raw(bytes);
    }

    void json(int status, String json) throws IOException {
      respond(status, "application/json", json);
    }

    /** Head of a chunked answer; follow with {@link #chunk} and {@link #lastChunk}. */
    Exchange chunkedHead(int status, String contentType) throws IOException {
      return raw(
          "HTTP/1.1 "
              + status
              + " X\r\nContent-Type: "
              + contentType
              + "\r\nTransfer-Encoding: chunked\r\n\r\n");
    }

    Exchange chunk(String data) throws IOException {
      return chunk(data.getBytes(StandardCharsets.UTF_8));
    }

    Exchange chunk(byte[] data) throws IOException {
      raw(Integer.toHexString(data.length) + "\r\n");
      raw(data);
      return raw("\r\n");
    }

    void lastChunk() throws IOException {
      raw("0\r\n\r\n");
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        int b = in.read();
        if (b == -1) {
          if (line.size() == 0) {
            return null;
          }
          throw new EOFException("request ended inside a line");
        }
        if (b == '\n') {
          String s = line.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        line.write(b);
      }
    }
  }
}
