package dev.hupd.testing;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Starts JDK HTTP servers bound to 127.0.0.1 only, so a fake can never be reached from another
 * host, and tells loopback addresses apart from names without asking DNS.
 */
final class LoopbackServers {

  /** 127.0.0.1, built from its bytes so that no resolver is involved. */
  static final InetAddress LOOPBACK = loopbackV4();

  private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  static {
    // The JDK server writes headers and body separately; with Nagle on, every answer waits for
    // the client's delayed ACK (about 40 ms on Linux), which made a fake 10x slower than its work.
    // Read once, when the first server is created, so it is set before any.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private LoopbackServers() {}

  /**
   * Starts a server on 127.0.0.1:{@code port} (0 = ephemeral) whose handlers run on daemon threads,
   * so a slow or hanging answer never blocks other requests or the JVM's exit.
   */
  static HttpServer start(int port, String threadPrefix, HttpHandler handler) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, port), 64);
      server.createContext("/", handler);
      server.setExecutor(Executors.newCachedThreadPool(daemonThreads(threadPrefix)));
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
    }
  }

  /**
   * Like {@link #start} but speaking HTTPS with {@code tls} (e.g. a self-signed key for 127.0.0.1
   * made by {@link TestKeyStores}).
   */
  static HttpsServer startTls(int port, String threadPrefix, HttpHandler handler, SSLContext tls) {
    try {
      HttpsServer server = HttpsServer.create(new InetSocketAddress(LOOPBACK, port), 64);
      server.setHttpsConfigurator(new HttpsConfigurator(tls));
      server.createContext("/", handler);
      server.setExecutor(Executors.newCachedThreadPool(daemonThreads(threadPrefix)));
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
    }
  }

  /** Stops accepting, closes open connections and interrupts handlers still running. */
  static void stop(HttpServer server) {
    server.stop(0);
    ExecutorService executor = (ExecutorService) server.getExecutor();
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The port a started server listens on. */
  static int port(HttpServer server) {
    return server.getAddress().getPort();
  }

  /**
   * True for {@code localhost}, 127.0.0.0/8 and ::1 written as literals; any other name is treated
   * as remote without a DNS lookup.
   */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost")) {
      return true;
    }
    if (!IPV4_LITERAL.matcher(h).matches() && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger counter = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  private static InetAddress loopbackV4() {
    try {
      return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a 4-byte address is always valid", e);
    }
  }
}
