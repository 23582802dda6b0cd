package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.bamboo.BambooException.Kind;
import dev.hupd.bamboo.ScriptedMaster.Reply;
import dev.hupd.config.BambooSettings;
import dev.hupd.metadata.Json;
import dev.hupd.testing.FakeHttpProxy;
import dev.hupd.testing.LogCapture;
import dev.hupd.testing.TestKeyStores;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** The client's wire details against a scripted master on 127.0.0.1 (docs/bamboo.md §2, §3). */
class BambooClientTest {

  static final Duration BASE = Duration.ofMillis(300);
  static final Duration GENEROUS = BASE.multipliedBy(20);
  static final String TOKEN = "pat-NjQ2MzE5OTk0NTc2OkR1bW15VG9rZW4";
  static final String API = "/bamboo/rest/api/latest";
  static final String AGENT =
      "{\"id\":131073,\"name\":\"ip-10-0-1-23\",\"type\":\"REMOTE\",\"active\":true,"
          + "\"enabled\":true,\"busy\":false}";

  @TempDir static Path certs;

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
    MasterCertificates.write(certs);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  ScriptedMaster master() {
    ScriptedMaster master = ScriptedMaster.http();
    open.add(master);
    return master;
  }

  BambooClient client(ScriptedMaster master) {
    return client(master.url("/bamboo"), secret, Optional.of(BambooSettings.NO_PROXY), GENEROUS);
  }

  BambooClient client(URI url, Secret token, Optional<URI> proxy, Duration timeout) {
    BambooClient client = BambooClient.create(url, token, proxy, Optional.empty(), timeout);
    open.add(client);
    return client;
  }

  // --- URL, headers, paths and shapes ---------------------------------------------------------

