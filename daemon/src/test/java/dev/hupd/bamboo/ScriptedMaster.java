package dev.hupd.bamboo;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A Bamboo master that answers from a script: for each {@code METHOD /raw/path?query} a sequence of
 * replies (the last one repeats), 404 for anything unscripted. Binds 127.0.0.1 only and records
 * every request. Not a model of Bamboo (that is the fake master of docs/bamboo.md §12.1); it is
 * what the client's wire details are checked against.
 */
final class ScriptedMaster implements AutoCloseable {

  /** One answer; {@code delay} holds it back (ended early by {@link #close()}). */
  record Reply(int status, String body, Map<String, String> headers, Duration delay) {
    static Reply json(int status, String body) {
      return new Reply(status, body, Map.of("Content-Type", "application/json"), Duration.ZERO);
    }

    static Reply empty(int status) {
      return new Reply(status, "", Map.of(), Duration.ZERO);
    }

    Reply delayed(Duration by) {
      return new Reply(status, body, headers, by);
    }
  }

  /** One request as received: the raw path with its raw query, headers and body. */
  record Request(String method, String target, Headers headers, String body) {
    String header(String name) {
      return headers.getFirst(name);
    }
  }

  private static final InetAddress LOOPBACK = loopback();

  private final HttpServer server;
  private final ExecutorService handlers;
  private final Map<String, Deque<Reply>> script = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch closing = new CountDownLatch(1);

  private ScriptedMaster(HttpServer server) {
    this.server = server;
    this.handlers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "scripted-master");
              t.setDaemon(true);
              return t;
            });
    server.createContext("/", this::handle);
    server.setExecutor(handlers);
    server.start();
  }

  static ScriptedMaster http() {
    try {
      return new ScriptedMaster(HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 16));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ScriptedMaster https(SSLContext tls) {
    try {
      HttpsServer server = HttpsServer.create(new InetSocketAddress(LOOPBACK, 0), 16);
      server.setHttpsConfigurator(new HttpsConfigurator(tls));
      return new ScriptedMaster(server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Answers {@code method target} with these replies in turn, the last one from then on. */
  ScriptedMaster on(String method, String target, Reply... replies) {
    script.put(method + " " + target, new ArrayDeque<>(List.of(replies)));
    return this;
  }

  /** {@code http[s]://127.0.0.1:PORT} followed by {@code path}. */
  URI url(String path) {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  Request last() {
    return requests.get(requests.size() - 1);
  }

  long hits(String target) {
    return requests.stream().filter(r -> r.target().equals(target)).count();
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    handlers.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String target = exchange.getRequestURI().getRawPath();
      if (exchange.getRequestURI().getRawQuery() != null) {
        target += "?" + exchange.getRequestURI().getRawQuery();
      }
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Headers headers = new Headers();
      headers.putAll(exchange.getRequestHeaders());
      requests.add(new Request(exchange.getRequestMethod(), target, headers, body));

      Reply reply = next(exchange.getRequestMethod() + " " + target);
      if (!reply.delay().isZero()
          && closing.await(reply.delay().toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
      exchange.getResponseBody().write(bytes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Reply next(String key) {
    Deque<Reply> replies = script.get(key);
    if (replies == null) {
      return Reply.json(404, "{\"message\":\"not scripted: " + key + "\",\"status-code\":404}");
    }
    synchronized (replies) {
      return replies.size() > 1 ? replies.poll() : replies.peek();
    }
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
