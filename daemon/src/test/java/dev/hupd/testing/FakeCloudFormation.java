package dev.hupd.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stateful stand-in for the CloudFormation API on 127.0.0.1, speaking the real wire protocol so
 * that the AWS SDK, the AWS CLI and cfn-hup-style JSON callers can all be pointed at it.
 *
 * <p>It serves one stack (default name {@value FakeStack#DEFAULT_NAME}) and answers {@code
 * DescribeStackResource} and {@code DescribeStackResources} in both shapes the service offers: the
 * documented Query XML (form POST, as the SDKs send it) and the JSON variant real cfn-hup asks for
 * with {@code ContentType=JSON}. Errors, throttling, server failures, slow answers and dropped
 * connections can be switched on per call. Every request is recorded for assertions.
 *
 * <p>Deliberate simplifications: signatures are recorded, never verified; a {@code DELETE_COMPLETE}
 * resource keeps its {@code PhysicalResourceId} and timestamp, as the real API reference documents
 * the fields (only cfn-hup itself maps them to "absent" for that status).
 */
public final class FakeCloudFormation implements AutoCloseable {

  /** Type given to resources a test or a metadata folder creates without saying otherwise. */
  public static final String DEFAULT_RESOURCE_TYPE = "AWS::EC2::LaunchTemplate";

  public static final String DEFAULT_STATUS = "CREATE_COMPLETE";

  private final FakeStack stack = new FakeStack();
  private final FaultSwitches faults = new FaultSwitches();
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  private FakeCloudFormation(int port) {
    server =
        LoopbackServers.start(
            port, "fake-cfn", new CloudFormationHandler(stack, faults, requests::add));
  }

  /** Starts on an ephemeral port of 127.0.0.1. */
  public static FakeCloudFormation start() {
    return start(0);
  }

  /** Starts on {@code port} of 127.0.0.1 (0 = ephemeral). */
  public static FakeCloudFormation start(int port) {
    return new FakeCloudFormation(port);
  }

  /** {@code http://127.0.0.1:PORT/}, for the SDK's endpointOverride or the CLI's --endpoint-url. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + LoopbackServers.port(server) + "/");
  }

  /** Runs {@code main} for manual and benchmark use; see {@link FakeCloudFormationLauncher}. */
  public static void main(String[] args) throws Exception {
    int status = FakeCloudFormationLauncher.run(args, System.in, System.out);
    if (status != 0) {
      System.exit(status);
    }
  }

  @Override
  public void close() {
    LoopbackServers.stop(server);
  }

  // ---- the stack and its resources

  /** Renames the served stack; its id follows. */
  public FakeCloudFormation stack(String name) {
    stack.name(name);
    return this;
  }

  public String stackName() {
    return stack.name();
  }

  /** {@code arn:aws:cloudformation:eu-west-1:123456789012:stack/<name>/<fixed uuid>}. */
  public String stackId() {
    return stack.stackId();
  }

  /** The clock that stamps resource changes; the system UTC clock unless replaced. */
  public FakeCloudFormation clock(Clock clock) {
    stack.clock(clock);
    return this;
  }

  /** The resource with this logical id, created (CREATE_COMPLETE, no Metadata) if absent. */
  public Resource resource(String logicalId) {
    return stack.resource(logicalId);
  }

  /** Removes a resource; later calls for it get "Resource ... does not exist for stack ...". */
  public boolean removeResource(String logicalId) {
    return stack.remove(logicalId);
  }

  /**
   * Makes each {@code <LogicalId>.json} file in {@code dir} that resource's Metadata. Only
   * resources whose Metadata changed get a new LastUpdatedTimestamp.
   *
   * @return the logical ids found in the folder
   */
  public List<String> loadMetadataDir(Path dir) throws IOException {
    return StackFiles.loadMetadataDir(this, dir);
  }

  /**
   * Loads {@code {"StackName":..,"Resources":{"Id":{"ResourceType","PhysicalResourceId",
   * "ResourceStatus","LastUpdatedTimestamp" (ISO-8601),"Metadata":{..}}}}}; every field is optional
   * and resources not named in the file are kept.
   */
  public FakeCloudFormation loadStackFile(Path file) throws IOException {
    StackFiles.loadStackFile(this, file);
    return this;
  }

  // ---- fault switches

  /** The next {@code count} requests get HTTP 400 Sender {@code Throttling} "Rate exceeded". */
  public FakeCloudFormation throttleNext(int count) {
    faults.throttleNext(count);
    return this;
  }

  /**
   * The next {@code count} requests get {@code httpStatus} (5xx) with Receiver code {@code
   * ServiceUnavailable} for 503, {@code InternalFailure} otherwise.
   */
  public FakeCloudFormation failNext(int count, int httpStatus) {
    faults.failNext(count, httpStatus);
    return this;
  }

  /** While on, every request gets HTTP 403 Sender {@code AccessDenied} naming the stack id. */
  public FakeCloudFormation accessDenied(boolean denied) {
    faults.accessDenied(denied);
    return this;
  }

  /** Every answer (or fault) is sent only after this long; zero turns it off. */
  public FakeCloudFormation delay(Duration delay) {
    faults.delay(delay);
    return this;
  }

  /** The next {@code count} connections are closed without a byte of response. */
  public FakeCloudFormation dropConnectionsNext(int count) {
    faults.dropConnectionsNext(count);
    return this;
  }

  /** Turns every fault switch off; the stack and the recorded requests are kept. */
  public FakeCloudFormation reset() {
    faults.reset();
    return this;
  }

  // ---- recording

  /** Every request received so far, oldest first, including faulted and dropped ones. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  public void clearRequests() {
    requests.clear();
  }

  /** How many DescribeStackResource requests named this logical id. */
  public int describeCalls(String logicalId) {
    return (int)
        requests.stream()
            .filter(r -> "DescribeStackResource".equals(r.action()))
            .filter(r -> logicalId.equals(r.logicalId()))
            .count();
  }

  /**
   * One resource of the fake stack. Setters are fluent and thread-safe; changing Metadata or status
   * stamps LastUpdatedTimestamp with the stack's clock (milliseconds), the way a stack update does,
   * unless {@link #lastUpdated(Instant)} is called afterwards.
   */
  public static final class Resource {

    private final FakeStack stack;
    private final String logicalId;
    private String type = DEFAULT_RESOURCE_TYPE;
    private String physicalId;
    private String status = DEFAULT_STATUS;
    private String metadata;
    private Instant lastUpdated;

    Resource(FakeStack stack, String logicalId, Instant created) {
      this.stack = stack;
      this.logicalId = logicalId;
      this.physicalId = defaultPhysicalId(logicalId);
      this.lastUpdated = created;
    }

    public Resource type(String newType) {
      synchronized (stack) {
        type = Objects.requireNonNull(newType, "type");
      }
      return this;
    }

    /** Null removes PhysicalResourceId from answers. */
    public Resource physicalId(String newPhysicalId) {
      synchronized (stack) {
        physicalId = newPhysicalId;
      }
      return this;
    }

    /** E.g. UPDATE_IN_PROGRESS, UPDATE_COMPLETE, DELETE_COMPLETE. */
    public Resource status(String newStatus) {
      Objects.requireNonNull(newStatus, "status");
      synchronized (stack) {
        status = newStatus;
        lastUpdated = stack.now();
      }
      return this;
    }

    /**
     * Sets Metadata from JSON text, stored compacted as the service re-serialises it; null removes
     * the Metadata element.
     *
     * @throws IllegalArgumentException if the text is not JSON
     */
    public Resource metadata(String json) {
      String compact = json == null ? null : JsonTexts.compact(json);
      synchronized (stack) {
        metadata = compact;
        lastUpdated = stack.now();
      }
      return this;
    }

    public Resource lastUpdated(Instant instant) {
      synchronized (stack) {
        lastUpdated = Objects.requireNonNull(instant, "instant");
      }
      return this;
    }

    public String logicalId() {
      return logicalId;
    }

    public String type() {
      synchronized (stack) {
        return type;
      }
    }

    public String physicalId() {
      synchronized (stack) {
        return physicalId;
      }
    }

    public String status() {
      synchronized (stack) {
        return status;
      }
    }

    /** The stored (compacted) Metadata JSON, or null. */
    public String metadata() {
      synchronized (stack) {
        return metadata;
      }
    }

    public Instant lastUpdated() {
      synchronized (stack) {
        return lastUpdated;
      }
    }

    ResourceSnapshot snapshot(String stackName, String stackId) {
      synchronized (stack) {
        return new ResourceSnapshot(
            stackName, stackId, logicalId, physicalId, type, status, metadata, lastUpdated);
      }
    }

    /** {@code lt-} and 17 hex digits derived from the logical id: stable across runs. */
    static String defaultPhysicalId(String logicalId) {
      try {
        byte[] hash =
            MessageDigest.getInstance("SHA-256").digest(logicalId.getBytes(StandardCharsets.UTF_8));
        return "lt-" + HexFormat.of().formatHex(hash).substring(0, 17);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }
  }
}
