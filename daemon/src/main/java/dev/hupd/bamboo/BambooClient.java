package dev.hupd.bamboo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.bamboo.BambooException.Kind;
import dev.hupd.bamboo.MasterExchange.Answer;
import dev.hupd.config.BambooSettings;
import dev.hupd.metadata.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's REST API (docs/bamboo.md §3) on the JDK's {@code HttpURLConnection}: HTTP/1.1, JSON
 * both ways, a bearer token, redirects never followed, one deadline per request from sending to the
 * last byte of the answer. Only the status code decides an outcome, never an error body. The client
 * never retries, except once after a 401 with the token re-read from its secret (a rotated token);
 * callers own backoff. Each request runs on the client's one daemon worker thread while the caller
 * waits with the deadline; the wire details are in {@link MasterExchange}.
 */
public final class BambooClient implements AutoCloseable {

  /**
   * Checks that {@code caFile} holds usable PEM certificates, as {@link #create} will need.
   *
   * @throws IllegalArgumentException naming the file and what is wrong
   */
  public static void checkCaFile(Path caFile) {
    MasterTrust.withCaFile(caFile);
  }

  /**
   * The largest answer read: every call hupd makes is answered in a few kilobytes (a list of a
   * thousand agents in a few hundred). The answer is parsed into a tree on a 64 MiB heap, and a
   * hostile answer of nothing but empty objects costs ≈ 40 bytes of heap per byte: 1 MiB parses
   * within it, 2 MiB did not (found in review).
   */
  static final int MAX_ANSWER = 1 << 20;