  @Test
  void contextPathIsKeptAndTrailingSlashTolerated_readsInfoWithStringBuildNumber()
      throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/info",
        Reply.json(
            200,
            "{\"version\":\"9.6.2\",\"edition\":\"\","
                + "\"buildDate\":\"2024-05-01T10:00:00.000+00:00\","
                + "\"buildNumber\":\"90602\",\"state\":\"RUNNING\"}"));
    BambooClient client =
        client(master.url("/bamboo/"), secret, Optional.of(BambooSettings.NO_PROXY), GENEROUS);

    ServerInfo info = client.info();

    assertThat(info).isEqualTo(new ServerInfo("9.6.2", "90602", "RUNNING"));
    assertThat(client.apiBase().getRawPath()).isEqualTo(API);
    ScriptedMaster.Request request = master.last();
    assertThat(request.target()).isEqualTo(API + "/info");
    assertThat(request.header("Accept")).isEqualTo("application/json");
    assertThat(request.header("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(request.header("Content-Type")).isNull();
  }

  @Test
  void statusIsAnonymousAndUnknownStatesAreUnknown() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/status",
        Reply.json(200, "{\"state\":\"PAUSED\"}"),
        Reply.json(200, "{\"state\":\"MIGRATING\"}"));
    BambooClient client = client(master);

    assertThat(client.status()).isEqualTo(ServerState.PAUSED);
    assertThat(client.status()).isEqualTo(ServerState.UNKNOWN);
    assertThat(master.last().header("Authorization")).isNull();
    assertThat(secretReads).hasValue(0);
  }

  @Test
  void agentReadsGeneralAndIgnoresExpandedParts() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/agent/131073",
        Reply.json(
            200,
            "{\"general\":{\"id\":131073,\"name\":\"ip-10-0-1-23\",\"type\":\"REMOTE\","
                + "\"active\":true,\"enabled\":false,\"busy\":true,\"description\":\"x\"},"
                + "\"capabilities\":[{\"key\":\"system.docker.executable\",\"value\":\"/d\"}],"
                + "\"link\":{\"href\":\"h\",\"rel\":\"self\"},\"expand\":\"capabilities\"}"));

    Optional<RemoteAgent> agent = client(master).agent(131073);

    assertThat(agent)
        .contains(new RemoteAgent(131073, "ip-10-0-1-23", "REMOTE", true, false, true));
  }

  @Test
  void remoteAgentsAsksForOnlineOnlyWhenTold() throws Exception {
    ScriptedMaster master = master();
    String two =
        "["
            + AGENT
            + ",{\"id\":5,\"name\":\"b\",\"type\":\"REMOTE\",\"active\":false,"
            + "\"enabled\":true,\"busy\":false}]";
    master.on("GET", API + "/agent/remote?online=true", Reply.json(200, "[" + AGENT + "]"));
    master.on("GET", API + "/agent/remote", Reply.json(200, two));
    BambooClient client = client(master);

    assertThat(client.remoteAgents(true)).extracting(RemoteAgent::id).containsExactly(131073L);
    assertThat(client.remoteAgents(false))
        .extracting(RemoteAgent::name)
        .containsExactly("ip-10-0-1-23", "b");
  }

  @Test
  void authenticationsReadsTheArrayAndAsksForPendingOnlyWhenTold() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/agent/authentication?pending=true",
        Reply.json(
            200,
            "[{\"uuid\":\"9f1c-1\",\"ip\":\"10.17.4.59\",\"approved\":false,"
                + "\"ipPatterns\":[\"10.17.4.59\"]}]"));
    master.on("GET", API + "/agent/authentication", Reply.json(200, "[]"));
    BambooClient client = client(master);

    assertThat(client.authentications(true))
        .containsExactly(new AgentAuthentication("9f1c-1", "10.17.4.59", false));
    assertThat(client.authentications(false)).isEmpty();
  }

  @ParameterizedTest(name = "answered {0}")
  @ValueSource(ints = {204, 200})
  void approvePutsTheUuidWithJsonContentType(int status) throws Exception {
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/authentication/9f1c-1", Reply.empty(status));

    client(master).approve("9f1c-1");

    ScriptedMaster.Request request = master.last();
    assertThat(request.method()).isEqualTo("PUT");
    assertThat(request.header("Content-Type")).isEqualTo("application/json");
    assertThat(request.header("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(request.body()).isEmpty();
  }

  @Test
  void enableReadsTheAgentFromTheReply() throws Exception {
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/131073/enable", Reply.json(200, AGENT));

    RemoteAgent agent = client(master).enable(131073);

    assertThat(agent.enabled()).isTrue();
    assertThat(master.requests()).hasSize(1);
  }

  @Test
  void disableWithAnEmptyReplyReReadsTheAgent() throws Exception {
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/131073/disable", Reply.empty(204));
    master.on(
        "GET",
        API + "/agent/131073",
        Reply.json(
            200, "{\"general\":" + AGENT.replace("\"enabled\":true", "\"enabled\":false") + "}"));

    RemoteAgent agent = client(master).disable(131073);

    assertThat(agent.enabled()).isFalse();
    assertThat(master.requests())
        .extracting(r -> r.method() + " " + r.target())
        .containsExactly("PUT " + API + "/agent/131073/disable", "GET " + API + "/agent/131073");
  }

  @Test
  void capabilitiesExcludeSharedOnesAndSourceIsOptional() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/agent/7/capability?includeShared=false",
        Reply.json(
            200,
            "[{\"key\":\"system.jdk.JDK 17\",\"value\":\"/usr/lib/jvm/java-17\"},"
                + "{\"key\":\"os\",\"value\":\"linux\",\"source\":\"CUSTOM\",\"extra\":1}]"));

    List<Capability> capabilities = client(master).capabilities(7);

    assertThat(capabilities)
        .containsExactly(
            new Capability("system.jdk.JDK 17", "/usr/lib/jvm/java-17", null),
            new Capability("os", "linux", "CUSTOM"));
  }

  @Test
  void addCapabilityPostsKeyAndValue() throws Exception {
    ScriptedMaster master = master();
    master.on("POST", API + "/agent/7/capability", Reply.empty(201));

    client(master).addCapability(7, "hupd.toolchain.jdk", "reg/jdk@sha256:ab");

    ScriptedMaster.Request request = master.last();
    assertThat(request.header("Content-Type")).isEqualTo("application/json");
    assertThat(json(request.body()))
        .isEqualTo(json("{\"key\":\"hupd.toolchain.jdk\",\"value\":\"reg/jdk@sha256:ab\"}"));
  }

  @Test
  void updateAndDeleteCapabilityPercentEncodeTheKeyAsOneSegment() throws Exception {
    ScriptedMaster master = master();
    String path = API + "/agent/7/capability/system.jdk.JDK%2017";
    master.on("PUT", path, Reply.json(200, "{\"key\":\"system.jdk.JDK 17\",\"value\":\"/j\"}"));
    master.on("DELETE", path, Reply.empty(204));
    BambooClient client = client(master);

    client.updateCapability(7, "system.jdk.JDK 17", "/opt/jdk-17.0.10");
    client.deleteCapability(7, "system.jdk.JDK 17");

    List<ScriptedMaster.Request> requests = master.requests();
    assertThat(requests)
        .extracting(r -> r.method() + " " + r.target())
        .containsExactly("PUT " + path, "DELETE " + path);
    assertThat(json(requests.get(0).body()))
        .isEqualTo(json("{\"key\":\"system.jdk.JDK 17\",\"value\":\"/opt/jdk-17.0.10\"}"));
  }

  @Test
  void deleteAgentDeletesTheRecord() throws Exception {
    ScriptedMaster master = master();
    master.on("DELETE", API + "/agent/7", Reply.empty(204));

    client(master).deleteAgent(7);

    assertThat(master.last().method()).isEqualTo("DELETE");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "system.jdk.JDK 17|system.jdk.JDK%2017",
        "system.builder.mvn3.Maven 3.9|system.builder.mvn3.Maven%203.9",
        "a/b|a%2Fb",
        "x+y%z|x%2By%25z",
        "ü~_-|%C3%BC~_-"
      })
  void pathSegmentEncodesAllButUnreserved(String key, String encoded) {
    assertThat(BambooClient.pathSegment(key)).isEqualTo(encoded);
  }

  // --- status codes -------------------------------------------------------------------------

  @Test
  void unauthorizedOnceRereadsTheTokenAndRetriesOnce() throws Exception {
    ScriptedMaster master = master();
    master.on("GET", API + "/info", Reply.empty(401), Reply.json(200, "{\"version\":\"10.0.0\"}"));
    List<String> values = List.of("old-token", "new-token");
    Secret rotating =
        new Secret("ssm:/ci/bamboo/token", () -> values.get(secretReads.getAndIncrement()));
    BambooClient client =
        client(master.url("/bamboo"), rotating, Optional.of(BambooSettings.NO_PROXY), GENEROUS);

    assertThat(client.info().version()).isEqualTo("10.0.0");

    assertThat(secretReads).hasValue(2);
    assertThat(master.requests())
        .extracting(r -> r.header("Authorization"))
        .containsExactly("Bearer old-token", "Bearer new-token");
  }

  @Test
  void unauthorizedTwiceIsUnauthorizedNamingTheSecretNotItsValue() {
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/7/enable", Reply.empty(401));
    BambooClient client = client(master);

    BambooException e = catchBamboo(() -> client.enable(7));

    assertThat(e.kind()).isEqualTo(Kind.UNAUTHORIZED);
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.method()).isEqualTo("PUT");
    assertThat(e.path()).isEqualTo("/agent/7/enable");
    assertThat(e.getMessage()).contains("file:/etc/hupd/bamboo.token").doesNotContain(TOKEN);
    assertThat(secretReads).hasValue(2);
    assertThat(master.requests()).hasSize(2);
  }

  @Test
  void forbiddenSaysTheUserNeedsGlobalAdmin() {
    ScriptedMaster master = master();
    master.on("PUT", API + "/agent/7/disable", Reply.empty(403));

    BambooException e = catchBamboo(() -> client(master).disable(7));

    assertThat(e.kind()).isEqualTo(Kind.FORBIDDEN);
    assertThat(e.getMessage()).contains("needs Bamboo global admin permission");
    assertThat(master.requests()).hasSize(1);
  }

  @Test
  void notFoundIsAnEmptyAgentButAnErrorForEnable() throws Exception {
    ScriptedMaster master = master();
    BambooClient client = client(master);

    assertThat(client.agent(99)).isEmpty();
    BambooException e = catchBamboo(() -> client.enable(99));
    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(e.status()).isEqualTo(404);
  }

  @ParameterizedTest(name = "HTTP {0}")
  @ValueSource(ints = {500, 502, 503})
  void serverErrorsAreServerError(int status) {
    ScriptedMaster master = master();
    master.on("GET", API + "/agent/remote", Reply.json(status, "{\"message\":\"boom\"}"));

    BambooException e = catchBamboo(() -> client(master).remoteAgents(false));

    assertThat(e.kind()).isEqualTo(Kind.SERVER_ERROR);
    assertThat(e.status()).isEqualTo(status);
    assertThat(master.requests()).hasSize(1);
  }

  @Test
  void otherClientErrorsAreProtocolWithTheStatus() {
    ScriptedMaster master = master();
    master.on("POST", API + "/agent/7/capability", Reply.empty(400));

    BambooException e = catchBamboo(() -> client(master).addCapability(7, "k", "v"));

    assertThat(e.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(e.status()).isEqualTo(400);
  }

  @Test
  void redirectIsProtocolAndNotFollowed() {
    ScriptedMaster master = master();
    String login = "/bamboo/userlogin!doDefault.action";
    master.on(
        "GET",
        API + "/info",
        new Reply(
            302, "", java.util.Map.of("Location", master.url(login).toString()), Duration.ZERO));
    master.on("GET", login, Reply.json(200, "{\"version\":\"9.6.2\"}"));

    BambooException e = catchBamboo(() -> client(master).info());

    assertThat(e.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(e.status()).isEqualTo(302);
    assertThat(e.getMessage()).contains("check bamboo-url");
    assertThat(master.hits(login)).isZero();
  }

  @Test
  void slowAnswerIsTimeout() {
    ScriptedMaster master = master();
    master.on("GET", API + "/info", Reply.json(200, "{}").delayed(GENEROUS));
    BambooClient client =
        client(master.url("/bamboo"), secret, Optional.of(BambooSettings.NO_PROXY), BASE);

    long started = System.nanoTime();
    BambooException e = catchBamboo(client::info);

    assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
    assertThat(e.status()).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(GENEROUS);
  }

  @Test
  void nothingListeningIsUnreachable() throws IOException {
    int port;
    try (ServerSocket s =
        new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
      port = s.getLocalPort();
    }
    BambooClient client =
        client(
            URI.create("http://127.0.0.1:" + port),
            secret,
            Optional.of(BambooSettings.NO_PROXY),
            GENEROUS);

    BambooException e = catchBamboo(() -> client.agent(1));

    assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE);
    assertThat(e.status()).isZero();
    assertThat(e.path()).isEqualTo("/agent/1");
  }

  @ParameterizedTest(name = "body #{index}")
  @ValueSource(
      strings = {
        "{\"general\":",
        "<html><body>Log in</body></html>",
        "{\"general\":{\"id\":\"x\",\"name\":\"n\"}}",
        "[]",
        ""
      })
  void unusableBodyIsProtocol(String body) {
    ScriptedMaster master = master();
    master.on("GET", API + "/agent/7", new Reply(200, body, java.util.Map.of(), Duration.ZERO));

    BambooException e = catchBamboo(() -> client(master).agent(7));

    assertThat(e.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(e.status()).isEqualTo(200);
  }

  @Test
  void unreadableSecretIsSecretAndNothingIsSent() {
    ScriptedMaster master = master();
    Secret broken =
        new Secret(
            "file:/etc/hupd/missing.token",
            () -> {
              throw new SecretException("file:/etc/hupd/missing.token does not exist");
            });
    BambooClient client =
        client(master.url("/bamboo"), broken, Optional.of(BambooSettings.NO_PROXY), GENEROUS);

    BambooException e = catchBamboo(client::info);

    assertThat(e.kind()).isEqualTo(Kind.SECRET);
    assertThat(e.getMessage()).contains("missing.token");
    assertThat(master.requests()).isEmpty();
  }

  @Test
  void closedClientRefusesCalls() {
    ScriptedMaster master = master();
    BambooClient client = client(master);
    client.close();

    assertThatThrownBy(client::status).isInstanceOf(IllegalStateException.class);
  }

  // --- construction -------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "http://bamboo.example.com",
        "http://bamboo.example.com:8085/bamboo",
        "http://10.0.0.5:8085",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "https://user:pw@bamboo.example.com",
        "bamboo.example.com"
      })
  void unsafeOrMalformedUrlIsRefusedAtConstruction(String url) {
    assertThatThrownBy(
            () ->
                BambooClient.create(
                    URI.create(url), secret, Optional.empty(), Optional.empty(), GENEROUS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bamboo-url")
        .message()
        .doesNotContain("pw");
    assertThat(secretReads).hasValue(0);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "localhost, true",
    "127.0.0.1, true",
    "127.1.2.3, true",
    "[::1], true",
    "::1, true",
    "10.0.0.1, false",
    "localhost.example.com, false",
    "bamboo.invalid, false",
    "[fe80::1], false"
  })
  void loopbackIsDecidedFromTheLiteral(String host, boolean loopback) {
    assertThat(BambooClient.isLoopbackLiteral(host)).isEqualTo(loopback);
  }

  @Test
  void httpsAndLoopbackHttpAreAcceptedWithoutContactingAnything() {
    BambooClient remote =
        client(URI.create("https://bamboo.invalid:8443/ci/"), secret, Optional.empty(), GENEROUS);
    BambooClient v6 = client(URI.create("http://[::1]:8085"), secret, Optional.empty(), GENEROUS);

    assertThat(remote.apiBase()).hasToString("https://bamboo.invalid:8443/ci/rest/api/latest");
    assertThat(v6.apiBase()).hasToString("http://[::1]:8085/rest/api/latest");
  }

  @Test
  void proxyWithCredentialsOrOtherSchemeIsRefused() {
    for (String proxy : List.of("http://u:secret@127.0.0.1:3128", "socks5://127.0.0.1:1080")) {
      assertThatThrownBy(
              () ->
                  BambooClient.create(
                      URI.create("https://bamboo.invalid"),
                      secret,
                      Optional.of(URI.create(proxy)),
                      Optional.empty(),
                      GENEROUS))
          .isInstanceOf(IllegalArgumentException.class)
          .message()
          .doesNotContain("secret");
    }
  }

  @Test
  void caFileWithoutCertificatesIsRefused() throws IOException {
    Path empty = Files.writeString(certs.resolve("empty.pem"), "not a certificate\n");

    assertThatThrownBy(
            () ->
                BambooClient.create(
                    URI.create("https://bamboo.invalid"),
                    secret,
                    Optional.empty(),
                    Optional.of(empty),
                    GENEROUS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bamboo-ca-file")
        .hasMessageContaining("empty.pem");
  }

  // --- TLS ----------------------------------------------------------------------------------

  @Test
  void selfSignedMasterIsTlsFailureWithoutCaFile() throws Exception {
    ScriptedMaster master = httpsMaster("master.p12");

    BambooException e = catchBamboo(() -> httpsClient(master, Optional.empty()).info());

    assertThat(e.kind()).isEqualTo(Kind.TLS);
    assertThat(e.getMessage()).contains("bamboo-ca-file");
    assertThat(master.requests()).isEmpty();
  }

  @Test
  void selfSignedMasterIsTrustedWithItsCertificateAsCaFile() throws Exception {
    ScriptedMaster master = httpsMaster("master.p12");
    master.on("GET", API + "/info", Reply.json(200, "{\"version\":\"9.6.2\"}"));

    ServerInfo info = httpsClient(master, Optional.of(certs.resolve("master.pem"))).info();

    assertThat(info.version()).isEqualTo("9.6.2");
    assertThat(master.last().header("Authorization")).isEqualTo("Bearer " + TOKEN);
  }

  @Test
  void trustedCertificateForAnotherNameIsStillRefused() throws Exception {
    ScriptedMaster master = httpsMaster("other.p12");

    BambooException e =
        catchBamboo(() -> httpsClient(master, Optional.of(certs.resolve("other.pem"))).info());

    assertThat(e.kind()).isEqualTo(Kind.TLS);
    assertThat(e.getMessage()).containsIgnoringCase("subject alternative");
    assertThat(master.requests()).isEmpty();
  }

  // --- proxy --------------------------------------------------------------------------------

  @Test
  void requestsGoThroughTheGivenProxyAndNotWithNoProxy() throws Exception {
    ScriptedMaster master = master();
    master.on("GET", API + "/agent/remote?online=true", Reply.json(200, "[" + AGENT + "]"));
    FakeHttpProxy proxy = FakeHttpProxy.start();
    open.add(proxy);

    BambooClient proxied =
        client(master.url("/bamboo"), secret, Optional.of(proxy.endpoint()), GENEROUS);
    assertThat(proxied.remoteAgents(true)).hasSize(1);
    BambooClient direct = client(master);
    assertThat(direct.remoteAgents(true)).hasSize(1);

    assertThat(proxy.requests()).hasSize(1);
    assertThat(proxy.requests().get(0).uri())
        .isEqualTo(master.url(API + "/agent/remote?online=true"));
    assertThat(proxy.requests().get(0).status()).isEqualTo(200);
    assertThat(master.requests()).hasSize(2);
    assertThat(master.requests().get(0).header("Via")).isEqualTo("1.1 fake-http-proxy");
    assertThat(master.requests().get(1).header("Via")).isNull();
  }

  // --- logging ------------------------------------------------------------------------------

  @Test
  void requestsAreLoggedAtDebugWithoutTheToken() throws Exception {
    ScriptedMaster master = master();
    master.on("GET", API + "/info", Reply.empty(401));
    master.on("PUT", API + "/agent/7/enable", Reply.json(200, AGENT));
    master.on("GET", API + "/agent/remote", Reply.empty(403));
    Logger logger = (Logger) LoggerFactory.getLogger(BambooClient.class);
    Level before = logger.getLevel();
    logger.setLevel(Level.DEBUG);

    List<String> messages = new ArrayList<>();
    String logged;
    try (LogCapture logs = new LogCapture()) {
      BambooClient client = client(master);
      client.enable(7);
      messages.add(catchBamboo(client::info).getMessage());
      messages.add(catchBamboo(() -> client.remoteAgents(false)).getMessage());
      logged = logs.all();
    } finally {
      logger.setLevel(before);
    }

    assertThat(logged)
        .contains("event=bamboo.request method=PUT path=/agent/7/enable status=200 ms=")
        .contains("event=bamboo.request method=GET path=/info status=401 ms=")
        .doesNotContain(TOKEN);
    assertThat(logged.lines().filter(l -> l.contains("event=bamboo.request"))).hasSize(4);
    assertThat(String.join("\n", messages)).doesNotContain(TOKEN);
  }

  // --- ServerInfo, ServerState --------------------------------------------------------------

  @ParameterizedTest(name = "{0} >= {1}.{2} is {3}")
  @CsvSource({
    "9.6.2, 9, 6, true",
    "9.6.2, 9, 7, false",
    "9.6.2, 8, 9, true",
    "10.0.0-m123, 9, 6, true",
    "10.0.0-m123, 10, 0, true",
    "10.0.0-m123, 10, 1, false",
    "7.1, 7, 1, true",
    "10, 10, 0, true",
    "'', 7, 1, false",
    "unknown, 7, 1, false"
  })
  void atLeastComparesMajorAndMinor(String version, int major, int minor, boolean expected) {
    assertThat(new ServerInfo(version, "", "RUNNING").atLeast(major, minor)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "RUNNING, RUNNING",
    "paused, PAUSED",
    "READY_FOR_RESTART, READY_FOR_RESTART",
    "MAINTENANCE, UNKNOWN",
    "UNKNOWN, UNKNOWN",
    "'', UNKNOWN"
  })
  void serverStateParses(String text, ServerState expected) {
    assertThat(ServerState.parse(text)).isEqualTo(expected);
  }

  // --- helpers ------------------------------------------------------------------------------

  interface Call {
    void run() throws BambooException;
  }

  static BambooException catchBamboo(Call call) {
    try {
      call.run();
    } catch (BambooException e) {
      return e;
    }
    throw new AssertionError("expected a BambooException");
  }

  static JsonNode json(String text) {
    return Json.parse(text);
  }

  ScriptedMaster httpsMaster(String keystore) throws Exception {
    ScriptedMaster master =
        ScriptedMaster.https(
            TestKeyStores.serverContext(certs.resolve(keystore), TestKeyStores.PASSWORD));
    open.add(master);
    return master;
  }

  BambooClient httpsClient(ScriptedMaster master, Optional<Path> caFile) {
    BambooClient client =
        BambooClient.create(
            master.url("/bamboo"), secret, Optional.of(BambooSettings.NO_PROXY), caFile, GENEROUS);
    open.add(client);
    return client;
  }

  @Test
  void aServerEchoingTheTokenNeverGetsItIntoAMessage_andQuotedTextIsCut() throws Exception {
    ScriptedMaster master = master();
    master.on(
        "GET",
        API + "/info",
        Reply.json(200, "{\"headers\":{\"Authorization\":\"Bearer " + TOKEN + "\"}}"));
    master.on(
        "GET",
        API + "/agent/7",
        Reply.json(200, "{\"name\":\"" + "n".repeat(5000) + "\",\"echo\":\"" + TOKEN + "\"}"));
    BambooClient client = client(master);

    BambooException info =
        org.junit.jupiter.api.Assertions.assertThrows(BambooException.class, client::info);
    assertThat(info.getMessage()).doesNotContain(TOKEN).contains("Bearer ****");
    BambooException agent =
        org.junit.jupiter.api.Assertions.assertThrows(BambooException.class, () -> client.agent(7));
    assertThat(agent.getMessage())
        .doesNotContain(TOKEN)
        .contains("characters)")
        .hasSizeLessThan(BambooClient.MAX_QUOTED + 200);
  }

  @Test
  void anAnswerLargerThanTheLimitIsAProtocolErrorNotAnOutOfMemory() throws Exception {
    ScriptedMaster master = master();
    String huge = "{\"state\":\"" + "x".repeat(BambooClient.MAX_ANSWER) + "\"}";
    master.on("GET", API + "/status", Reply.json(200, huge));
    BambooException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            BambooException.class, () -> client(master).status());
    assertThat(e.kind()).isEqualTo(BambooException.Kind.PROTOCOL);
    assertThat(e.getMessage()).contains("larger than 1 MiB");
  }
}
