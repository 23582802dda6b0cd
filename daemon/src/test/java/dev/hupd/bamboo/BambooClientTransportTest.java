package dev.hupd.bamboo;

import static dev.hupd.bamboo.BambooClientTest.catchBamboo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.bamboo.BambooException.Kind;
import dev.hupd.bamboo.ScriptedMaster.Reply;
import dev.hupd.config.BambooSettings;
import dev.hupd.testing.FakeHttpProxy;
import dev.hupd.testing.TestKeyStores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the client's transport ({@link MasterExchange} on {@code HttpURLConnection}) does itself
 * rather than inherit from a library: the deadline over a stalled body, the size limit while
 * reading, no silent second sending, no pooled connection, no JVM-wide authenticator, proxy or host
 * name verifier. Servers are raw sockets on 127.0.0.1 where a wire detail matters.
 */
class BambooClientTransportTest {

  static final String TOKEN = BambooClientTest.TOKEN;
  static final String API = BambooClientTest.API;
  static final String AGENT = BambooClientTest.AGENT;
  static final Duration GENEROUS = BambooClientTest.GENEROUS;
  static final InetAddress LOOPBACK = loopback();

  @TempDir static Path certs;
  static SSLContext masterTls;

  final List<AutoCloseable> open = new ArrayList<>();
  final AtomicInteger secretReads = new AtomicInteger();
  final Secret secret =
      new Secret(
          "file:/etc/hupd/bamboo.token",
          () -> {
            secretReads.incrementAndGet();
            return TOKEN;
          });

