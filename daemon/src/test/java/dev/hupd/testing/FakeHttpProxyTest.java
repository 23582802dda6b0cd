package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.StackResourceDetail;

/**
 * {@link FakeHttpProxy} between the AWS SDK and {@link FakeCloudFormation}. While a test runs, the
 * JVM's default proxy selector sends every non-loopback URL to a second, route-less proxy, so a
 * client that ignored its proxy setting would be caught there instead of reaching AWS.
 */
class FakeHttpProxyTest {

  private static final String CFN_HOST = "cloudformation.eu-west-1.amazonaws.com";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeCloudFormation cloudFormation;
  private FakeHttpProxy proxy;
  private FakeHttpProxy safetyNet;
  private ProxySelector previousSelector;

  @BeforeEach
  void start() throws Exception {
    cloudFormation = FakeCloudFormation.start();
    cloudFormation.loadMetadataDir(TestInputs.input04());
    proxy = FakeHttpProxy.start().route(CFN_HOST + ":80", cloudFormation.endpoint());
    safetyNet = FakeHttpProxy.start();
    previousSelector = ProxySelector.getDefault();
    ProxySelector.setDefault(new LoopbackOnlySelector(address(safetyNet)));
  }

  @AfterEach
  void stop() {
    ProxySelector.setDefault(previousSelector);
    safetyNet.close();
    proxy.close();
    cloudFormation.close();
  }

  @Test
  void sdkClient_reachesFakeCloudFormationThroughTheProxy() throws Exception {
    StackResourceDetail detail;
    try (CloudFormationClient client = clientBehindProxy()) {
      detail =
          client
              .describeStackResource(
                  r -> r.stackName("agents-stack").logicalResourceId("LaunchTemplate"))
              .stackResourceDetail();
    }

    assertThat(JSON.readTree(detail.metadata()))
        .isEqualTo(JSON.readTree(TestInputs.launchTemplateMetadata()));
    assertThat(proxy.requests())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.method()).isEqualTo("POST");
              assertThat(r.uri().getHost()).isEqualTo(CFN_HOST);
              assertThat(r.targetHostPort()).isEqualTo(CFN_HOST + ":80");
              assertThat(r.forwardedTo().getPort()).isEqualTo(cloudFormation.endpoint().getPort());
              assertThat(r.status()).isEqualTo(200);
            });
    RecordedRequest received = cloudFormation.requests().get(0);
    assertThat(received.headers()).containsEntry("x-forwarded-host", CFN_HOST + ":80");
    assertThat(received.accessKeyId()).isEqualTo("AKIDBEHINDPROXY");
    assertThat(safetyNet.requests()).isEmpty();
  }

  @Test
  void unroutedRemoteHost_gets502AndIsNeverForwarded() throws Exception {
    HttpResponse<String> response = viaProxy(URI.create("http://sts.amazonaws.com/?Action=x"));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("no route for sts.amazonaws.com:80");
    assertThat(proxy.requests())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.targetHostPort()).isEqualTo("sts.amazonaws.com:80");
              assertThat(r.forwardedTo()).isNull();
              assertThat(r.status()).isEqualTo(502);
            });
    assertThat(cloudFormation.requests()).isEmpty();
  }

  @Test
  void loopbackTarget_isForwardedWithoutARoute() throws Exception {
    URI target =
        URI.create(
            cloudFormation.endpoint()
                + "?Action=DescribeStackResource&StackName=agents-stack"
                + "&LogicalResourceId=LaunchTemplate&ContentType=JSON");

    HttpResponse<String> response = viaProxy(target);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(proxy.requests().get(0).targetHostPort())
        .isEqualTo("127.0.0.1:" + cloudFormation.endpoint().getPort());
    assertThat(cloudFormation.describeCalls("LaunchTemplate")).isEqualTo(1);
  }

  @Test
  void route_refusesATargetOffLoopback() {
    assertThatThrownBy(() -> proxy.route("x:80", URI.create("http://10.0.0.1:8080/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> proxy.route("x:80", URI.create("http://example.com/")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void connect_isAnswered501AndNeverTunnelled() throws Exception {
    String statusLine =
        rawRequest("CONNECT " + CFN_HOST + ":443 HTTP/1.1\r\nHost: " + CFN_HOST + ":443\r\n\r\n");

    assertThat(statusLine).isEqualTo("HTTP/1.1 501 Not Implemented");
    assertThat(proxy.requests())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.method()).isEqualTo("CONNECT");
              assertThat(r.forwardedTo()).isNull();
            });
    assertThat(cloudFormation.requests()).isEmpty();
  }

  @Test
  void absoluteFormWithoutPath_isForwardedToSlash() throws Exception {
    String statusLine =
        rawRequest("GET http://" + CFN_HOST + " HTTP/1.1\r\nHost: " + CFN_HOST + "\r\n\r\n");

    assertThat(statusLine).startsWith("HTTP/1.1 400 ");
    assertThat(proxy.requests().get(0).forwardedTo().getPath()).isEqualTo("/");
    assertThat(cloudFormation.requests())
        .singleElement()
        .satisfies(r -> assertThat(r.path()).isEqualTo("/"));
  }

  private String rawRequest(String request) throws IOException {
    try (Socket socket = new Socket(LoopbackServers.LOOPBACK, proxy.endpoint().getPort())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      return in.readLine();
    }
  }

  private CloudFormationClient clientBehindProxy() {
    ProxyConfiguration proxyConfiguration =
        ProxyConfiguration.builder()
            .endpoint(proxy.endpoint())
            .useSystemPropertyValues(false)
            .useEnvironmentVariablesValues(false)
            .build();
    return CloudFormationClient.builder()
        .endpointOverride(URI.create("http://" + CFN_HOST))
        .region(Region.EU_WEST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIDBEHINDPROXY", "proxy-secret-not-real")))
        .httpClientBuilder(UrlConnectionHttpClient.builder().proxyConfiguration(proxyConfiguration))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private HttpResponse<String> viaProxy(URI target) throws Exception {
    HttpClient client = HttpClient.newBuilder().proxy(ProxySelector.of(address(proxy))).build();
    HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static InetSocketAddress address(FakeHttpProxy proxy) {
    return new InetSocketAddress(LoopbackServers.LOOPBACK, proxy.endpoint().getPort());
  }

  /** Loopback URLs go direct; everything else goes to the given (fake) proxy, never out. */
  private static final class LoopbackOnlySelector extends ProxySelector {
    private final Proxy catchAll;

    LoopbackOnlySelector(InetSocketAddress catchAllProxy) {
      this.catchAll = new Proxy(Proxy.Type.HTTP, catchAllProxy);
    }

    @Override
    public List<Proxy> select(URI uri) {
      String host = uri.getHost();
      return host != null && LoopbackServers.isLoopback(host)
          ? List.of(Proxy.NO_PROXY)
          : List.of(catchAll);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException e) {}
  }
}
