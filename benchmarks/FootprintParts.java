import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.host.Logging;
import dev.hupd.status.Metrics;
import dev.hupd.status.StatusBoard;
import dev.hupd.status.StatusServer;
import dev.hupd.status.StatusSnapshot;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Where hupd's resident memory goes: loads the first N parts of the daemon's stack, cumulatively,
 * in this JVM, then prints its VmRSS, RssAnon and RssFile after a full GC and a short settle. Run
 * once per N by footprint-parts.sh, each in a fresh JVM with the launcher's flags, so that the
 * difference between two rows is what one part adds on top of the ones before it.
 *
 * <p>Parts: 1 the JVM alone; 2 logging (logback with hupd's set-up, one line logged); 3 Jackson
 * databind (a tree read and written); 4 hupd's status server on Netty (127.0.0.1, any port, one
 * /metrics request); 5 the JDK's default TLS context (trust store parsed), as any https call needs
 * it; 6 the AWS SDK's
 * CloudFormation and SSM clients (url-connection HTTP client, static fake credentials), one call
 * each to a closed loopback port. Nothing leaves 127.0.0.1.
 */
public final class FootprintParts {

  private static final List<Object> KEEP = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    int parts = Integer.parseInt(args[0]);
    if (parts >= 2) {
      Logging.configure(false, Optional.empty());
      org.slf4j.LoggerFactory.getLogger(FootprintParts.class).info("event=parts.logging");
    }
    if (parts >= 3) {
      ObjectMapper json = new ObjectMapper();
      KEEP.add(json.writeValueAsString(json.readTree("{\"hooks\":[\"a\",{\"path\":\"b\"}]}")));
    }
    if (parts >= 4) {
      StatusBoard board =
          new StatusBoard(
              new StatusSnapshot.ProcessInfo("parts", ProcessHandle.current().pid(), Instant.now(),
                  "cfn-hup"),
              Clock.systemUTC());
      StatusServer server =
          StatusServer.start(
              new InetSocketAddress("127.0.0.1", 0), board::current, Clock.systemUTC(),
              Metrics::residentBytes);
      KEEP.add(server);
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics").toURL().openConnection();
      try (InputStream in = c.getInputStream()) {
        in.readAllBytes();
      }
    }
    if (parts >= 5) {
      KEEP.add(javax.net.ssl.SSLContext.getDefault().getSocketFactory());
    }
    if (parts >= 6) {
      SdkHttpClient http = UrlConnectionHttpClient.builder().build();
      StaticCredentialsProvider creds =
          StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDPARTS", "not-real"));
      URI closed = URI.create("http://127.0.0.1:1");
      CloudFormationClient cfn =
          CloudFormationClient.builder()
              .httpClient(http)
              .credentialsProvider(creds)
              .region(Region.EU_WEST_1)
              .endpointOverride(closed)
              .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD))
              .build();
      SsmClient ssm =
          SsmClient.builder()
              .httpClient(http)
              .credentialsProvider(creds)
              .region(Region.EU_WEST_1)
              .endpointOverride(closed)
              .build();
      try {
        cfn.describeStackResource(b -> b.stackName("parts").logicalResourceId("Agent"));
      } catch (RuntimeException expected) {
        // connection refused: the call path is loaded, which is the point
      }
      try {
        ssm.getParameter(b -> b.name("/parts"));
      } catch (RuntimeException expected) {
        // as above
      }
      KEEP.add(cfn);
      KEEP.add(ssm);
    }
    System.gc();
    Thread.sleep(1500);
    String rss = "", anon = "", file = "";
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      String[] f = line.split("\\s+");
      switch (f[0]) {
        case "VmRSS:" -> rss = f[1];
        case "RssAnon:" -> anon = f[1];
        case "RssFile:" -> file = f[1];
        default -> {}
      }
    }
    System.out.println(parts + " " + rss + " " + anon + " " + file + " " + KEEP.size());
  }
}