  @BeforeAll
  static void makeCertificates() throws Exception {
    masterTls = MasterCertificates.write(certs);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  // --- one deadline, from sending to the last byte ------------------------------------------

  @ParameterizedTest(name = "https={0}")
  @ValueSource(booleans = {false, true})
  void aBodyThatStallsEndsAtTheDeadline_andTheNextCallIsNotHeldUp(boolean https) throws Exception {
    Duration timeout = Duration.ofMillis(1500);
    RawServer server =
        server(
            https,
            (request, in, out) -> {
              if (request.contains("/info")) {
                answer(out, 200, "{\"version\":\"9.6.2\"}");
                return;
              }
              sleep(timeout.dividedBy(2)); // the worker's read timeout now ends well after 1.5 s
              write(out, head(200, 100) + "{\"state\":\"RUN");
              awaitClose(in); // and then nothing more
            });
    BambooClient client = client(server, timeout);

    long started = System.nanoTime();
    BambooException e = catchBamboo(client::status);
    Duration took = since(started);

    assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
    assertThat(e.getMessage()).contains("timed out waiting (no complete answer within 1500 ms)");
    assertThat(took).isBetween(timeout.minusMillis(100), timeout.plusMillis(700));

    long next = System.nanoTime();
    assertThat(client.info().version()).isEqualTo("9.6.2");
    assertThat(since(next)).as("the stalled exchange does not delay the next").isLessThan(ms(700));
    if (https) {
      // abort() closed the socket at the deadline; the worker's own read timeout is at ~2.25 s
      assertThat(server.closedAfter(started)).isLessThan(ms(2100));
    }
  }

  @Test
  void aConnectionThatIsNeverAcceptedIsATimeoutConnecting() throws Exception {
    List<Socket> queued = new ArrayList<>();
    try (ServerSocket full = new ServerSocket(0, 1, LOOPBACK)) {
      try {
        for (int i = 0; i < 10; i++) { // fill the accept queue until the kernel drops SYNs
          Socket s = new Socket();
          queued.add(s);
          s.connect(new InetSocketAddress(LOOPBACK, full.getLocalPort()), 300);
        }
      } catch (java.net.SocketTimeoutException filled) {
        // the next SYN is dropped too
      }
      BambooClient client =
          track(
              BambooClient.create(
                  URI.create("http://127.0.0.1:" + full.getLocalPort()),
                  secret,
                  Optional.of(BambooSettings.NO_PROXY),
                  Optional.empty(),
                  Duration.ofMillis(800)));

      long started = System.nanoTime();
      BambooException e = catchBamboo(client::info);

      assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
      assertThat(e.getMessage()).contains("failed: timed out connecting (");
      assertThat(since(started)).isLessThan(ms(1500));
    } finally {
      for (Socket s : queued) {
        s.close();
      }
    }
  }

  @Test
  void aStalledTlsHandshakeIsATimeoutWaitingAndIsClosedAtTheDeadline() throws Exception {
    RawServer silent = RawServer.tcp((in, out) -> awaitClose(in)); // accepts, never says hello
    open.add(silent);
    BambooClient client =
        BambooClient.create(
            URI.create("https://127.0.0.1:" + silent.port()),
            secret,
            Optional.of(BambooSettings.NO_PROXY),
            Optional.of(certs.resolve("master.pem")),
            Duration.ofMillis(800));
    open.add(client);

    long started = System.nanoTime();
    BambooException e = catchBamboo(client::info);

    assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
    assertThat(e.getMessage())
        .contains("timed out waiting"); // connected; as with the JDK HttpClient
    assertThat(silent.closedAfter(started)).isLessThan(ms(1500));
  }

  @Test
  void anInterruptEndsTheWaitAtOnceAndClosesTheConnection() throws Exception {
    RawServer server = server(false, (request, in, out) -> awaitClose(in));
    BambooClient client = client(server, GENEROUS);
    AtomicReference<BambooException> failure = new AtomicReference<>();
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread caller =
        new Thread(
            () -> {
              failure.set(catchBamboo(client::info));
              stillInterrupted.set(Thread.currentThread().isInterrupted());
            });

    caller.start();
    server.requested.await(5, TimeUnit.SECONDS);
    long interrupted = System.nanoTime();
    caller.interrupt();
    caller.join(GENEROUS.toMillis());

    assertThat(caller.isAlive()).isFalse();
    assertThat(since(interrupted)).isLessThan(ms(1000));
    assertThat(failure.get().kind()).isEqualTo(Kind.UNREACHABLE);
    assertThat(failure.get().getMessage()).contains("interrupted while waiting for the answer");
    assertThat(stillInterrupted).isTrue();
    assertThat(server.closedAfter(interrupted)).isLessThan(ms(1000));
  }

  // --- the answer's size ----------------------------------------------------------------------

  @Test
  void anEndlessBodyWithoutLengthIsRefusedWhileReading() throws Exception {
    AtomicLong sent = new AtomicLong();
    RawServer server =
        server(
            false,
            (request, in, out) -> {
              write(
                  out,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      + "Transfer-Encoding: chunked\r\n\r\n");
              byte[] chunk = new byte[64 << 10];
              java.util.Arrays.fill(chunk, (byte) 'x');
              String size = Integer.toHexString(chunk.length) + "\r\n";
              while (true) { // until the client hangs up
                out.write(size.getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                sent.addAndGet(chunk.length);
              }
            });

    long started = System.nanoTime();
    BambooException e = catchBamboo(() -> client(server, GENEROUS).status());

    assertThat(e.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(e.getMessage()).contains("larger than 1 MiB").contains("check bamboo-url");
    assertThat(since(started)).isLessThan(GENEROUS);
    assertThat(server.closedAfter(started)).as("the client hung up").isLessThan(GENEROUS);
    assertThat(sent.get()).isGreaterThan(BambooClient.MAX_ANSWER);
  }

  @Test
  void anErrorBodyIsReadAndSizeCheckedToo_butOnlyTheStatusDecides() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/info",
        Reply.json(503, "{\"message\":\"maintenance\"}"),
        Reply.json(500, "x".repeat(BambooClient.MAX_ANSWER + 1)));
    BambooClient client = client(master);

    BambooException small = catchBamboo(client::info);
    BambooException huge = catchBamboo(client::info);

    assertThat(small.kind()).isEqualTo(Kind.SERVER_ERROR);
    assertThat(small.status()).isEqualTo(503);
    assertThat(small.getMessage()).doesNotContain("maintenance");
    assertThat(huge.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(huge.getMessage()).contains("larger than 1 MiB");
  }

  // --- never sent twice, never followed, never pooled ---------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"PUT approve", "PUT enable", "POST capability", "DELETE agent"})
  void aRequestThatChangesSomethingIsSentOnceEvenWhenItsAnswerIsLost(String what) throws Exception {
    RawServer server = server(false, (request, in, out) -> {}); // reads it, hangs up
    BambooClient client = client(server, GENEROUS);

    BambooException e =
        catchBamboo(
            () -> {
              switch (what) {
                case "PUT approve" -> client.approve("9f1c-1");
                case "PUT enable" -> client.enable(7);
                case "POST capability" -> client.addCapability(7, "k", "v");
                default -> client.deleteAgent(7);
              }
            });

    assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE);
    assertThat(e.getMessage()).contains("no answer");
    assertThat(server.requestLines()).hasSize(1);
    assertThat(server.requestLines().get(0)).startsWith(what.substring(0, what.indexOf(' ')));
  }

  @Test
  void aGetWhoseAnswerIsLostIsSentAtMostTwice() throws Exception {
    RawServer server = server(false, (request, in, out) -> {});
    BambooClient client = client(server, GENEROUS);

    BambooException e = catchBamboo(client::info);

    assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE);
    assertThat(server.requestLines()).hasSizeBetween(1, 2).allMatch(l -> l.startsWith("GET "));
  }

