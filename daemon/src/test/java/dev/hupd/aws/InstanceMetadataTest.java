package dev.hupd.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.testing.FakeInstanceMetadata;
import dev.hupd.testing.ImdsRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link InstanceMetadata} against the loopback IMDS fake: IMDSv2, the v1 fallback, failures. */
class InstanceMetadataTest {

  static final String REGION = "meta-data/placement/region";

  FakeInstanceMetadata imds;

  @BeforeEach
  void start() {
    imds = FakeInstanceMetadata.start().region("eu-west-1");
  }

  @AfterEach
  void stop() {
    imds.close();
  }

  InstanceMetadata client(Duration timeout) {
    return new InstanceMetadata(imds.endpoint(), false, timeout);
  }

  @Test
  void aBodyIsReadUpToItsLimitAndItsDeadline() throws Exception {
    assertThat(
            InstanceMetadata.readBounded(
                new java.io.ByteArrayInputStream("eu-west-1".getBytes()),
                System.nanoTime() + 1_000_000_000L))
        .isEqualTo("eu-west-1");
    byte[] huge = new byte[InstanceMetadata.MAX_ANSWER + 1];
    assertThatThrownBy(
            () ->
                InstanceMetadata.readBounded(
                    new java.io.ByteArrayInputStream(huge), System.nanoTime() + 1_000_000_000L))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("larger than");
    // a trickle: every read returns a byte, but the whole answer is past its deadline
    java.io.InputStream trickle =
        new java.io.InputStream() {
          @Override
          public int read() {
            return 'x';
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            try {
              Thread.sleep(20);
            } catch (InterruptedException e) {
              throw new IOException(e);
            }
            b[off] = 'x';
            return 1;
          }
        };
    assertThatThrownBy(
            () -> InstanceMetadata.readBounded(trickle, System.nanoTime() + 200_000_000L))
        .isInstanceOf(java.net.SocketTimeoutException.class);
  }

  @Test
  void v2_putsForATokenOnceAndSendsItWithEachGet() throws Exception {
    imds.tokenMode(FakeInstanceMetadata.TokenMode.REQUIRED);
    InstanceMetadata client = client(Duration.ofSeconds(2));

    assertThat(client.get(REGION)).contains("eu-west-1");
    assertThat(client.get("meta-data/instance-id")).contains("i-0abc1234567890def");

    List<ImdsRequest> requests = imds.requests();
    assertThat(requests)
        .extracting(ImdsRequest::method, ImdsRequest::path)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("PUT", "/latest/api/token"),
            org.assertj.core.groups.Tuple.tuple("GET", "/latest/" + REGION),
            org.assertj.core.groups.Tuple.tuple("GET", "/latest/meta-data/instance-id"));
    Map<String, String> put = requests.get(0).headers();
    assertThat(put).containsEntry("x-aws-ec2-metadata-token-ttl-seconds", "21600");
    assertThat(put).containsEntry("content-length", "0");
    assertThat(requests.get(1).token()).startsWith("fake-imds-token-");
    assertThat(requests.get(2).token()).isEqualTo(requests.get(1).token());
  }

  @Test
  void aMissingPathIsEmpty() throws Exception {
    assertThat(client(Duration.ofSeconds(2)).get("meta-data/nothing-here")).isEmpty();
  }

  @ParameterizedTest(name = "token PUT answered {0}")
  @ValueSource(ints = {403, 404, 405})
  void v1Only_afterARefusedTokenPut_getsWithoutTokenAndNeverAsksAgain(int status) throws Exception {
    imds.v1Only(status);
    InstanceMetadata client = client(Duration.ofSeconds(2));

    assertThat(client.get(REGION)).contains("eu-west-1");
    assertThat(client.get(REGION)).contains("eu-west-1");

    assertThat(imds.requests()).filteredOn(r -> r.method().equals("PUT")).hasSize(1);
    assertThat(imds.requests())
        .filteredOn(r -> r.method().equals("GET"))
        .hasSize(2)
        .allMatch(r -> r.token() == null);
  }

  @Test
  void aTokenRefusedWith401IsReplacedOnce() throws Exception {
    imds.tokenMode(FakeInstanceMetadata.TokenMode.REQUIRED);
    InstanceMetadata client = client(Duration.ofSeconds(2));
    assertThat(client.get(REGION)).contains("eu-west-1");

    // the fake's clock moves past the token's six hours; the client still holds it (five hours)
    imds.clock(Clock.fixed(Instant.now().plus(Duration.ofHours(7)), ZoneOffset.UTC));
    assertThat(client.get(REGION)).contains("eu-west-1");

    assertThat(imds.requests())
        .extracting(ImdsRequest::method)
        .containsExactly("PUT", "GET", "GET", "PUT", "GET");
  }

  @Test
  void aTokenPutThatIsNeverAnsweredTimesOutWithTheHopLimitHint() {
    imds.tokenMode(FakeInstanceMetadata.TokenMode.TOKEN_HANGS);
    InstanceMetadata client = client(Duration.ofMillis(200));

    long started = System.nanoTime();
    assertThatThrownBy(() -> client.get(REGION))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("IMDS token request timed out at " + imds.endpoint())
        .hasMessageContaining("hop limit");
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    // 3 attempts of get(), each with 3 token PUTs of 200 ms
    assertThat(took).isBetween(Duration.ofMillis(1600), Duration.ofSeconds(6));
    assertThat(imds.requests()).hasSize(9).allMatch(r -> r.method().equals("PUT"));
  }

  @Test
  void disabledSendsNothing() {
    InstanceMetadata client =
        InstanceMetadata.fromSettings(
            Optional.empty(),
            Map.of(
                "AWS_EC2_METADATA_DISABLED",
                "true",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                imds.endpoint().toString()));

    assertThat(client.disabled()).isTrue();
    assertThatThrownBy(() -> client.get(REGION)).hasMessageContaining("disabled");
    assertThat(imds.requests()).isEmpty();
  }

  @Test
  void theJvmProxySelectorIsNeverAsked() throws Exception {
    List<URI> asked = new CopyOnWriteArrayList<>();
    ProxySelector before = ProxySelector.getDefault();
    ProxySelector.setDefault(
        new ProxySelector() {
          @Override
          public List<Proxy> select(URI uri) {
            asked.add(uri);
            return List.of(
                new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("127.0.0.1", 1)));
          }

          @Override
          public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
        });
    try {
      assertThat(client(Duration.ofSeconds(2)).get(REGION)).contains("eu-west-1");
    } finally {
      ProxySelector.setDefault(before);
    }
    assertThat(asked).isEmpty();
  }

  @Test
  void anInterruptedCallerSendsNothing() {
    InstanceMetadata client = client(Duration.ofSeconds(2));
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> client.get(REGION))
          .isInstanceOf(IOException.class)
          .hasMessage("interrupted");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(imds.requests()).isEmpty();
  }
}
