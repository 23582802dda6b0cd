package dev.hupd.bamboo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ProtocolException;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketException;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One request to the master on the JDK's {@link HttpURLConnection}, run to its end on a worker
 * thread while the caller waits with the request's deadline ({@link BambooClient}). When the caller
 * gives up, {@link #abort()} stops it so that nothing more is sent and the worker is freed.
 *
 * <p>How each exchange uses the connection, and why:
 *
 * <ul>
 *   <li>Its own connection, never reused: {@code Connection: close}, {@code disconnect()} at the
 *       end, and an {@link Authenticator} of its own (without credentials). The JDK reuses a pooled
 *       connection only for the same authenticator and closes one it finds pooled for another, so
 *       no exchange picks up a connection that a server left open after an answer without a body
 *       (which the JDK pools before {@code disconnect()} could close it). {@link #abort()} can then
 *       close exactly this exchange's socket, no idle socket stays open between polls, and no stale
 *       pooled connection can fail a request.
 *   <li>Every request with a method other than GET is sent in fixed-length streaming mode (with
 *       {@code Content-Length: 0} when it has no body). That turns off the JDK's silent second
 *       sending of a request whose answer could not be read (which applies to PUT and DELETE
 *       whatever {@code sun.net.http.retryPost} says, and to POST unless it is false): an approve,
 *       enable, disable or capability change is sent at most once, and a lost answer reaches the
 *       caller, which settles it by re-reading. A GET may still be sent a second time in that case,
 *       within the same deadline; it changes nothing on the master. In streaming mode the JDK
 *       reports a 401 or 407 as an {@link java.net.HttpRetryException}; {@link
 *       HttpURLConnection#getResponseCode()} still returns the status, which is all that is used.
 *   <li>No redirects, no caches, no credentials from the JVM: {@code
 *       setInstanceFollowRedirects(false)}, {@code setUseCaches(false)} (a JVM-wide {@link
 *       java.net.ResponseCache} is never asked), and the exchange's own authenticator, so a
 *       JVM-wide default authenticator never answers the master's or a proxy's challenge.
 *   <li>TLS through {@link Sockets}: the trust given by the client, host name verification by the
 *       TLS layer itself (endpoint identification {@code HTTPS} on every socket, so no JVM-wide
 *       {@link javax.net.ssl.HostnameVerifier} is consulted), and each socket recorded for {@link
 *       #abort()}.
 * </ul>
 *
 * <p>A {@code disconnect()} is no way to stop a worker that is reading a body: the JDK's body
 * streams lock their {@code read} and {@code close} alike, so it would block until the read
 * returns. {@link #abort()} therefore closes the recorded sockets (https, once the TCP connection
 * is up: at once, whatever the worker is doing), and calls {@code disconnect()} only until the
 * answer's body is being read (which covers plain http before the body and a proxy tunnel being set
 * up). A TCP connect itself ends at its connect timeout, never later than the deadline. A
 * plain-http (loopback) worker stuck in a body read ends at its read timeout or when the next bytes
 * arrive.
 *
 * <p>One thing the JVM can still add: a GET (not sent in streaming mode) answered 401 with {@code
 * WWW-Authenticate: Negotiate} lets the JDK try Kerberos from the process's ticket cache, which
 * hupd's account normally does not have; every other scheme asks only the exchange's authenticator.
 */
final class MasterExchange implements Callable<MasterExchange.Answer> {

  /** The status, the two headers the client looks at, and the body (of any status). */
  record Answer(int status, String contentType, String location, String body) {}

  private final URL url;
  private final String method;
  private final byte[] body;
  private final String bearer;
  private final Proxy proxy;
  private final SSLSocketFactory tls;
  private final long deadlineNanos;
  private final int connectTimeoutMillis;
  private final int limit;

  private final List<Socket> sockets = new ArrayList<>(2); // guarded by this
  private HttpURLConnection connection; // guarded by this
  private boolean reading; // guarded by this
  private volatile boolean aborted;
  private volatile boolean connected;

  /**
   * @param body the JSON body; null for GET, empty for a call without body
   * @param bearer the token, or null for an anonymous call
   * @param proxy the proxy, {@link Proxy#NO_PROXY}, or null for the JVM's default {@link
   *     java.net.ProxySelector}
   * @param tls the TLS sockets for an https URL (ignored for http)
   */
  MasterExchange(
      URL url,
      String method,
      byte[] body,
      String bearer,
      Proxy proxy,
      SSLSocketFactory tls,
      long deadlineNanos,
      int connectTimeoutMillis,
      int limit) {
    if (body == null && !method.equals("GET")) {
      throw new IllegalArgumentException(method + " needs a body, if only an empty one");
    }
    this.url = url;
    this.method = method;
    this.body = body;
    this.bearer = bearer;
    this.proxy = proxy;
    this.tls = tls;
    this.deadlineNanos = deadlineNanos;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.limit = limit;
  }

  /**
   * Whether the TCP connection (through any proxy tunnel) was up: a failure before it is one of
   * connecting, one after it (the TLS handshake included) one of waiting for the answer.
   */
  boolean connected() {
    return connected;
  }

  @Override
  public Answer call() throws IOException {
    HttpURLConnection c = open();
    try {
      c.connect();
      connected = true;
      proceed();
      if (body != null) {
        try (OutputStream out = c.getOutputStream()) {
          out.write(body);
        }
      }
      int status = c.getResponseCode();
      if (status < 100) {
        throw new ProtocolException("the answer has no HTTP status line");
      }
      String contentType = c.getHeaderField("Content-Type");
      String location = c.getHeaderField("Location");
      startReading();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String text =
          in == null ? "" : BoundedBody.read(in, c.getContentLengthLong(), limit, this::proceed);
      return new Answer(status, contentType, location, text);
    } finally {
      // Always close this exchange's own socket first: after an error, so that disconnect() does
      // not drain an unread body; after an answer, because a server that ignores our
      // Connection: close gets its connection pooled by the JDK as the body ends, where
      // disconnect() no longer reaches it (an idle socket and a keep-alive thread; review).
      closeSockets();
      c.disconnect();
    }
  }

  /**
   * Stops the exchange from another thread: nothing more is sent, the socket is closed, and the
   * worker ends with an exception (see the class comment for a plain-http body read). Never blocks.
   */
  void abort() {
    HttpURLConnection c;
    synchronized (this) {
      aborted = true;
      c = reading ? null : connection;
    }
    closeSockets();
    if (c != null) {
      c.disconnect(); // not reading a body yet: closes the socket without waiting for any lock
    }
  }

  private HttpURLConnection open() throws IOException {
    HttpURLConnection c =
        (HttpURLConnection) (proxy == null ? url.openConnection() : url.openConnection(proxy));
    if (c instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(new Sockets(tls, this::track));
    }
    c.setAuthenticator(new Authenticator() {}); // no credentials, and its own pool key
    c.setUseCaches(false);
    c.setInstanceFollowRedirects(false);
    long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    int leftMillis = (int) Math.min(Integer.MAX_VALUE, left);
    c.setConnectTimeout(Math.min(connectTimeoutMillis, leftMillis));
    c.setReadTimeout(leftMillis);
    c.setRequestMethod(method);
    c.setRequestProperty("Accept", "application/json");
    c.setRequestProperty("Connection", "close");
    if (bearer != null) {
      c.setRequestProperty("Authorization", "Bearer " + bearer);
    }
    if (body != null) {
      c.setRequestProperty("Content-Type", "application/json");
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(body.length);
    }
    synchronized (this) {
      connection = c;
    }
    proceed();
    return c;
  }

  private void proceed() throws IOException {
    if (aborted) {
      throw new SocketException("the exchange was given up");
    }
  }

  private synchronized void startReading() throws IOException {
    proceed();
    reading = true;
  }

  private synchronized void track(Socket socket) throws IOException {
    if (aborted) {
      socket.close();
      throw new SocketException("the exchange was given up");
    }
    sockets.add(socket);
    connected = true;
  }

  private void closeSockets() {
    List<Socket> open;
    synchronized (this) {
      open = List.copyOf(sockets);
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing is all that is wanted
      }
    }
  }

  /**
   * The exchange's TLS sockets: made by the client's factory, each with endpoint identification
   * {@code HTTPS} (the TLS layer checks the master's name against its certificate) and recorded for
   * {@link #abort()}. The JDK layers TLS over the plain socket it connected (the unconnected {@code
   * createSocket()} is deliberately not offered), so the plain socket is the one recorded: closing
   * it ends any read at once, without the TLS layer's locks.
   */
  static final class Sockets extends SSLSocketFactory {

    /** Takes each socket made; throws (having closed it) when the exchange was given up. */
    interface Tracker {
      void track(Socket socket) throws IOException;
    }

    private final SSLSocketFactory factory;
    private final Tracker tracker;

    Sockets(SSLSocketFactory factory, Tracker tracker) {
      this.factory = factory;
      this.tracker = tracker;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return factory.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return factory.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket plain, String host, int port, boolean autoClose)
        throws IOException {
      tracker.track(plain);
      return verifyingHost(factory.createSocket(plain, host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return tracked(factory.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return tracked(factory.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return tracked(factory.createSocket(host, port));
    }

    @Override
    public Socket createSocket(
        InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      return tracked(factory.createSocket(address, port, localAddress, localPort));
    }

    private Socket tracked(Socket socket) throws IOException {
      tracker.track(socket);
      return verifyingHost(socket);
    }

    /** Endpoint identification added to the factory's parameters (server names kept). */
    private static Socket verifyingHost(Socket socket) {
      SSLSocket ssl = (SSLSocket) socket;
      SSLParameters parameters = ssl.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(parameters);
      return ssl;
    }
  }
}