  @Test
  void bodilessAnswersLeaveNoConnectionForTheNextCall() throws Exception {
    // The JDK server closes after "Connection: close" without saying so, and the JDK client pools
    // a connection after a 204 before disconnect() can close it; a pooled one must not be reused.
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/authentication/u-1", Reply.empty(204));
    master.on("DELETE", API + "/agent/7/capability/k", Reply.empty(204));
    master.on("PUT", API + "/agent/7/enable", Reply.json(200, AGENT));
    BambooClient client = client(master);

    for (int i = 0; i < 5; i++) {
      client.approve("u-1");
      client.deleteCapability(7, "k");
      client.enable(7);
    }

    assertThat(master.requests()).hasSize(15);
    assertThat(master.requests()).allMatch(r -> "close".equals(r.header("Connection")));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GET", "PUT"})
  void aRedirectIsNamedAndNeverFollowed(String method) throws Exception {
    ScriptedMaster master = master();
    String login = "/bamboo/userlogin!doDefault.action";
    String target = method.equals("GET") ? API + "/info" : API + "/agent/7/enable";
    master.on(
        method,
        target,
        new Reply(301, "", Map.of("Location", master.url(login).toString()), Duration.ZERO));
    BambooClient client = client(master);

    BambooException e = catchBamboo(() -> run(method, client));

    assertThat(e.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(e.status()).isEqualTo(301);
    assertThat(e.getMessage()).contains("(301 to " + master.url(login) + ")");
    assertThat(master.hits(login)).isZero();
    assertThat(master.requests()).hasSize(1);
  }

  // --- tokens and what the JVM must not add -------------------------------------------------

  @Test
  void aPutAnswered401RereadsTheTokenAndIsSentOnceMore() throws Exception {
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/7/enable", Reply.empty(401), Reply.json(200, AGENT));
    List<String> values = List.of("old-token", "new-token");
    Secret rotating =
        new Secret("ssm:/ci/bamboo/token", () -> values.get(secretReads.getAndIncrement()));
    BambooClient client =
        track(
            BambooClient.create(
                master.url("/bamboo"),
                rotating,
                Optional.of(BambooSettings.NO_PROXY),
                Optional.empty(),
                GENEROUS));

    assertThat(client.enable(7).enabled()).isTrue();

    assertThat(master.requests())
        .extracting(r -> r.header("Authorization"))
        .containsExactly("Bearer old-token", "Bearer new-token");
    assertThat(master.requests()).allMatch(r -> "0".equals(r.header("Content-Length")));
  }

  @Test
  void aJvmWideAuthenticatorIsNeverAsked() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/info",
        new Reply(
            401,
            "",
            Map.of("WWW-Authenticate", "Basic realm=\"Atlassian Bamboo\""),
            Duration.ZERO));
    AtomicInteger asked = new AtomicInteger();
    Authenticator.setDefault(
        new Authenticator() {
          @Override
          protected PasswordAuthentication getPasswordAuthentication() {
            asked.incrementAndGet();
            return new PasswordAuthentication("admin", "hunter2".toCharArray());
          }
        });
    try {
      BambooException e = catchBamboo(() -> client(master).info());

      assertThat(e.kind()).isEqualTo(Kind.UNAUTHORIZED);
    } finally {
      Authenticator.setDefault(null);
    }
    assertThat(asked).hasValue(0);
    assertThat(master.requests())
        .extracting(r -> r.header("Authorization"))
        .containsExactly("Bearer " + TOKEN, "Bearer " + TOKEN);
  }

