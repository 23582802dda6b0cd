package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.docker.UnixHttpClient.Body;
import dev.hupd.docker.UnixHttpClient.Request;
import dev.hupd.docker.UnixHttpClient.Response;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP/1.1-over-Unix-socket client against a fake server that controls every byte. */
class UnixHttpClientTest {

  /** Every wait in these tests is a multiple of this. */
  static final Duration BASE = Duration.ofMillis(300);

  static final Duration GENEROUS = BASE.multipliedBy(20);

  @TempDir Path dir;
  FakeUnixServer server;

  @AfterEach
  void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  UnixHttpClient serve(FakeUnixServer.Handler handler) throws IOException {
    server = FakeUnixServer.start(dir.resolve("fake.sock"), handler);
    return new UnixHttpClient(server.socket());
  }

  static String text(Response r) throws IOException {
    return new String(r.readBody(1 << 20), StandardCharsets.UTF_8);
  }

  @Test
  void contentLengthBodyEndsAtTheLengthEvenWhileTheServerKeepsTheConnectionOpen() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    UnixHttpClient client =
        serve(
            ex -> {
              ex.json(200, "{\"ok\":true}");
              release.await(10, TimeUnit.SECONDS);
            });

    long start = System.nanoTime();
    try (Response r = client.send(Request.of("GET", "/version"), GENEROUS)) {
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("CONTENT-TYPE")).contains("application/json");
      assertThat(text(r)).isEqualTo("{\"ok\":true}");
    } finally {
      release.countDown();
    }

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BASE.multipliedBy(5));
    assertThat(server.last().method).isEqualTo("GET");
    assertThat(server.last().target).isEqualTo("/version");
    assertThat(server.last().header("host")).isNotBlank();
  }

  @Test
  void chunkedBodyIsDecodedSkippingExtensionsAndTrailers() throws Exception {
    UnixHttpClient client =
        serve(
            ex ->
                ex.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .raw("5;name=value\r\nhello\r\n")
                    .raw("1\r\n \r\n")
                    .raw("5\r\nworld\r\n")
                    .raw("0\r\nX-Trailer: yes\r\n\r\n"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThat(text(r)).isEqualTo("hello world");
    }
  }

  @Test
  void chunkedBodyIsStreamedChunkByChunkNotBufferedToTheEnd() throws Exception {
    CountDownLatch firstSeen = new CountDownLatch(1);
    UnixHttpClient client =
        serve(
            ex -> {
              ex.chunkedHead(200, "application/json").chunk("{\"status\":\"one\"}\r\n");
              if (!firstSeen.await(10, TimeUnit.SECONDS)) {
                return; // the client never saw the first line: fail by closing early
              }
              ex.chunk("{\"status\":\"two\"}\r\n").lastChunk();
            });

    try (Response r = client.send(Request.of("POST", "/images/create"), GENEROUS)) {
      InputStream body = r.body();
      byte[] first = new byte["{\"status\":\"one\"}\r\n".length()];
      assertThat(body.readNBytes(first, 0, first.length)).isEqualTo(first.length);
      assertThat(new String(first, StandardCharsets.UTF_8)).contains("one");
      firstSeen.countDown();
      assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).contains("two");
    }
  }

  @Test
  void bodyWithoutFramingIsReadUntilTheServerCloses() throws Exception {
    UnixHttpClient client = serve(ex -> ex.raw("HTTP/1.0 200 OK\r\n\r\nuntil the end"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThat(text(r)).isEqualTo("until the end");
    }
  }

  @Test
  void continueAndNoContentAnswersHaveNoBody() throws Exception {
    UnixHttpClient client =
        serve(ex -> ex.raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nA: 1\r\n\r\n"));

    try (Response r = client.send(Request.of("POST", "/containers/x/start"), GENEROUS)) {
      assertThat(r.status()).isEqualTo(204);
      assertThat(r.header("a")).contains("1");
      assertThat(r.body().read()).isEqualTo(-1);
    }
  }

  @Test
  void connectionClosedInsideAChunkIsAnErrorNotAShortBody() throws Exception {
    UnixHttpClient client =
        serve(ex -> ex.chunkedHead(200, "application/json").raw("10\r\nonly-part"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThatThrownBy(() -> r.body().readAllBytes()).isInstanceOf(EOFException.class);
    }
  }

  @Test
  void connectionClosedBetweenChunksIsAnError() throws Exception {
    UnixHttpClient client =
        serve(ex -> ex.chunkedHead(200, "application/json").chunk("{\"status\":\"a\"}"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThatThrownBy(() -> r.body().readAllBytes())
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("chunk size");
    }
  }

  @Test
  void connectionClosedBeforeTheFullContentLengthIsAnError() throws Exception {
    UnixHttpClient client = serve(ex -> ex.raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThatThrownBy(() -> r.body().readAllBytes())
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("3 of 10");
    }
  }

  @Test
  void connectionClosedBeforeAnyAnswerIsAnError() throws Exception {
    UnixHttpClient client = serve(ex -> {});

    assertThatThrownBy(() -> client.send(Request.of("GET", "/x"), GENEROUS))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("before any answer");
  }

  @Test
  void connectionClosedInsideTheHeadersIsAnError() throws Exception {
    UnixHttpClient client = serve(ex -> ex.raw("HTTP/1.1 200 OK\r\nContent-Le"));

    assertThatThrownBy(() -> client.send(Request.of("GET", "/x"), GENEROUS))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void serverThatNeverAnswersTimesOutAtTheDeadline() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    UnixHttpClient client = serve(ex -> release.await(30, TimeUnit.SECONDS));

    long start = System.nanoTime();
    try {
      assertThatThrownBy(() -> client.send(Request.of("GET", "/x"), BASE))
          .isInstanceOf(SocketTimeoutException.class)
          .hasMessageContaining(server.socket().toString());
    } finally {
      release.countDown();
    }

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isGreaterThanOrEqualTo(BASE).isLessThan(BASE.multipliedBy(4));
  }

  @Test
  void serverThatStallsMidStreamTimesOutWhileTheBodyIsRead() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    UnixHttpClient client =
        serve(
            ex -> {
              ex.chunkedHead(200, "application/json").chunk("{\"status\":\"started\"}");
              release.await(30, TimeUnit.SECONDS);
            });

    try (Response r = client.send(Request.of("POST", "/images/create"), BASE.multipliedBy(2))) {
      assertThatThrownBy(() -> r.body().readAllBytes()).isInstanceOf(SocketTimeoutException.class);
    } finally {
      release.countDown();
    }
  }

  @Test
  void contentLengthRequestBodyArrivesWithItsLengthAndType() throws Exception {
    UnixHttpClient client =
        serve(
            ex -> {
              ex.body();
              ex.json(201, "{}");
            });
    byte[] payload = "{\"Image\":\"x\"}".getBytes(StandardCharsets.UTF_8);

    Request request =
        new Request(
            "POST",
            "/containers/create?name=a",
            Map.of("X-Registry-Auth", "abc"),
            Body.bytes("application/json", payload));
    try (Response r = client.send(request, GENEROUS)) {
      assertThat(r.status()).isEqualTo(201);
    }

    FakeUnixServer.Exchange seen = server.last();
    assertThat(seen.body()).isEqualTo(payload);
    assertThat(seen.header("content-length")).isEqualTo(String.valueOf(payload.length));
    assertThat(seen.header("content-type")).isEqualTo("application/json");
    assertThat(seen.header("x-registry-auth")).isEqualTo("abc");
  }

  @Test
  void chunkedRequestBodyIsStreamedAndArrivesWhole() throws Exception {
    UnixHttpClient client =
        serve(
            ex -> {
              ex.body();
              ex.json(200, "{}");
            });
    byte[] big = new byte[100_000];
    Arrays.fill(big, (byte) 'x');

    Body body = Body.chunked("application/x-tar", out -> out.write(big));
    try (Response r = client.send(new Request("POST", "/build", Map.of(), body), GENEROUS)) {
      assertThat(r.status()).isEqualTo(200);
    }

    assertThat(server.last().header("transfer-encoding")).isEqualTo("chunked");
    assertThat(server.last().header("content-length")).isNull();
    assertThat(server.last().body()).isEqualTo(big);
  }

  @Test
  void answerSentBeforeTheRequestBodyWasReadIsStillReturned() throws Exception {
    UnixHttpClient client =
        serve(ex -> ex.json(400, "{\"message\":\"bad context\"}")); // never reads the body
    byte[] big = new byte[8 << 20];

    Body body = Body.chunked("application/x-tar", out -> out.write(big));
    try (Response r = client.send(new Request("POST", "/build", Map.of(), body), GENEROUS)) {
      assertThat(r.status()).isEqualTo(400);
      assertThat(text(r)).contains("bad context");
    }
  }

  @Test
  void missingSocketIsAConnectFailureNamingThePath() {
    Path missing = dir.resolve("no-such.sock");
    UnixHttpClient client = new UnixHttpClient(missing);

    assertThatThrownBy(() -> client.send(Request.of("GET", "/version"), GENEROUS))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void socketFileWithNobodyListeningIsAConnectFailure() throws Exception {
    Path stale = dir.resolve("stale.sock");
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(stale));
    s.close(); // the file stays, like after a crashed daemon

    assertThatThrownBy(() -> new UnixHttpClient(stale).send(Request.of("GET", "/"), GENEROUS))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining(stale.toString());
  }

  @Test
  void malformedStatusLineIsAProtocolError() throws Exception {
    UnixHttpClient client = serve(ex -> ex.raw("SSH-2.0-OpenSSH\r\n\r\n"));

    assertThatThrownBy(() -> client.send(Request.of("GET", "/x"), GENEROUS))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("SSH-2.0");
  }

  @Test
  void badChunkSizeIsAProtocolError() throws Exception {
    UnixHttpClient client = serve(ex -> ex.chunkedHead(200, "text/plain").raw("zz\r\n"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThatThrownBy(() -> r.body().readAllBytes()).isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void bodyLongerThanTheCapIsRefused() throws Exception {
    UnixHttpClient client = serve(ex -> ex.json(200, "0123456789"));

    try (Response r = client.send(Request.of("GET", "/x"), GENEROUS)) {
      assertThatThrownBy(() -> r.readBody(5)).isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void headerInjectionIsRefusedBeforeAnythingIsSent() {
    assertThatThrownBy(() -> Request.of("GET", "/x HTTP/1.1\r\nEvil: 1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new Request("GET", "/x", Map.of("X-Registry-Auth", "a\r\nB: c"), Body.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("a\r\nB");
  }

  @Test
  void interruptStopsTheWaitAndKeepsTheFlag() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    UnixHttpClient client = serve(ex -> release.await(30, TimeUnit.SECONDS));
    Thread caller = Thread.currentThread();
    Thread interrupter =
        new Thread(
            () -> {
              try {
                Thread.sleep(BASE.toMillis());
              } catch (InterruptedException e) {
                return;
              }
              caller.interrupt();
            });
    interrupter.start();

    try {
      assertThatThrownBy(() -> client.send(Request.of("GET", "/x"), GENEROUS))
          .isInstanceOf(InterruptedIOException.class)
          .isNotInstanceOf(SocketTimeoutException.class);
      assertThat(Thread.interrupted()).isTrue(); // also clears it for the next test
    } finally {
      release.countDown();
      interrupter.join();
    }
  }
}
