package dev.hupd.bamboo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.bamboo.BambooException.Kind;
import dev.hupd.config.BambooSettings;
import dev.hupd.metadata.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's REST API (docs/bamboo.md §3) on the JDK's HTTP client: JSON both ways, a bearer
 * token, redirects never followed, one deadline per request. Only the status code decides an
 * outcome, never an error body. The client never retries, except once after a 401 with the token
 * re-read from its secret (a rotated token); callers own backoff.
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

  /** The largest answer read: every call hupd makes is answered in a few kilobytes. */
  static final int MAX_ANSWER = 4 << 20;

  /** How long a TCP (and proxy) connection may take, whatever the request timeout. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private static final String API = "/rest/api/latest";
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})(\\.\\d{1,3}){3}");
  private static final Logger log = LoggerFactory.getLogger(BambooClient.class);
  private static final AtomicInteger CLIENTS = new AtomicInteger();

  private final URI base;
  private final Secret token;
  private final Duration timeout;
  private final ExecutorService executor;
  private final HttpClient http;
  private volatile boolean closed;

  private BambooClient(
      URI base, Secret token, Duration timeout, ExecutorService executor, HttpClient http) {
    this.base = base;
    this.token = token;
    this.timeout = timeout;
    this.executor = executor;
    this.http = http;
  }

  /**
   * Builds a client; nothing is sent and no name is resolved until the first call.
   *
   * @param baseUrl {@code bamboo-url}: {@code https://host[:port][/context]}; {@code http} only
   *     with a loopback literal ({@code 127.x.x.x}, {@code ::1}, {@code localhost})
   * @param token the personal access token of a Bamboo global admin
   * @param proxy an {@code http://host:port} proxy; {@link BambooSettings#NO_PROXY} = direct; empty
   *     = the JDK's default {@link ProxySelector} (JVM proxy properties)
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
    ExecutorService executor = oneDaemonThread();
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(CONNECT_TIMEOUT)
            .executor(executor);
    try {
      proxy.ifPresent(p -> builder.proxy(proxySelector(p)));
      caFile.ifPresent(f -> builder.sslContext(MasterTrust.withCaFile(f)));
    } catch (RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    return new BambooClient(base, token, timeout, executor, builder.build());
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
   * Stops the client's threads; calls made afterwards fail with {@link IllegalStateException}. The
   * JDK client's selector thread ends once the client is unreachable.
   */
  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
  }

  private RemoteAgent toggle(long id, String action) throws BambooException {
    Call call = Call.of("PUT", agentPath(id) + "/" + action);
    HttpResponse<String> response = exchange(call);

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

  private <T> T parse(Call call, HttpResponse<String> response, Function<JsonNode, T> reader)
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
          response.statusCode(),
          "answered HTTP "
              + response.statusCode()
              + " ("
              + response.headers().firstValue("Content-Type").orElse("no content type")
              + ") with a body hupd cannot use: "
              + detail
              + "; check bamboo-url",
          e);
    }
  }

  /** Sends the call; after a 401, re-reads the token once and sends it once more. */
  private HttpResponse<String> exchange(Call call) throws BambooException {
    if (closed) {
      throw new IllegalStateException("Bamboo client for " + base + " is closed");
    }
    HttpResponse<String> response = send(call, call.anonymous() ? null : token(call, false));
    if (response.statusCode() == 401 && !call.anonymous()) {
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

  private HttpResponse<String> send(Call call, String bearer) throws BambooException {
    long started = System.nanoTime();
    try {
      HttpResponse<String> response = await(request(call, bearer));
      logRequest(call, response.statusCode(), started, null);
      return response;
    } catch (IOException e) {
      BambooException failure = transportFailure(call, e);
      logRequest(call, 0, started, failure.kind());
      throw failure;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      logRequest(call, 0, started, Kind.UNREACHABLE);
      throw failure(call, Kind.UNREACHABLE, 0, "interrupted while waiting for the answer", e);
    }
  }

  /**
   * Waits for the whole answer. The request's own timeout ends at the response headers; this
   * deadline also covers a body that stalls.
   */
  private HttpResponse<String> await(HttpRequest request) throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<String>> future =
        http.sendAsync(request, info -> new BoundedBody(MAX_ANSWER));
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new HttpTimeoutException("no complete answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(String.valueOf(cause), cause);
    }
  }

  private HttpRequest request(Call call, String bearer) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + call.path()))
            .timeout(timeout)
            .header("Accept", "application/json");
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    if (call.method().equals("GET")) {
      return request.GET().build();
    }
    request.header("Content-Type", "application/json");
    HttpRequest.BodyPublisher body =
        call.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(call.body(), StandardCharsets.UTF_8);
    return request.method(call.method(), body).build();
  }

  private void checkStatus(Call call, HttpResponse<String> response) throws BambooException {
    int status = response.statusCode();
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
      String to = response.headers().firstValue("Location").map(l -> " to " + l).orElse("");
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

  private BambooException transportFailure(Call call, IOException e) {
    if (e instanceof BoundedBody.TooLarge) {
      return failure(
          call,
          Kind.PROTOCOL,
          0,
          e.getMessage() + "; check bamboo-url (is it a Bamboo master?)",
          e);
    }
    if (e instanceof HttpTimeoutException) {
      String what = e instanceof HttpConnectTimeoutException ? "connecting" : "waiting";
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
    String what = causedBy(e, ConnectException.class) ? "cannot connect" : "no answer";
    return failure(
        call,
        Kind.UNREACHABLE,
        0,
        what + " (" + rootMessage(e) + "); check bamboo-url, bamboo-proxy and the network",
        e);
  }

  private BambooException failure(Call call, Kind kind, int status, String why, Throwable cause) {
    String message = "Bamboo " + call.method() + " " + base + call.path() + " failed: " + why;
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

  /** The first message along the cause chain (the JDK client often wraps a bare exception). */
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

  private static ProxySelector proxySelector(URI proxy) {
    if (proxy.equals(BambooSettings.NO_PROXY)) {
      return HttpClient.Builder.NO_PROXY;
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
    return ProxySelector.of(InetSocketAddress.createUnresolved(proxy.getHost(), port));
  }

  /**
   * The JDK client's executor: at most one daemon thread, gone after a minute idle. The client's
   * tasks never block (callers wait on their own thread), and a daemon thread never keeps the JVM
   * alive; the JDK's default would be an unbounded pool of non-daemon threads.
   */
  private static ExecutorService oneDaemonThread() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemonThreads());
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