  @Test
  void aJvmWideHostnameVerifierCannotAcceptTheWrongName() throws Exception {
    ScriptedMaster master =
        ScriptedMaster.https(
            TestKeyStores.serverContext(certs.resolve("other.p12"), TestKeyStores.PASSWORD));
    open.add(master);
    HostnameVerifier before = HttpsURLConnection.getDefaultHostnameVerifier();
    HttpsURLConnection.setDefaultHostnameVerifier((host, session) -> true);
    BambooException e;
    try {
      e =
          catchBamboo(
              () ->
                  track(
                          BambooClient.create(
                              master.url("/bamboo"),
                              secret,
                              Optional.of(BambooSettings.NO_PROXY),
                              Optional.of(certs.resolve("other.pem")),
                              GENEROUS))
                      .info());
    } finally {
      HttpsURLConnection.setDefaultHostnameVerifier(before);
    }

    assertThat(e.kind()).isEqualTo(Kind.TLS);
    assertThat(e.getMessage()).containsIgnoringCase("subject alternative");
    assertThat(master.requests()).isEmpty();
  }

  @Test
  void aMasterNamedByHostNameIsCheckedAgainstThatName() throws Exception {
    Path store =
        TestKeyStores.selfSigned(certs.resolve("localhost.p12"), "localhost", "dns:localhost");
    TestKeyStores.writePem(store, TestKeyStores.PASSWORD, certs.resolve("localhost.pem"));
    RawServer server =
        RawServer.http(
            TestKeyStores.serverContext(store, TestKeyStores.PASSWORD),
            (request, in, out) -> answer(out, 200, "{\"version\":\"9.6.2\"}"));
    open.add(server);
    URI byName = URI.create("https://localhost:" + server.port() + "/bamboo");
    URI byAddress = URI.create("https://127.0.0.1:" + server.port() + "/bamboo");
    Optional<Path> trust = Optional.of(certs.resolve("localhost.pem"));

    BambooClient named =
        track(
            BambooClient.create(
                byName, secret, Optional.of(BambooSettings.NO_PROXY), trust, GENEROUS));
    BambooClient numbered =
        track(
            BambooClient.create(
                byAddress, secret, Optional.of(BambooSettings.NO_PROXY), trust, GENEROUS));

    assertThat(named.info().version()).isEqualTo("9.6.2");
    BambooException e = catchBamboo(numbered::info);
    assertThat(e.kind()).isEqualTo(Kind.TLS);
    assertThat(e.getMessage()).containsIgnoringCase("subject alternative");
    assertThat(server.requestLines()).containsExactly("GET /bamboo/rest/api/latest/info HTTP/1.1");
  }

