package dev.hupd.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A forward HTTP/1.1 proxy on 127.0.0.1 for plain-HTTP absolute-form requests ({@code GET
 * http://host:port/path}), as a corporate egress proxy would see them, that never leaves loopback:
 * a request for a routed name (e.g. {@code cloudformation.eu-west-1.amazonaws.com:80}) goes to the
 * loopback fake it is routed to, a request for a loopback address goes there directly, and any
 * other host gets 502 without a connection attempt. {@code CONNECT} gets 501. Every request's
 * target is recorded.
 *
 * <p>It reads raw sockets rather than using the JDK's {@code HttpServer}, which cannot route the
 * empty-path form {@code POST http://host HTTP/1.1} that {@code HttpURLConnection} sends for the
 * AWS SDK, nor answer {@code CONNECT}. One request per connection ({@code Connection: close});
 * chunked request bodies get 411. The forwarded request carries the proxy's own {@code Host} (the
 * JDK client may not set it) and the original one in {@code X-Forwarded-Host}.
 */
public final class FakeHttpProxy implements AutoCloseable {

  /** Headers that describe one hop, or that the JDK client sets itself. */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "proxy-connection",
          "keep-alive",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "proxy-authorization",
          "proxy-authenticate",
          "host",
          "content-length",
          "expect",
          "date");

  private static final int SOCKET_TIMEOUT_MILLIS = 30_000;

  private final Map<String, URI> routes = new ConcurrentHashMap<>();
  private final List<ProxiedRequest> requests = new CopyOnWriteArrayList<>();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final HttpClient upstream =
      HttpClient.newBuilder()
          .proxy(HttpClient.Builder.NO_PROXY)
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ServerSocket listener;
  private final ExecutorService workers =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, "fake-proxy");
            thread.setDaemon(true);
            return thread;
          });

  private FakeHttpProxy(int port) {
    try {
      listener = new ServerSocket(port, 64, LoopbackServers.LOOPBACK);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
    }
    workers.execute(this::acceptLoop);
  }

  public static FakeHttpProxy start() {
    return start(0);
  }

  public static FakeHttpProxy start(int port) {
    return new FakeHttpProxy(port);
  }

  /** {@code http://127.0.0.1:PORT}, for a client's proxy setting. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort());
  }

  /**
   * Sends requests for {@code hostPort} (e.g. {@code cloudformation.eu-west-1.amazonaws.com:80}) to
   * {@code target}, which must be an http URI on a loopback address.
   */
  public FakeHttpProxy route(String hostPort, URI target) {
    if (!"http".equals(target.getScheme())
        || target.getHost() == null
        || !LoopbackServers.isLoopback(target.getHost())) {
      throw new IllegalArgumentException(
          "route target must be http://<loopback address>:<port>, got " + target);
    }
    routes.put(hostPort.toLowerCase(Locale.ROOT), target);
    return this;
  }

  /** Every request received so far, oldest first, refused ones included. */
  public List<ProxiedRequest> requests() {
    return List.copyOf(requests);
  }

  public void clearRequests() {
    requests.clear();
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // Closing a listening socket has nothing left to report.
    }
    open.forEach(FakeHttpProxy::closeQuietly);
    workers.shutdownNow();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        open.add(socket);
        workers.execute(() -> serve(socket));
      } catch (IOException closedOrFailed) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      ProxyRequestHead head = ProxyRequestHead.read(in);
      answer(head, in, out);
    } catch (IOException | RuntimeException e) {
      // The client went away or sent garbage; there is nobody left to answer.
    } finally {
      open.remove(socket);
    }
  }

  private void answer(ProxyRequestHead head, InputStream in, OutputStream out) throws IOException {
    if (head.method().equals("CONNECT")) {
      refuse(out, head, null, null, 501, "CONNECT tunnels are not supported by this fake");
      return;
    }
    URI uri = absoluteHttpUri(head.target());
    if (uri == null) {
      refuse(out, head, null, null, 400, "not an absolute-form http request: " + head.target());
      return;
    }
    String hostPort = hostPort(uri);
    if (head.isChunked()) {
      refuse(out, head, uri, hostPort, 411, "chunked request bodies are not supported");
      return;
    }
    byte[] body = head.readBody(in);
    URI target = routeFor(uri, hostPort);
    if (target == null) {
      refuse(out, head, uri, hostPort, 502, "fake proxy has no route for " + hostPort);
      return;
    }
    forward(out, head, uri, hostPort, destination(uri, target), body);
  }

  private URI routeFor(URI uri, String hostPort) {
    URI target = routes.get(hostPort);
    if (target == null && LoopbackServers.isLoopback(uri.getHost())) {
      return URI.create("http://" + hostPort);
    }
    return target;
  }

  private void forward(
      OutputStream out,
      ProxyRequestHead head,
      URI uri,
      String hostPort,
      URI destination,
      byte[] body)
      throws IOException {
    HttpResponse<byte[]> response;
    try {
      response =
          upstream.send(
              upstreamRequest(head, destination, hostPort, body),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      refuse(out, head, uri, hostPort, 502, "interrupted while forwarding");
      return;
    } catch (IOException e) {
      refuse(out, head, uri, hostPort, 502, "upstream " + destination + " failed: " + e);
      return;
    }
    requests.add(
        new ProxiedRequest(head.method(), uri, hostPort, destination, response.statusCode()));
    writeResponse(out, response.statusCode(), response.headers().map(), response.body());
  }

  private static HttpRequest upstreamRequest(
      ProxyRequestHead head, URI destination, String hostPort, byte[] body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(destination)
            .timeout(Duration.ofSeconds(60))
            .method(head.method(), HttpRequest.BodyPublishers.ofByteArray(body));
    for (Map.Entry<String, String> header : head.headers()) {
      if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        addHeader(request, header.getKey(), header.getValue());
      }
    }
    request.header("X-Forwarded-Host", hostPort);
    request.header("Via", "1.1 fake-http-proxy");
    return request.build();
  }

  private static void addHeader(HttpRequest.Builder request, String name, String value) {
    try {
      request.header(name, value);
    } catch (IllegalArgumentException restrictedByTheJdkClient) {
      // Such headers belong to the hop, which the JDK client manages itself.
    }
  }

  private void refuse(
      OutputStream out, ProxyRequestHead head, URI uri, String hostPort, int status, String why)
      throws IOException {
    requests.add(new ProxiedRequest(head.method(), uri, hostPort, null, status));
    byte[] body = (why + "\n").getBytes(StandardCharsets.UTF_8);
    writeResponse(out, status, Map.of("Content-Type", List.of("text/plain")), body);
  }

  private static void writeResponse(
      OutputStream out, int status, Map<String, List<String>> headers, byte[] body)
      throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ');
    head.append(reason(status)).append("\r\n");
    headers.forEach(
        (name, values) -> {
          String lower = name.toLowerCase(Locale.ROOT);
          if (!lower.startsWith(":") && !NOT_FORWARDED.contains(lower)) {
            values.forEach(value -> head.append(name).append(": ").append(value).append("\r\n"));
          }
        });
    head.append("Content-Length: ").append(body.length).append("\r\n");
    head.append("Connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 411 -> "Length Required";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      default -> "Status " + status;
    };
  }

  private static URI absoluteHttpUri(String target) {
    try {
      URI uri = new URI(target);
      boolean http = uri.isAbsolute() && "http".equalsIgnoreCase(uri.getScheme());
      return http && uri.getHost() != null ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static String hostPort(URI uri) {
    int port = uri.getPort() == -1 ? 80 : uri.getPort();
    return uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }

  /** Absolute-form may omit the path ({@code http://host}); the origin then gets {@code /}. */
  private static URI destination(URI uri, URI target) {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return URI.create("http://" + target.getRawAuthority() + path + query);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Already closed by its worker.
    }
  }
}
