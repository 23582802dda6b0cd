package dev.hupd.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The status server on an ephemeral loopback port, driven by the JDK's HTTP client. */
class StatusServerTest {

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  final ManualClock clock = new ManualClock(StatusSnapshotTest.T0);
  final StatusBoard board =
      new StatusBoard(
          new StatusSnapshot.ProcessInfo("1.2.3", 42, StatusSnapshotTest.T0, "cfn-hup"), clock);
  final HttpClient http =
      HttpClient.newBuilder().connectTimeout(TIMEOUT).proxy(HttpClient.Builder.NO_PROXY).build();
  StatusServer server;

  @BeforeEach
  void start() throws IOException {
    server =
        StatusServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            board::current,
            clock,
            () -> OptionalLong.of(1024));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
            .timeout(TIMEOUT)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  void running() {
    board.started(
        "file:/etc/meta",
        new StatusSnapshot.Expectations(Duration.ofMinutes(1), Duration.ofMinutes(10)),
        Duration.ofMinutes(1),
        Json.parse(
            "{\"values\":{\"a\":1},\"failures\":{},\"documents\":{"
                + "\"toolchain/jdk\":{\"active\":{\"imageId\":\"sha256:1\"}},"
                + "\"bamboo/agent\":{\"state\":\"online\",\"agentId\":7}}}"));
    board.passDone(
        new StatusSnapshot.LastPass(
            clock.instant(), Duration.ofMillis(20), 1, 0, 0, 0, 0, Optional.empty()));
  }

  @Test
  void portZeroBindsAFreeLoopbackPort() {
    assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
    assertThat(server.address().getPort()).isPositive();
  }

  @Test
  void healthzAnswers503WhileStartingAnd200OnceRunning() throws Exception {
    HttpResponse<String> starting = send("GET", "/healthz");
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.body()).startsWith("starting");

    running();
    HttpResponse<String> ok = send("GET", "/healthz");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo("ok\n");
    assertThat(ok.headers().firstValue("content-type")).hasValue(StatusPages.TEXT);
    assertThat(ok.headers().firstValue("cache-control")).hasValue("no-store");

    clock.advance(Duration.ofMinutes(10));
    HttpResponse<String> late = send("GET", "/healthz");
    assertThat(late.statusCode()).isEqualTo(503);
    assertThat(late.body()).contains("past its planned wake");
  }

  @Test
  void statusIsJsonWithTheProcessThePassAndTheRecords() throws Exception {
    running();
    clock.advance(Duration.ofSeconds(5));

    HttpResponse<String> r = send("GET", "/status?pretty");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue(StatusPages.JSON);
    JsonNode j = Json.parse(r.body());
    assertThat(j.path("version").asText()).isEqualTo("1.2.3");
    assertThat(j.path("pid").asLong()).isEqualTo(42);
    assertThat(j.path("uptimeSeconds").asLong()).isEqualTo(5);
    assertThat(j.path("source").asText()).isEqualTo("file:/etc/meta");
    assertThat(j.path("health").path("ok").asBoolean()).isTrue();
    assertThat(j.path("lastPass").path("actionsRun").asInt()).isEqualTo(1);
    assertThat(j.path("lastPass").path("durationSeconds").asDouble()).isEqualTo(0.02);
    assertThat(j.path("lastPass").path("skipped").isNull()).isTrue();
    assertThat(j.path("totals").path("passes").asLong()).isEqualTo(1);
    assertThat(j.path("hooks").path("values").asInt()).isEqualTo(1);
    assertThat(j.path("toolchains").path("jdk").path("active").path("imageId").asText())
        .isEqualTo("sha256:1");
    assertThat(j.path("fleets").isObject()).isTrue();
    assertThat(j.path("bamboo").path("state").asText()).isEqualTo("online");
    assertThat(j.path("bamboo").path("agentId").asLong()).isEqualTo(7);
  }

  @Test
  void metricsUseTheExpositionContentType() throws Exception {
    running();

    HttpResponse<String> r = send("GET", "/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue(MetricsWriter.CONTENT_TYPE);
    assertThat(r.body())
        .contains("# TYPE hupd_passes_total counter\n")
        .contains("hupd_passes_total 1\n")
        .contains("hupd_toolchain_active{name=\"jdk\"} 1\n")
        .contains("hupd_process_resident_memory_bytes 1024\n");
  }

  @Test
  void otherPathsAre404AndOtherMethods405() throws Exception {
    assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/status/x").statusCode()).isEqualTo(404);
    assertThat(send("POST", "/nothing").statusCode()).isEqualTo(404);

    HttpResponse<String> post = send("POST", "/status");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET");
    assertThat(send("DELETE", "/metrics").statusCode()).isEqualTo(405);
  }

  @Test
  void anOversizedRequestLineIsRefused() throws Exception {
    String answer = raw("GET /" + "a".repeat(4000) + " HTTP/1.1\r\nHost: x\r\n\r\n");

    assertThat(answer).matches("(?s)HTTP/1\\.1 4\\d\\d .*");
  }

  @Test
  void anOversizedBodyIsRefusedWith413() throws Exception {
    String answer =
        raw(
            "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                + "x".repeat(2000));

    assertThat(answer).startsWith("HTTP/1.1 413");
  }

  @Test
  void aSecondServerOnTheSamePortFailsWithTheAddress() {
    InetSocketAddress taken = server.address();

    assertThatThrownBy(() -> StatusServer.start(taken, board::current, clock, OptionalLong::empty))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot listen on")
        .hasMessageContaining(Integer.toString(taken.getPort()));
  }

  /** Sends {@code request} as is and reads the answer until the server closes. */
  private String raw(String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
      s.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (java.net.SocketException e) {
      return "reset: " + e.getMessage();
    }
  }
}