  @Test
  void tlsSocketsKeepTheServerNameAddHostCheckingAndAreTracked() throws Exception {
    List<Socket> tracked = new ArrayList<>();
    MasterExchange.Sockets sockets =
        new MasterExchange.Sockets(SSLContext.getDefault().getSocketFactory(), tracked::add);
    try (ServerSocket listener = new ServerSocket(0, 1, LOOPBACK);
        Socket plain = new Socket(LOOPBACK, listener.getLocalPort());
        SSLSocket tls =
            (SSLSocket)
                sockets.createSocket(plain, "bamboo.example.test", listener.getLocalPort(), true)) {
      SSLParameters parameters = tls.getSSLParameters();

      assertThat(parameters.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
      assertThat(parameters.getServerNames())
          .containsExactly(new SNIHostName("bamboo.example.test"));
      assertThat(tracked).containsExactly(plain);
    }
    assertThatThrownBy(sockets::createSocket)
        .as("the JDK must layer TLS over a plain socket it connected")
        .isInstanceOf(java.net.SocketException.class);
  }

  // --- proxies --------------------------------------------------------------------------------

  @Test
  void withoutAProxySettingTheJvmDefaultSelectorIsAskedForEachRequest() throws Exception {
    ScriptedMaster master = master();
    master.on("GET", API + "/agent/remote", Reply.json(200, "[" + AGENT + "]"));
    FakeHttpProxy proxy = FakeHttpProxy.start();
    open.add(proxy);
    List<URI> asked = new CopyOnWriteArrayList<>();
    Proxy viaFake =
        new Proxy(Proxy.Type.HTTP, new InetSocketAddress(LOOPBACK, proxy.endpoint().getPort()));
    ProxySelector before = ProxySelector.getDefault();
    ProxySelector.setDefault(
        new ProxySelector() {
          @Override
          public List<Proxy> select(URI uri) {
            asked.add(uri);
            return List.of(viaFake);
          }

          @Override
          public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
        });
    try {
      BambooClient client =
          track(
              BambooClient.create(
                  master.url("/bamboo"), secret, Optional.empty(), Optional.empty(), GENEROUS));
      assertThat(client.remoteAgents(false)).hasSize(1);
      assertThat(client.remoteAgents(false)).hasSize(1);
    } finally {
      ProxySelector.setDefault(before);
    }

    assertThat(asked).hasSize(2).allMatch(u -> u.getPort() == master.url("/").getPort());
    assertThat(proxy.requests()).hasSize(2);
    assertThat(master.requests()).allMatch(r -> "1.1 fake-http-proxy".equals(r.header("Via")));
  }

  @Test
  void httpsGoesThroughTheProxyInATunnelWithTheMastersTrust() throws Exception {
    ScriptedMaster master = ScriptedMaster.https(masterTls);
    open.add(master);
    master.on("GET", API + "/info", Reply.json(200, "{\"version\":\"9.6.2\"}"));
    TunnelProxy tunnel = new TunnelProxy();
    open.add(tunnel);

    BambooClient client =
        track(
            BambooClient.create(
                master.url("/bamboo"),
                secret,
                Optional.of(tunnel.endpoint()),
                Optional.of(certs.resolve("master.pem")),
                GENEROUS));

    assertThat(client.info().version()).isEqualTo("9.6.2");
    assertThat(tunnel.targets).containsExactly("127.0.0.1:" + master.url("/").getPort());
    assertThat(master.last().header("Authorization")).isEqualTo("Bearer " + TOKEN);
  }

  // --- helpers ------------------------------------------------------------------------------

  static void run(String method, BambooClient client) throws BambooException {
    if (method.equals("GET")) {
      client.info();
    } else {
      client.enable(7);
    }
  }

  ScriptedMaster master() {
    ScriptedMaster master = ScriptedMaster.http();
    open.add(master);
    return master;
  }

  BambooClient client(ScriptedMaster master) {
    return track(
        BambooClient.create(
            master.url("/bamboo"),
            secret,
            Optional.of(BambooSettings.NO_PROXY),
            Optional.empty(),
            GENEROUS));
  }

  BambooClient client(RawServer server, Duration timeout) {
    return track(
        BambooClient.create(
            server.url(),
            secret,
            Optional.of(BambooSettings.NO_PROXY),
            server.https ? Optional.of(certs.resolve("master.pem")) : Optional.empty(),
            timeout));
  }

  BambooClient track(BambooClient client) {
    open.add(client);
    return client;
  }

  RawServer server(boolean https, Script script) throws IOException {
    RawServer server = RawServer.http(https ? masterTls : null, script);
    open.add(server);
    return server;
  }

  static Duration since(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  static String head(int status, long contentLength) {
    return "HTTP/1.1 "
        + status
        + " X\r\nContent-Type: application/json\r\nContent-Length: "
        + contentLength
        + "\r\n\r\n";
  }

  static void answer(OutputStream out, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    write(out, head(status, body.length));
    out.write(body);
    out.flush();
  }

  static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Blocks until the client closes the connection (or the server is closed). */
  static void awaitClose(InputStream in) {
    try {
      while (in.read() >= 0) {
        // the client sends nothing more; wait for its end
      }
    } catch (IOException e) {
      // closed
    }
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What a raw server does once it has read a request's head and body. */
  interface Script {
    void serve(String requestHead, InputStream in, OutputStream out) throws IOException;
  }

  /**
   * An HTTP/1.1 server on 127.0.0.1 on raw sockets (TLS when given a context): it reads each
   * request's head and body, records the request line, then leaves the connection to a script; the
   * connection is closed when the script returns. Records when the first connection accepted ended
   * (for a script that waits for the client to hang up: when the client closed it).
   */
  static final class RawServer implements AutoCloseable {
    final boolean https;
    final ServerSocket listener;
    final List<String> lines = new CopyOnWriteArrayList<>();
    final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final CountDownLatch requested = new CountDownLatch(1);
    final AtomicLong closedNanos = new AtomicLong();
    final ExecutorService workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "raw-server");
              t.setDaemon(true);
              return t;
            });

    private RawServer(boolean https, ServerSocket listener) {
      this.https = https;
      this.listener = listener;
    }

    static RawServer http(SSLContext tls, Script script) throws IOException {
      ServerSocket listener =
          tls == null
              ? new ServerSocket(0, 16, LOOPBACK)
              : tls.getServerSocketFactory().createServerSocket(0, 16, LOOPBACK);
      return on(listener, script);
    }

    /** Serves HTTP on a listener of the caller's (TLS when it is an SSL server socket). */
    static RawServer on(ServerSocket listener, Script script) {
      RawServer server = new RawServer(listener instanceof SSLServerSocket, listener);
      server.workers.execute(() -> server.acceptLoop(script, null));
      return server;
    }

    /** No HTTP at all: the script gets the connection as accepted. */
    static RawServer tcp(TcpScript script) throws IOException {
      RawServer server = new RawServer(false, new ServerSocket(0, 16, LOOPBACK));
      server.workers.execute(() -> server.acceptLoop(null, script));
      return server;
    }

    interface TcpScript {
      void serve(InputStream in, OutputStream out) throws IOException;
    }

    int port() {
      return listener.getLocalPort();
    }

    URI url() {
      return URI.create((https ? "https" : "http") + "://127.0.0.1:" + port() + "/bamboo");
    }

    List<String> requestLines() {
      return List.copyOf(lines);
    }

    /** How long after {@code startedNanos} the first connection ended (a day: not within 5 s). */
    Duration closedAfter(long startedNanos) throws InterruptedException {
      for (int i = 0; i < 100 && closedNanos.get() == 0; i++) {
        Thread.sleep(50);
      }
      long closed = closedNanos.get();
      return closed == 0 ? Duration.ofDays(1) : Duration.ofNanos(closed - startedNanos);
    }

    private void acceptLoop(Script script, TcpScript tcp) {
      while (!listener.isClosed()) {
        try {
          Socket socket = listener.accept();
          boolean first = sockets.isEmpty();
          sockets.add(socket);
          workers.execute(() -> serve(socket, script, tcp, first));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket socket, Script script, TcpScript tcp, boolean first) {
      try (socket) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        if (tcp != null) {
          tcp.serve(in, out);
        } else {
          String head = readHead(in);
          if (head.isEmpty()) {
            return;
          }
          long length = contentLength(head);
          in.readNBytes((int) length);
          lines.add(head.substring(0, head.indexOf("\r\n")));
          requested.countDown();
          script.serve(head, in, out);
        }
      } catch (IOException e) {
        // the client hung up
      } finally {
        if (first) {
          closedNanos.set(System.nanoTime());
        }
      }
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      for (int b; matched < 4 && (b = in.read()) >= 0; ) {
        head.write(b);
        matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : 0;
      }
      return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static long contentLength(String head) {
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
        }
      }
      return 0;
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket s : sockets) {
        s.close();
      }
      workers.shutdownNow();
    }
  }

  /**
   * A proxy that only tunnels: {@code CONNECT 127.0.0.1:PORT} (loopback targets only, anything else
   * gets 403) answered 200, then bytes both ways. Records each target.
   */
  static final class TunnelProxy implements AutoCloseable {
    final ServerSocket listener = new ServerSocket(0, 16, LOOPBACK);
    final List<String> targets = new CopyOnWriteArrayList<>();
    final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final ExecutorService workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "tunnel-proxy");
              t.setDaemon(true);
              return t;
            });

    TunnelProxy() throws IOException {
      workers.execute(this::acceptLoop);
    }

    URI endpoint() {
      return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    private void acceptLoop() {
      while (!listener.isClosed()) {
        try {
          Socket client = listener.accept();
          sockets.add(client);
          workers.execute(() -> tunnel(client));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void tunnel(Socket client) {
      try {
        String head = RawServer.readHead(client.getInputStream());
        String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
        String target = line[1];
        targets.add(target);
        if (!line[0].equals("CONNECT") || !target.startsWith("127.0.0.1:")) {
          write(client.getOutputStream(), "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
          client.close();
          return;
        }
        Socket upstream =
            new Socket(LOOPBACK, Integer.parseInt(target.substring(target.indexOf(':') + 1)));
        sockets.add(upstream);
        write(client.getOutputStream(), "HTTP/1.1 200 Connection established\r\n\r\n");
        workers.execute(() -> pipe(upstream, client));
        pipe(client, upstream);
      } catch (IOException e) {
        // the tunnel ends
      }
    }

    private static void pipe(Socket from, Socket to) {
      try {
        from.getInputStream().transferTo(to.getOutputStream());
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          to.shutdownOutput();
        } catch (IOException e) {
          // already closed
        }
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket s : sockets) {
        s.close();
      }
      workers.shutdownNow();
    }
  }
}
