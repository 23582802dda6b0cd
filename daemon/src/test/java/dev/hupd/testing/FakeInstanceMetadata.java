package dev.hupd.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for the EC2 instance metadata service (IMDS, normally 169.254.169.254) on 127.0.0.1:
 * IMDSv2 session tokens, the instance id and region, IAM role credentials and the instance identity
 * document, with the token rules switchable to mimic hardened, legacy and broken hosts. Point a
 * client at {@link #endpoint()}, never at the real address.
 */
public final class FakeInstanceMetadata implements AutoCloseable {

  /** How the fake treats IMDSv2 session tokens. */
  public enum TokenMode {
    /** IMDSv2 enforced ({@code HttpTokens=required}): a GET without a valid token gets 401. */
    REQUIRED,
    /** The EC2 default ({@code HttpTokens=optional}): no token is fine, a bad one gets 401. */
    OPTIONAL,
    /** An IMDSv1-only host or proxy: token PUTs are refused (see {@link #v1Only(int)}). */
    V1_ONLY,
    /** Token PUTs never get an answer (until close), e.g. a hop limit too low; GET as OPTIONAL. */
    TOKEN_HANGS
  }

  static final String TOKEN_HEADER = "x-aws-ec2-metadata-token";
  static final String TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds";
  private static final int MAX_TTL_SECONDS = 21_600;
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> roles = new TreeMap<>();
  private final List<ImdsRequest> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final HttpServer server;
  private Clock clock = Clock.systemUTC();
  private TokenMode tokenMode = TokenMode.OPTIONAL;
  private int refusalStatus = 403;
  private String region = "eu-west-1";
  private String instanceId = "i-0abc1234567890def";

  private FakeInstanceMetadata(int port) {
    server = LoopbackServers.start(port, "fake-imds", this::handle);
  }

  public static FakeInstanceMetadata start() {
    return start(0);
  }

  public static FakeInstanceMetadata start(int port) {
    return new FakeInstanceMetadata(port);
  }

  /** {@code http://127.0.0.1:PORT}, the form AWS_EC2_METADATA_SERVICE_ENDPOINT takes. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + LoopbackServers.port(server));
  }

  /** Default eu-west-1; the availability zone is this plus "a". */
  public synchronized FakeInstanceMetadata region(String newRegion) {
    region = Objects.requireNonNull(newRegion, "region");
    return this;
  }

  public synchronized FakeInstanceMetadata instanceId(String newInstanceId) {
    instanceId = Objects.requireNonNull(newInstanceId, "instanceId");
    return this;
  }

  /** Adds or replaces an instance-profile role and the credentials IMDS hands out for it. */
  public synchronized FakeInstanceMetadata role(
      String name, String accessKeyId, String secret, String token, Instant expiration) {
    ObjectNode credentials = JsonTexts.MAPPER.createObjectNode();
    credentials.put("Code", "Success");
    credentials.put("LastUpdated", SECONDS.format(clock.instant()));
    credentials.put("Type", "AWS-HMAC");
    credentials.put("AccessKeyId", accessKeyId);
    credentials.put("SecretAccessKey", secret);
    credentials.put("Token", token);
    credentials.put("Expiration", SECONDS.format(expiration));
    roles.put(name, credentials);
    return this;
  }

  public synchronized FakeInstanceMetadata tokenMode(TokenMode mode) {
    tokenMode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /** {@link TokenMode#V1_ONLY}, refusing token PUTs with {@code status} (403, 404 or 405). */
  public synchronized FakeInstanceMetadata v1Only(int status) {
    tokenMode = TokenMode.V1_ONLY;
    refusalStatus = status;
    return this;
  }

  /** The clock for token expiry and credential timestamps; system UTC unless replaced. */
  public synchronized FakeInstanceMetadata clock(Clock newClock) {
    clock = Objects.requireNonNull(newClock, "clock");
    return this;
  }

  public List<ImdsRequest> requests() {
    return List.copyOf(requests);
  }

  public void clearRequests() {
    requests.clear();
  }

  @Override
  public void close() {
    closed.countDown();
    LoopbackServers.stop(server);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      ImdsRequest request =
          new ImdsRequest(
              exchange.getRequestMethod(),
              exchange.getRequestURI().getPath(),
              HttpExchanges.lowerCaseHeaders(exchange.getRequestHeaders()));
      requests.add(request);
      HttpExchanges.readBody(exchange);
      Answer answer = "PUT".equals(request.method()) ? putToken(request) : get(request);
      if (answer != null) {
        answer.headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        HttpExchanges.send(exchange, answer.status, answer.contentType, answer.body);
      }
    }
  }

  /** Returns null when the answer must never come. */
  private Answer putToken(ImdsRequest request) {
    TokenMode mode = mode();
    if (!request.path().equals("/latest/api/token")) {
      return Answer.text(405, "");
    }
    if (mode == TokenMode.TOKEN_HANGS) {
      awaitClose();
      return null;
    }
    if (mode == TokenMode.V1_ONLY) {
      return Answer.text(refusalStatus(), "");
    }
    if (request.headers().containsKey("x-forwarded-for")) {
      return Answer.text(403, "");
    }
    return issueToken(request.headers().get(TTL_HEADER));
  }

  private Answer issueToken(String ttlText) {
    int ttl;
    try {
      ttl = Integer.parseInt(ttlText == null ? "" : ttlText.trim());
    } catch (NumberFormatException e) {
      return Answer.text(400, "");
    }
    if (ttl < 1 || ttl > MAX_TTL_SECONDS) {
      return Answer.text(400, "");
    }
    String token = "fake-imds-token-" + UUID.randomUUID();
    tokens.put(token, now().plusSeconds(ttl));
    return Answer.text(200, token).header(TTL_HEADER, Integer.toString(ttl));
  }

  private Answer get(ImdsRequest request) {
    if (!tokenAccepted(request.token())) {
      return Answer.text(401, "");
    }
    return content(request.path()).map(body -> Answer.text(200, body)).orElse(notFound());
  }

  private boolean tokenAccepted(String token) {
    TokenMode mode = mode();
    if (mode == TokenMode.V1_ONLY) {
      return true;
    }
    if (token == null) {
      return mode != TokenMode.REQUIRED;
    }
    Instant expiry = tokens.get(token);
    return expiry != null && now().isBefore(expiry);
  }

  private synchronized Optional<String> content(String path) {
    switch (path) {
      case "/latest/meta-data/instance-id":
        return Optional.of(instanceId);
      case "/latest/meta-data/placement/region":
        return Optional.of(region);
      case "/latest/meta-data/placement/availability-zone":
        return Optional.of(region + "a");
      case "/latest/meta-data/iam/security-credentials/":
        return roles.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", roles.keySet()));
      case "/latest/dynamic/instance-identity/document":
        return Optional.of(identityDocument());
      default:
        String prefix = "/latest/meta-data/iam/security-credentials/";
        if (path.startsWith(prefix) && roles.containsKey(path.substring(prefix.length()))) {
          return Optional.of(pretty(roles.get(path.substring(prefix.length()))));
        }
        return Optional.empty();
    }
  }

  private String identityDocument() {
    ObjectNode doc = JsonTexts.MAPPER.createObjectNode();
    doc.put("accountId", "123456789012");
    doc.put("architecture", "x86_64");
    doc.put("availabilityZone", region + "a");
    doc.put("imageId", "ami-0123456789abcdef0");
    doc.put("instanceId", instanceId);
    doc.put("instanceType", "t3.medium");
    doc.put("pendingTime", "2024-01-01T00:00:00Z");
    doc.put("privateIp", "10.0.0.10");
    doc.put("region", region);
    doc.put("version", "2017-09-30");
    return pretty(doc);
  }

  private static String pretty(ObjectNode node) {
    try {
      return JsonTexts.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  private Answer notFound() {
    return Answer.text(404, "");
  }

  private synchronized TokenMode mode() {
    return tokenMode;
  }

  private synchronized int refusalStatus() {
    return refusalStatus;
  }

  private synchronized Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private void awaitClose() {
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A status, a text body and extra headers. */
  private static final class Answer {
    final int status;
    final String body;
    final String contentType = "text/plain";
    final Map<String, String> headers = new TreeMap<>();

    private Answer(int status, String body) {
      this.status = status;
      this.body = body;
    }

    static Answer text(int status, String body) {
      return new Answer(status, body);
    }

    Answer header(String name, String value) {
      headers.put(name, value);
      return this;
    }
  }
}