  /** How long a TCP (and proxy) connection may take, whatever the request timeout. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private static final String API = "/rest/api/latest";
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})(\\.\\d{1,3}){3}");
  private static final Logger log = LoggerFactory.getLogger(BambooClient.class);
  private static final AtomicInteger CLIENTS = new AtomicInteger();

  private final URI base;
  private final Secret token;
  private final Duration timeout;
  private final Proxy proxy;
  private final SSLSocketFactory caTrust;
  private final ThreadFactory threads;
  private ExecutorService worker; // guarded by this; replaced after an exchange is given up
  private volatile SSLSocketFactory defaultTrust;
  private volatile boolean closed;

  private BambooClient(
      URI base, Secret token, Duration timeout, Proxy proxy, SSLSocketFactory caTrust) {
    this.base = base;
    this.token = token;
    this.timeout = timeout;
    this.proxy = proxy;
    this.caTrust = caTrust;
    this.threads = daemonThreads();
    this.worker = oneDaemonThread(threads);
  }

  /**
   * Builds a client; nothing is sent and no name is resolved until the first call.
   *
   * @param baseUrl {@code bamboo-url}: {@code https://host[:port][/context]}; {@code http} only
   *     with a loopback literal ({@code 127.x.x.x}, {@code ::1}, {@code localhost})
   * @param token the personal access token of a Bamboo global admin
   * @param proxy an {@code http://host:port} proxy; {@link BambooSettings#NO_PROXY} = direct; empty
   *     = the JDK's default {@link java.net.ProxySelector} (JVM proxy properties), asked per
   *     request
   * @param caFile PEM certificates trusted besides the JDK's default trust store
   * @param timeout deadline of each request, from sending to the last byte of the answer
   * @throws IllegalArgumentException when the URL, the proxy or the CA file is unusable
   */
  public static BambooClient create(
      URI baseUrl, Secret token, Optional<URI> proxy, Optional<Path> caFile, Duration timeout) {
    Objects.requireNonNull(token, "token");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("bamboo-timeout must be positive, got " + timeout);
    }
    URI base = apiBase(baseUrl);
    Proxy p = proxy.map(BambooClient::proxy).orElse(null);
    SSLSocketFactory trust =
        caFile.map(f -> MasterTrust.withCaFile(f).getSocketFactory()).orElse(null);
    return new BambooClient(base, token, timeout, p, trust);
  }

  /** {@code GET /status}: the master's lifecycle state; anonymous, so no token is sent. */
  public ServerState status() throws BambooException {
    return read(Call.anonymous("GET", "/status"), BambooJson::state);
  }

  /** {@code GET /info}: version, build number and state. */
  public ServerInfo info() throws BambooException {
    return read(Call.of("GET", "/info"), BambooJson::info);
  }

  /** {@code GET /agent/{id}} (no expansion): the agent, or empty when the master has none. */
  public Optional<RemoteAgent> agent(long id) throws BambooException {
    try {
      return Optional.of(read(Call.of("GET", agentPath(id)), BambooJson::agentInformation));
    } catch (BambooException e) {
      if (e.kind() == Kind.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** {@code GET /agent/remote[?online=true]}: remote agents, offline ones unless onlineOnly. */
  public List<RemoteAgent> remoteAgents(boolean onlineOnly) throws BambooException {
    String path = "/agent/remote" + (onlineOnly ? "?online=true" : "");
    return read(Call.of("GET", path), node -> BambooJson.list(node, BambooJson::agent));
  }

  /** {@code GET /agent/authentication[?pending=true]}; empty when authentication is off. */
  public List<AgentAuthentication> authentications(boolean pendingOnly) throws BambooException {
    String path = "/agent/authentication" + (pendingOnly ? "?pending=true" : "");
    return read(Call.of("GET", path), node -> BambooJson.list(node, BambooJson::authentication));
  }

  /** {@code PUT /agent/authentication/{uuid}}: approves a pending UUID (any 2xx). */
  public void approve(String uuid) throws BambooException {
    exchange(Call.of("PUT", "/agent/authentication/" + pathSegment(uuid)));
  }

  /** {@code PUT /agent/{id}/enable}; the agent as the master then has it. */
  public RemoteAgent enable(long id) throws BambooException {
    return toggle(id, "enable");
  }

  /** {@code PUT /agent/{id}/disable}; the agent as the master then has it. */
  public RemoteAgent disable(long id) throws BambooException {
    return toggle(id, "disable");
  }

  /** {@code GET /agent/{id}/capability?includeShared=false}: the agent's own capabilities. */
  public List<Capability> capabilities(long id) throws BambooException {
    String path = agentPath(id) + "/capability?includeShared=false";
    return read(Call.of("GET", path), node -> BambooJson.list(node, BambooJson::capability));
  }

  /** {@code POST /agent/{id}/capability}. */
  public void addCapability(long id, String key, String value) throws BambooException {
    exchange(Call.of("POST", agentPath(id) + "/capability").withBody(capabilityBody(key, value)));
  }

  /** {@code PUT /agent/{id}/capability/{key}}, the key percent-encoded as one path segment. */
  public void updateCapability(long id, String key, String value) throws BambooException {
    String path = capabilityPath(id, key);
    exchange(Call.of("PUT", path).withBody(capabilityBody(key, value)));
  }

  /** {@code DELETE /agent/{id}/capability/{key}}. */
  public void deleteCapability(long id, String key) throws BambooException {
    exchange(Call.of("DELETE", capabilityPath(id, key)));
  }

  /** {@code DELETE /agent/{id}}: removes the agent's record from the master. */
  public void deleteAgent(long id) throws BambooException {
    exchange(Call.of("DELETE", agentPath(id)));
  }

  /** The API root, e.g. {@code https://ci.example.com/bamboo/rest/api/latest}. */
  public URI apiBase() {
    return base;
  }

  /**
   * Stops the client's worker thread; calls made afterwards fail with {@link
   * IllegalStateException}. The client keeps no connection open between calls.
   */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      worker.shutdownNow();
    }
  }

  private RemoteAgent toggle(long id, String action) throws BambooException {
    Call call = Call.of("PUT", agentPath(id) + "/" + action);
    Answer response = exchange(call);

    if (!response.body().isBlank()) {
      return parse(call, response, BambooJson::agentInformation);
    }
    Optional<RemoteAgent> agent = agent(id);
    if (agent.isEmpty()) {
      throw new BambooException(
          Kind.NOT_FOUND,
          404,
          "GET",
          agentPath(id),
          "Bamboo agent " + id + " vanished right after " + action + " at " + base,
          null);
    }
    return agent.get();
  }

  private <T> T read(Call call, Function<JsonNode, T> reader) throws BambooException {
    return parse(call, exchange(call), reader);
  }

  private <T> T parse(Call call, Answer response, Function<JsonNode, T> reader)
      throws BambooException {
    try {
      return reader.apply(Json.MAPPER.readTree(response.body()));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String detail =
          e instanceof JsonProcessingException j
              ? "not JSON: " + j.getOriginalMessage()
              : e.getMessage();
      throw failure(
          call,
          Kind.PROTOCOL,
          response.status(),
          "answered HTTP "
              + response.status()
              + " ("
              + Objects.requireNonNullElse(response.contentType(), "no content type")
              + ") with a body hupd cannot use: "
              + detail
              + "; check bamboo-url",
          e);
    }
  }

  /** Sends the call; after a 401, re-reads the token once and sends it once more. */
  private Answer exchange(Call call) throws BambooException {
    if (closed) {
      throw closedError();
    }
    Answer response = send(call, call.anonymous() ? null : token(call, false));
    if (response.status() == 401 && !call.anonymous()) {
      log.debug(
          "event=bamboo.token.reread secret={} method={} path={}",
          token.name(),
          call.method(),
          call.path());
      response = send(call, token(call, true));
    }
    checkStatus(call, response);
    return response;
  }

  private String token(Call call, boolean refresh) throws BambooException {
    try {
      return refresh ? token.refresh() : token.value();
    } catch (SecretException e) {
      throw failure(
          call,
          Kind.SECRET,
          0,
          "cannot read the token from " + token.name() + ": " + e.getMessage(),
          e);
    }
  }

  private Answer send(Call call, String bearer) throws BambooException {
    long started = System.nanoTime();
    long deadline = started + timeout.toNanos();
    MasterExchange exchange = null;
    try {
      exchange =
          new MasterExchange(
              URI.create(base + call.path()).toURL(),
              call.method(),
              body(call),
              bearer,
              proxy,
              trust(),
              deadline,
              (int) CONNECT_TIMEOUT.toMillis(),
              MAX_ANSWER);
      Answer response = await(exchange, deadline);
      logRequest(call, response.status(), started, null);
      return response;
    } catch (IOException e) {
      BambooException failure = transportFailure(call, e, exchange != null && exchange.connected());
      logRequest(call, 0, started, failure.kind());
      throw failure;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      logRequest(call, 0, started, Kind.UNREACHABLE);
      throw failure(call, Kind.UNREACHABLE, 0, "interrupted while waiting for the answer", e);
    }
  }

  /**
   * Runs the exchange on the worker thread and waits for the whole answer until the deadline. A
   * timed-out or interrupted wait gives the exchange up: it is aborted (nothing more is sent, its
   * connection is closed) and the worker thread is left to end on its own while later calls get a
   * fresh one, so an exchange that cannot be stopped at once never delays the next call.
   */
  private Answer await(MasterExchange exchange, long deadlineNanos)
      throws IOException, InterruptedException {
    ExecutorService pool;
    Future<Answer> future;
    synchronized (this) {
      if (closed) {
        throw closedError();
      }
      pool = worker;
      try {
        future = pool.submit(exchange);
      } catch (RejectedExecutionException e) {
        throw closedError();
      }
    }
    try {
      return future.get(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      boolean connecting = !exchange.connected();
      giveUp(pool, future, exchange);
      throw new Deadline(
          (connecting ? "no connection within " : "no complete answer within ")
              + timeout.toMillis()
              + " ms",
          connecting);
    } catch (InterruptedException e) {
      giveUp(pool, future, exchange);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      // not the cause's message: a header check of the JDK would quote the header's value
      throw new IOException("the exchange failed with " + cause.getClass().getName(), cause);
    }
  }

  private void giveUp(ExecutorService pool, Future<Answer> future, MasterExchange exchange) {
    exchange.abort();
    future.cancel(true);
    synchronized (this) {
      if (worker == pool && !closed) {
        pool.shutdown(); // its thread ends with the given-up exchange
        worker = oneDaemonThread(threads);
      }
    }
  }

  private static byte[] body(Call call) {
    if (call.method().equals("GET")) {
      return null;
    }
    return call.body() == null ? new byte[0] : call.body().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The TLS sockets for an https master: {@code bamboo-ca-file}'s trust, else the JDK's default
   * context, built at the first https call (an http master never loads TLS).
   */
  private SSLSocketFactory trust() throws SSLException {
    if (caTrust != null) {
      return caTrust;
    }
    if (!base.getScheme().equals("https")) {
      return null;
    }
    SSLSocketFactory f = defaultTrust;
    if (f == null) {
      try {
        f = SSLContext.getDefault().getSocketFactory();
      } catch (NoSuchAlgorithmException e) {
        throw new SSLException("the JDK has no default TLS context: " + e.getMessage(), e);
      }
      defaultTrust = f;
    }
    return f;
  }

  private IllegalStateException closedError() {
    return new IllegalStateException("Bamboo client for " + base + " is closed");
  }

  private void checkStatus(Call call, Answer response) throws BambooException {
    int status = response.status();
    if (status >= 200 && status < 300) {
      return;
    }
    if (status == 401) {
      String why =
          call.anonymous()
              ? "answered 401 to a call that needs no token; check bamboo-url"
              : "answered 401 twice: the token from "
                  + token.name()
                  + " was refused, also after re-reading it; put a valid personal access token"
                  + " there";
      throw failure(call, Kind.UNAUTHORIZED, status, why, null);
    }
    if (status == 403) {
      throw failure(
          call,
          Kind.FORBIDDEN,
          status,
          "answered 403: the token's user needs Bamboo global admin permission",
          null);
    }
    if (status == 404) {
      throw failure(
          call,
          Kind.NOT_FOUND,
          status,
          "answered 404 (no such agent, UUID or capability, or a call this master lacks)",
          null);
    }
    if (status >= 500) {
      throw failure(call, Kind.SERVER_ERROR, status, "answered HTTP " + status, null);
    }
    if (status >= 300 && status < 400) {
      String to = response.location() == null ? "" : " to " + response.location();
      throw failure(
          call,
          Kind.PROTOCOL,
          status,
          "answered with a redirect ("
              + status
              + to
              + "), which hupd does not follow; check bamboo-url (a redirect usually means a"
              + " login page or the wrong context path)",
          null);
    }
    throw failure(call, Kind.PROTOCOL, status, "answered HTTP " + status, null);
  }

  private BambooException transportFailure(Call call, IOException e, boolean connected) {
    if (e instanceof BoundedBody.TooLarge) {
      return failure(
          call,
          Kind.PROTOCOL,
          0,
          e.getMessage() + "; check bamboo-url (is it a Bamboo master?)",
          e);
    }
    if (e instanceof SocketTimeoutException) {
      boolean connecting = e instanceof Deadline d ? d.connecting : !connected;
      String what = connecting ? "connecting" : "waiting";
      return failure(
          call,
          Kind.TIMEOUT,
          0,
          "timed out " + what + " (" + e.getMessage() + "); is the master or the proxy slow?",
          e);
    }
    if (causedBy(e, SSLException.class)) {
      return failure(
          call,
          Kind.TLS,
          0,
          "TLS failed ("
              + rootMessage(e)
              + "); if the master's certificate is from a private CA, add the master's CA with"
              + " bamboo-ca-file",
          e);
    }
    String what =
        !connected || causedBy(e, ConnectException.class) ? "cannot connect" : "no answer";
    return failure(
        call,
        Kind.UNREACHABLE,
        0,
        what + " (" + rootMessage(e) + "); check bamboo-url, bamboo-proxy and the network",
        e);
  }

  /** Longest server-sent text quoted in a message (a body, a Location). */
  static final int MAX_QUOTED = 400;

  private BambooException failure(Call call, Kind kind, int status, String why, Throwable cause) {
    // what the server sent back is quoted in `why`: never the token (it may echo it), never much
    String shown = token.redact(why);
    if (shown.length() > MAX_QUOTED) {
      shown = shown.substring(0, MAX_QUOTED) + "… (" + shown.length() + " characters)";
    }
    String message = "Bamboo " + call.method() + " " + base + call.path() + " failed: " + shown;
    return new BambooException(kind, status, call.method(), call.path(), message, cause);
  }

  private void logRequest(Call call, int status, long startedNanos, Kind error) {
    if (!log.isDebugEnabled()) {
      return;
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    if (error == null) {
      log.debug(
          "event=bamboo.request method={} path={} status={} ms={}",
          call.method(),
          call.path(),
          status,
          ms);
    } else {
      log.debug(
          "event=bamboo.request method={} path={} status=0 ms={} error={}",
          call.method(),
          call.path(),
          ms,
          error);
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The first message along the cause chain. */
  private static String rootMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  private static String agentPath(long id) {
    return "/agent/" + id;
  }

  private static String capabilityPath(long id, String key) {
    return agentPath(id) + "/capability/" + pathSegment(key);
  }

  private static String capabilityBody(String key, String value) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("key", Objects.requireNonNull(key, "key"));
    body.put("value", Objects.requireNonNull(value, "value"));
    return body.toString();
  }

  /**
   * Percent-encodes {@code text} as one path segment: everything but RFC 3986's unreserved
   * characters, as UTF-8, so {@code system.jdk.JDK 17} becomes {@code system.jdk.JDK%2017} (not
   * {@code +}, which is form encoding) and a {@code /} cannot split the segment.
   */
  static String pathSegment(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("an empty path segment names nothing");
    }
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean unreserved =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '.'
              || c == '_'
              || c == '~';
      if (unreserved) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    String encoded = out.toString();
    if (encoded.equals(".") || encoded.equals("..")) {
      throw new IllegalArgumentException("\"" + text + "\" cannot be a path segment");
    }
    return encoded;
  }

  /** {@code bamboo-url} checked and extended by {@code /rest/api/latest}. */
  static URI apiBase(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (url.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new IllegalArgumentException(
          "bamboo-url must be https://host[:port][/context], got " + url);
    }
    if (url.getRawUserInfo() != null || url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "bamboo-url must hold no user, query or fragment (the token goes in bamboo-token), got "
              + scheme
              + "://"
              + url.getHost()
              + "/...");
    }
    if (scheme.equals("http") && !isLoopbackLiteral(url.getHost())) {
      throw new IllegalArgumentException(
          "bamboo-url "
              + url
              + " uses plain http, which would send the token in clear text; use https (http is"
              + " accepted only for 127.x.x.x, ::1 and localhost)");
    }
    String path = url.getRawPath() == null ? "" : url.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String authority = url.getRawAuthority();
    return URI.create(scheme + "://" + authority + path + API);
  }

  /** Loopback by its spelling alone: names other than localhost are never resolved. */
  static boolean isLoopbackLiteral(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost")) {
      return true;
    }
    if (IPV4.matcher(h).matches()) {
      return h.startsWith("127.");
    }
    if (!h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress(); // an IPv6 literal: parsed, not looked up
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** {@code bamboo-proxy} (or the AWS chain's choice) as the proxy of every request. */
  private static Proxy proxy(URI proxy) {
    if (proxy.equals(BambooSettings.NO_PROXY)) {
      return Proxy.NO_PROXY;
    }
    if (!"http".equalsIgnoreCase(proxy.getScheme())
        || proxy.getHost() == null
        || proxy.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "the Bamboo proxy must be http://host:port (no credentials), got "
              + proxy.getScheme()
              + "://"
              + (proxy.getRawUserInfo() == null ? "" : "****@")
              + proxy.getHost()
              + (proxy.getPort() < 0 ? "" : ":" + proxy.getPort()));
    }
    int port = proxy.getPort() < 0 ? 80 : proxy.getPort();
    return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxy.getHost(), port));
  }

  /**
   * The worker: at most one daemon thread, started by the first call and gone after a minute idle;
   * a daemon thread never keeps the JVM alive. Callers make one call at a time and wait on their
   * own thread.
   */
  private static ExecutorService oneDaemonThread(ThreadFactory threads) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  private static ThreadFactory daemonThreads() {
    int client = CLIENTS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "bamboo-http-" + client + "-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** The deadline of a request passed while waiting; connecting = no connection was up yet. */
  private static final class Deadline extends SocketTimeoutException {
    final boolean connecting;

    Deadline(String message, boolean connecting) {
      super(message);
      this.connecting = connecting;
    }
  }

  /** One request: method, path under the API root (query included), JSON body if any. */
  private record Call(String method, String path, String body, boolean anonymous) {
    static Call of(String method, String path) {
      return new Call(method, path, null, false);
    }

    static Call anonymous(String method, String path) {
      return new Call(method, path, null, true);
    }

    Call withBody(String json) {
      return new Call(method, path, json, anonymous);
    }
  }
}
