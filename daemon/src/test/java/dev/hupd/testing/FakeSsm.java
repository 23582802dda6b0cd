package dev.hupd.testing;

import com.sun.net.httpserver.HttpServer;
import dev.hupd.testing.FakeSsmModel.Operation;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for SSM Parameter Store on 127.0.0.1, speaking the real AWS JSON 1.1 protocol so that
 * the AWS SDK v2 {@code SsmClient} and the AWS CLI can be pointed at it.
 *
 * <p>The state, rules, quotas and faults live in {@link FakeSsmModel} (usable without HTTP, on a
 * virtual clock); this class only serves it, adds a per-call latency, refuses a PutParameter of a
 * name another PutParameter is still writing (TooManyUpdates), and records the requests.
 *
 * <p>Deliberate simplifications: signatures are parsed for the access key id, never verified.
 */
public final class FakeSsm implements AutoCloseable {

  /** How many requests {@link #requests()} keeps, newest last, so long benchmarks stay bounded. */
  public static final int MAX_RECORDED = 10_000;

  private final FakeSsmModel model;
  private final Deque<Request> requests = new ArrayDeque<>();
  private volatile Duration delay = Duration.ZERO;
  private final HttpServer server;

  private FakeSsm(FakeSsmModel model, int port) {
    this.model = Objects.requireNonNull(model, "model");
    server =
        LoopbackServers.start(port, "fake-ssm", new SsmHandler(model, this::delay, this::record));
  }

  /** Starts on an ephemeral port of 127.0.0.1 over a new model on the system clock. */
  public static FakeSsm start() {
    return start(new FakeSsmModel(), 0);
  }

  /** Serves {@code model} on {@code port} of 127.0.0.1 (0 = ephemeral). */
  public static FakeSsm start(FakeSsmModel model, int port) {
    return new FakeSsm(model, port);
  }

  /** {@code http://127.0.0.1:PORT/}, for the SDK's endpointOverride or the CLI's --endpoint-url. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + LoopbackServers.port(server) + "/");
  }

  /** The served state, its switches and its counters. */
  public FakeSsmModel model() {
    return model;
  }

  /** Runs {@code main} for manual and benchmark use; see {@link FakeSsmLauncher}. */
  public static void main(String[] args) throws Exception {
    int status = FakeSsmLauncher.run(args, System.in, System.out);
    if (status != 0) {
      System.exit(status);
    }
  }

  @Override
  public void close() {
    LoopbackServers.stop(server);
  }

  /** Every answer (or error) is sent only after this long; zero turns it off. */
  public FakeSsm delay(Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, got " + value);
    }
    delay = value;
    return this;
  }

  Duration delay() {
    return delay;
  }

  /** The last {@link #MAX_RECORDED} requests received, oldest first, faulted ones included. */
  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  public void clearRequests() {
    synchronized (requests) {
      requests.clear();
    }
  }

  /** How many recorded requests called {@code op}. */
  public long requestsFor(Operation op) {
    return requests().stream().filter(r -> op.wireName().equals(r.operation())).count();
  }

  private void record(Request request) {
    synchronized (requests) {
      if (requests.size() == MAX_RECORDED) {
        requests.removeFirst();
      }
      requests.addLast(request);
    }
  }

  /**
   * One request as received.
   *
   * @param method HTTP method ({@code POST} for every real client)
   * @param headers request headers, names lower-cased
   * @param operation the part of {@code X-Amz-Target} after {@code AmazonSSM.}, or null
   * @param accessKeyId the access key of the SigV4 credential scope, or null when unsigned
   * @param region the region of the SigV4 credential scope, or null when unsigned
   * @param body the JSON request body
   */
  public record Request(
      String method,
      Map<String, String> headers,
      String operation,
      String accessKeyId,
      String region,
      String body) {

    /** {@code Credential=AKID/20240101/us-east-1/ssm/aws4_request}. */
    private static final Pattern CREDENTIAL_SCOPE =
        Pattern.compile("Credential=([^/,\\s]+)/\\d{8}/([^/,\\s]+)/[^/,\\s]+/aws4_request");

    public Request {
      headers = Map.copyOf(headers);
    }

    static Request of(String method, Map<String, String> headers, String body) {
      String target = headers.get("x-amz-target");
      String operation =
          target != null && target.startsWith(SsmHandler.TARGET_PREFIX)
              ? target.substring(SsmHandler.TARGET_PREFIX.length())
              : null;
      Matcher scope = CREDENTIAL_SCOPE.matcher(headers.getOrDefault("authorization", ""));
      boolean signed = scope.find();
      return new Request(
          method,
          headers,
          operation,
          signed ? scope.group(1) : null,
          signed ? scope.group(2) : null,
          body);
    }

    /** The {@code X-Amz-Target} header, e.g. {@code AmazonSSM.GetParameters}. */
    public String target() {
      return headers.get("x-amz-target");
    }

    public String contentType() {
      return headers.get("content-type");
    }
  }
}
