package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.testing.FakeBambooModel.Connect;
import dev.hupd.testing.FakeBambooModel.ServerState;
import java.io.IOException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link FakeBamboo} over the wire, driven by the JDK's {@link HttpClient}. */
class FakeBambooHttpTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String ADMIN = "Bearer " + FakeBambooModel.DEFAULT_TOKEN;
  private static final String JDK17 = "system.jdk.JDK 17";

  private final FakeBambooModel model = new FakeBambooModel();
  private final FakeBamboo fake = FakeBamboo.start(model, 0);
  private final HttpClient http = client(Optional.empty());

  @AfterEach
  void stop() {
    fake.close();
  }

  @Test
  void baseUrl_hasTheContextPath_andRestWithoutItIs404() throws Exception {
    HttpResponse<String> status = get("/rest/api/latest/status", null);
    HttpResponse<String> noContext =
        send(
            "GET",
            URI.create("http://127.0.0.1:" + fake.port() + "/rest/api/latest/status"),
            null,
            null);

    assertThat(fake.baseUrl().toString()).matches("http://127\\.0\\.0\\.1:\\d+/bamboo");
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json(status).toString()).isEqualTo("{\"state\":\"RUNNING\"}");
    assertThat(noContext.statusCode()).isEqualTo(404);
  }

  @Test
  void serverCalls_infoAndStatusAnonymous_serverNeedsAUser() throws Exception {
    model.setVersion("8.2.1").addToken("reader", false);

    JsonNode info = json(get("/rest/api/latest/info", null));
    HttpResponse<String> serverAnonymous = get("/rest/api/latest/server", null);
    JsonNode server = json(get("/rest/api/latest/server", "Bearer reader"));

    assertThat(info.get("version").asText()).isEqualTo("8.2.1");
    assertThat(info.get("buildNumber").isTextual()).isTrue();
    assertThat(info.get("buildNumber").asText()).isEqualTo("80201");
    assertThat(info.get("state").asText()).isEqualTo("RUNNING");
    assertThat(info.has("buildDate")).isTrue();
    assertThat(serverAnonymous.statusCode()).isEqualTo(401);
    assertThat(server.toString()).isEqualTo("{\"state\":\"RUNNING\",\"reindexInProgress\":false}");
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({
    "'', 401",
    "Bearer wrong, 401",
    "Bearer reader, 403",
    "Basic YWRtaW46cHc=, 200",
    "Bearer test-token, 200"
  })
  void agentCalls_needAnAdmin(String authorization, int expected) throws Exception {
    model.addToken("reader", false).setBasicUser("admin", "pw");

    HttpResponse<String> response =
        get("/rest/api/latest/agent", authorization.isEmpty() ? null : authorization);

    assertThat(response.statusCode()).isEqualTo(expected);
    if (expected != 200) {
      assertThat(json(response).get("status-code").asInt()).isEqualTo(expected);
      assertThat(json(response).get("message").asText()).isNotBlank();
    }
  }

  @Test
  void missingAgentIs404_malformedIdIs400_unknownPathIs404() throws Exception {
    assertThat(get("/rest/api/latest/agent/999", ADMIN).statusCode()).isEqualTo(404);
    assertThat(get("/rest/api/latest/agent/abc", ADMIN).statusCode()).isEqualTo(400);
    assertThat(put("/rest/api/latest/agent/abc/disable", null).statusCode()).isEqualTo(400);
    assertThat(get("/rest/api/latest/nothing", ADMIN).statusCode()).isEqualTo(404);
    assertThat(json(get("/rest/api/latest/agent/999", ADMIN)).get("status-code").asInt())
        .isEqualTo(404);
  }

  @Test
  void agentLists_haveTheRestBuildAgentShape_andFilterOnOnline() throws Exception {
    long a = register("11111111-aaaa", "ip-10-0-0-1", Map.of());
    long b = register("22222222-bbbb", "ip-10-0-0-2", Map.of());
    long elastic = model.addAgent("elastic-1", "ELASTIC");
    model.disconnect(b);

    JsonNode all = json(get("/rest/api/latest/agent", ADMIN));
    JsonNode online = json(get("/rest/api/latest/agent?online=true", ADMIN));
    JsonNode remote = json(get("/rest/api/latest/agent/remote?online=false", ADMIN));

    assertThat(all.get(0).toString())
        .isEqualTo(
            "{\"id\":"
                + a
                + ",\"name\":\"ip-10-0-0-1\",\"type\":\"REMOTE\",\"active\":true,"
                + "\"enabled\":true,\"busy\":false}");
    assertThat(ids(all)).containsExactly(a, b, elastic);
    assertThat(ids(online)).containsExactly(a, elastic);
    assertThat(ids(remote)).containsExactly(b);
  }

  @Test
  void singleAgentCalls_generalStatusEnableDisableDelete() throws Exception {
    long id = register("uuid-1", "agent-1", Map.of("os", "linux"));
    String agent = "/rest/api/latest/agent/" + id;

    JsonNode info = json(get(agent, ADMIN));
    JsonNode expanded = json(get(agent + "?expand=capabilities", ADMIN));
    JsonNode status = json(get(agent + "/status", ADMIN));
    HttpResponse<String> disabled = put(agent + "/disable", null);
    HttpResponse<String> enabled = put(agent + "/enable", null);
    HttpResponse<String> deleted = send("DELETE", uri(agent), ADMIN, null);

    assertThat(info.toString())
        .isEqualTo(
            "{\"general\":{\"id\":"
                + id
                + ",\"name\":\"agent-1\",\"type\":\"REMOTE\",\"active\":true,"
                + "\"enabled\":true,\"busy\":false}}");
    assertThat(expanded.get("capabilities").toString())
        .isEqualTo("[{\"key\":\"os\",\"value\":\"linux\"}]");
    assertThat(status.toString()).isEqualTo("{\"online\":true}");
    assertThat(disabled.statusCode()).isEqualTo(200);
    assertThat(json(disabled).get("enabled").asBoolean()).isFalse();
    assertThat(json(enabled).get("enabled").asBoolean()).isTrue();
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();
    assertThat(get(agent, ADMIN).statusCode()).isEqualTo(404);
  }

  @Test
  void capabilityCalls_withPercentEncodedKeys_andSources() throws Exception {
    long id = register("uuid-1", "agent-1", Map.of(JDK17, "/opt/jdk-17.0.8"));
    String caps = "/rest/api/latest/agent/" + id + "/capability";
    String encodedJdk = caps + "/system.jdk.JDK%2017";

    HttpResponse<String> created =
        post(caps, "{\"key\":\"hupd.toolchain.jdk\",\"value\":\"img@sha256:ab\"}");
    HttpResponse<String> again = post(caps, "{\"key\":\"hupd.toolchain.jdk\",\"value\":\"x\"}");
    HttpResponse<String> noKey = post(caps, "{\"value\":\"x\"}");
    HttpResponse<String> updated =
        put(encodedJdk, "{\"key\":\"" + JDK17 + "\",\"value\":\"/opt/jdk-17.0.10\"}");
    HttpResponse<String> unknown = put(caps + "/no.such%20key", "{\"value\":\"v\"}");
    JsonNode read = json(get(caps + "?includeShared=false", ADMIN));

    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(noKey.statusCode()).isEqualTo(400);
    assertThat(updated.statusCode()).isEqualTo(200);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(read.toString())
        .isEqualTo(
            "[{\"key\":\"hupd.toolchain.jdk\",\"value\":\"img@sha256:ab\",\"source\":\"rest\"},"
                + "{\"key\":\"system.jdk.JDK 17\",\"value\":\"/opt/jdk-17.0.10\","
                + "\"source\":\"rest\"}]");

    assertThat(send("DELETE", uri(encodedJdk), ADMIN, null).statusCode()).isEqualTo(204);
    assertThat(model.capabilities(id, false).get(1).value()).isEqualTo("/opt/jdk-17.0.8");
    assertThat(send("DELETE", uri(caps), ADMIN, null).statusCode()).isEqualTo(204);
    assertThat(json(get(caps, ADMIN)).size()).isZero();
    assertThat(model.requestCount("PUT /agent/{id}/capability/{key}")).isEqualTo(2);
    assertThat(model.requests())
        .extracting(FakeBambooModel.Call::rawPath)
        .contains("/rest/api/latest/agent/" + id + "/capability/system.jdk.JDK%2017");
  }

  @Test
  void writeWithAnotherContentType_is415() throws Exception {
    long id = register("uuid-1", "agent-1", Map.of());
    HttpRequest request =
        HttpRequest.newBuilder(uri("/rest/api/latest/agent/" + id + "/capability"))
            .header("Authorization", ADMIN)
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"k\",\"value\":\"v\"}"))
            .timeout(TIMEOUT)
            .build();

    assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(415);
  }

  @Test
  void jsonSuffix_isAccepted() throws Exception {
    long id = register("uuid-1", "agent-1", Map.of());

    assertThat(
            json(get("/rest/api/latest/agent/" + id + ".json", ADMIN))
                .path("general")
                .path("id")
                .asLong())
        .isEqualTo(id);
    assertThat(get("/rest/api/latest/status.json", null).statusCode()).isEqualTo(200);
    assertThat(model.requestCount("GET /agent/{id}")).isEqualTo(1);
  }

  @Test
  void authenticationCalls_listAndApprove() throws Exception {
    model.setManualApproval(true);
    model.connect(Connect.of("uuid-p", "agent", "10.1.2.3"));

    JsonNode pending = json(get("/rest/api/latest/agent/authentication?pending=true", ADMIN));
    HttpResponse<String> approve = put("/rest/api/latest/agent/authentication/uuid-p", null);
    HttpResponse<String> approveAgain = put("/rest/api/latest/agent/authentication/uuid-p", null);
    HttpResponse<String> unknown = put("/rest/api/latest/agent/authentication/nobody", null);
    JsonNode stillPending = json(get("/rest/api/latest/agent/authentication?pending=true", ADMIN));

    assertThat(pending.toString())
        .isEqualTo(
            "[{\"uuid\":\"uuid-p\",\"ip\":\"10.1.2.3\",\"approved\":false,"
                + "\"ipPatterns\":[\"10.1.2.3\"]}]");
    assertThat(approve.statusCode()).isEqualTo(204);
    assertThat(approveAgain.statusCode()).isEqualTo(204);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(stillPending.size()).isZero();
    assertThat(model.approvals("uuid-p")).isEqualTo(2);
  }

  @Test
  void redirectMode_answers302ToTheLoginPage() throws Exception {
    model.redirectToLogin(true);

    HttpResponse<String> response = get("/rest/api/latest/agent", ADMIN);
    String location = response.headers().firstValue("Location").orElseThrow();
    HttpResponse<String> login = send("GET", fake.baseUrl().resolve(location), null, null);

    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(location).startsWith("/bamboo/userlogin.action");
    assertThat(login.statusCode()).isEqualTo(200);
    assertThat(login.headers().firstValue("Content-Type")).hasValue("text/html");
    model.clearFaults();
    assertThat(get("/rest/api/latest/agent", ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void paused_agentWritesAnswer503_readsWork() throws Exception {
    long id = register("uuid-1", "agent-1", Map.of());
    model.setServerState(ServerState.PAUSED);

    HttpResponse<String> disable = put("/rest/api/latest/agent/" + id + "/disable", null);

    assertThat(disable.statusCode()).isEqualTo(503);
    assertThat(json(disable).get("status-code").asInt()).isEqualTo(503);
    assertThat(get("/rest/api/latest/agent/" + id, ADMIN).statusCode()).isEqualTo(200);
    assertThat(json(get("/rest/api/latest/status", null)).get("state").asText())
        .isEqualTo("PAUSED");
    assertThat(model.agent(id).enabled()).isTrue();
  }

  @Test
  void faults_failNextThenRecover_dropClosesTheConnection_delayHoldsTheAnswer() throws Exception {
    post("/_fake/faults", "{\"prefix\":\"/agent\",\"status\":503,\"count\":1}");
    assertThat(get("/rest/api/latest/agent", ADMIN).statusCode()).isEqualTo(503);
    assertThat(get("/rest/api/latest/agent", ADMIN).statusCode()).isEqualTo(200);

    // The JDK client retries a GET once after a dropped connection: one drop goes unseen.
    model.dropNext("/status", 2);
    assertThatThrownBy(() -> get("/rest/api/latest/status", null)).isInstanceOf(IOException.class);
    // the server logs a dropped call as it closes the connection, which the client may see first
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (model.requests().size() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    // the fake records a call once its answer is written, so the 200 and the first drop may be
    // recorded in either order
    assertThat(model.requests())
        .extracting(FakeBambooModel.Call::status)
        .containsExactlyInAnyOrder(503, 200, 0, 0);
    assertThat(get("/rest/api/latest/status", null).statusCode()).isEqualTo(200);

    model.delay("/info", Duration.ofMillis(300));
    long start = System.nanoTime();
    assertThat(get("/rest/api/latest/info", null).statusCode()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(250));

    post("/_fake/faults", "{\"prefix\":\"\",\"status\":500}");
    assertThat(get("/rest/api/latest/server", ADMIN).statusCode()).isEqualTo(500);
    assertThat(send("DELETE", uri("/_fake/faults"), null, null).statusCode()).isEqualTo(204);
    assertThat(get("/rest/api/latest/server", ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void agentSideEndpoints_connectHeartbeatDisconnect() throws Exception {
    model.setSecurityToken(Optional.of("tok"));
    String hello =
        "{\"uuid\":\"u-1\",\"id\":null,\"name\":\"host\",\"ip\":\"10.0.0.9\",\"token\":\"%s\","
            + "\"capabilities\":{\"system.jdk.JDK 17\":\"/opt/jdk\"}}";

    JsonNode rejected = json(post("/_fake/agents/connect", hello.formatted("bad")));
    JsonNode registered = json(post("/_fake/agents/connect", hello.formatted("tok")));
    long id = registered.get("id").asLong();
    JsonNode beat = json(post("/_fake/agents/heartbeat", "{\"uuid\":\"u-1\",\"id\":" + id + "}"));
    JsonNode bye = json(post("/_fake/agents/disconnect", "{\"id\":" + id + "}"));
    JsonNode beatAfter =
        json(post("/_fake/agents/heartbeat", "{\"uuid\":\"u-1\",\"id\":" + id + "}"));

    assertThat(rejected.toString()).isEqualTo("{\"result\":\"rejected\"}");
    assertThat(registered.get("result").asText()).isEqualTo("registered");
    assertThat(registered.get("name").asText()).isEqualTo("host");
    assertThat(beat.get("result").asText()).isEqualTo("ok");
    assertThat(bye.get("result").asText()).isEqualTo("ok");
    assertThat(beatAfter.get("result").asText()).isEqualTo("offline");
    assertThat(model.requestCount("POST /_fake/agents/connect")).isEqualTo(2);
  }

  @Test
  void controlEndpoints_driveAndDumpTheModel() throws Exception {
    long id = register("uuid-1", "agent-1", Map.of(JDK17, "/opt/jdk"));

    assertThat(post("/_fake/agents/" + id + "/busy", "{\"busy\":true}").statusCode())
        .isEqualTo(200);
    assertThat(post("/_fake/agents/999/busy", "{\"busy\":true}").statusCode()).isEqualTo(404);
    assertThat(post("/_fake/server/state", "{\"state\":\"paused\"}").statusCode()).isEqualTo(204);
    assertThat(
            post(
                    "/_fake/settings",
                    "{\"manualApproval\":true,\"securityToken\":\"t\","
                        + "\"version\":\"7.0.0\",\"heartbeatTimeoutMs\":5000}")
                .statusCode())
        .isEqualTo(204);
    JsonNode agents = json(get("/_fake/agents", null));
    JsonNode auth = json(get("/_fake/authentication", null));
    JsonNode requests = json(get("/_fake/requests", null));

    assertThat(model.agent(id).busy()).isTrue();
    assertThat(model.serverState()).isEqualTo(ServerState.PAUSED);
    assertThat(model.manualApproval()).isTrue();
    assertThat(model.securityToken()).hasValue("t");
    assertThat(model.version()).isEqualTo("7.0.0");
    assertThat(model.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(agents.get(0).get("busy").asBoolean()).isTrue();
    assertThat(agents.get(0).get("uuid").asText()).isEqualTo("uuid-1");
    assertThat(agents.get(0).at("/capabilities/system.jdk.JDK 17/source").asText())
        .isEqualTo("file");
    assertThat(agents.get(0).get("restartsWhileBusy").asInt()).isZero();
    assertThat(auth.get("approved").has("uuid-1")).as("approved when switched on").isTrue();
    assertThat(requests.get("requests").size()).as("control calls are not logged").isZero();
  }

  @Test
  void tls_servesWithAKeytoolCertificate_trustedOnlyByAClientThatKnowsIt(@TempDir Path dir)
      throws Exception {
    Path store = TestKeyStores.selfSigned(dir);
    try (FakeBamboo tls = FakeBamboo.startTls(model, store, TestKeyStores.PASSWORD)) {
      URI status = URI.create(tls.baseUrl() + "/rest/api/latest/status");
      SSLContext trusting = TestKeyStores.trustingContext(store, TestKeyStores.PASSWORD);

      HttpResponse<String> trusted =
          client(Optional.of(trusting))
              .send(
                  HttpRequest.newBuilder(status).timeout(TIMEOUT).build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(tls.baseUrl().toString()).startsWith("https://127.0.0.1:");
      assertThat(trusted.statusCode()).isEqualTo(200);
      assertThatThrownBy(
              () ->
                  http.send(
                      HttpRequest.newBuilder(status).timeout(TIMEOUT).build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class);
      assertThat(TestKeyStores.writePem(store, TestKeyStores.PASSWORD, dir.resolve("ca.pem")))
          .content()
          .startsWith("-----BEGIN CERTIFICATE-----\n");
    }
  }

  // ---- helpers

  private long register(String uuid, String name, Map<String, String> fileCaps) {
    return model
        .connect(Connect.of(uuid, name, "10.0.0.1").withFileCapabilities(fileCaps))
        .id()
        .orElseThrow();
  }

  private static List<Long> ids(JsonNode array) {
    List<Long> ids = new java.util.ArrayList<>();
    array.forEach(a -> ids.add(a.get("id").asLong()));
    return ids;
  }

  private URI uri(String path) {
    return URI.create(fake.baseUrl() + path);
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    return send("GET", uri(path), authorization, null);
  }

  private HttpResponse<String> put(String path, String body) throws Exception {
    return send("PUT", uri(path), ADMIN, body);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return send("POST", uri(path), ADMIN, body);
  }

  private HttpResponse<String> send(String method, URI uri, String authorization, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(uri)
            .timeout(TIMEOUT)
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (body != null) {
      builder.header("Content-Type", "application/json");
    }
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) {
    return JsonTexts.parse(response.body());
  }

  private static HttpClient client(Optional<SSLContext> tls) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .proxy(ProxySelector.of(null))
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(TIMEOUT);
    tls.ifPresent(builder::sslContext);
    return builder.build();
  }
}
