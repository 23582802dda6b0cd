package dev.hupd.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import dev.hupd.rollout.StoreException.Kind;
import dev.hupd.testing.FakeSsm;
import dev.hupd.testing.FakeSsmModel;
import dev.hupd.testing.SsmServiceError;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** {@link SsmRolloutStore} against {@link FakeSsm} over HTTP, on the fake's virtual clock. */
class SsmRolloutStoreTest {

  private static final long START_MS = 1_700_000_000_456L;

  private final AtomicLong clock = new AtomicLong(START_MS);
  private final FakeSsmModel model =
      new FakeSsmModel(clock::get, "us-east-1")
          .putTps(Double.POSITIVE_INFINITY)
          .getTps(Double.POSITIVE_INFINITY);
  private FakeSsm fake;
  private SsmRolloutStore store;

  @BeforeEach
  void start() {
    fake = FakeSsm.start(model, 0);
    store = open(fake.endpoint());
  }

  @AfterEach
  void stop() {
    store.close();
    fake.close();
  }

  @Test
  void create_writesVersionOne_andASecondCreateIsAlreadyExistsNamingTheParameter()
      throws Exception {
    long version = store.create("/hupd/fleet/lease/1", "agent-a");

    StoreException e =
        catchThrowableOfType(
            () -> store.create("/hupd/fleet/lease/1", "agent-b"), StoreException.class);

    assertThat(version).isEqualTo(1);
    assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS);
    assertThat(e.getMessage()).contains("/hupd/fleet/lease/1").contains("ParameterAlreadyExists");
    assertThat(get("/hupd/fleet/lease/1").value()).isEqualTo("agent-a");
  }

  @Test
  void createAndOverwrite_sendStandardTierStringParameters() throws Exception {
    store.create("/hupd/a", "1");
    store.overwrite("/hupd/a", "2");

    List<String> bodies = fake.requests().stream().map(FakeSsm.Request::body).toList();

    assertThat(bodies.get(0))
        .contains("\"Type\":\"String\"")
        .contains("\"Tier\":\"Standard\"")
        .contains("\"Overwrite\":false");
    assertThat(bodies.get(1)).contains("\"Overwrite\":true");
  }

  @Test
  void overwrite_countsVersionsUp_andCreatesAnAbsentName() throws Exception {
    long first = store.overwrite("/hupd/status/agent-7", "idle");
    clock.addAndGet(1500);
    long second = store.overwrite("/hupd/status/agent-7", "busy");

    RolloutStore.Entry entry = get("/hupd/status/agent-7");

    assertThat(first).isEqualTo(1);
    assertThat(second).isEqualTo(2);
    assertThat(entry)
        .isEqualTo(new RolloutStore.Entry("/hupd/status/agent-7", "busy", 2, START_MS + 1500));
  }

  @Test
  void get_leavesAbsentNamesOut() throws Exception {
    store.create("/hupd/x", "X");

    Map<String, RolloutStore.Entry> found = store.get(List.of("/hupd/x", "/hupd/absent"));

    assertThat(found).containsOnlyKeys("/hupd/x");
    assertThat(store.get(List.of())).isEmpty();
  }

  @Test
  void get_ofMoreThanTenNames_isInvalidWithoutACall() {
    List<String> names = IntStream.range(0, 11).mapToObj(i -> "/n/" + i).toList();

    StoreException e = catchThrowableOfType(() -> store.get(names), StoreException.class);

    assertThat(e.kind()).isEqualTo(Kind.INVALID);
    assertThat(fake.requests()).isEmpty();
  }

  @Test
  void list_followsShortAndEmptyPages_toEveryNameExactlyOnce() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      String name = String.format("/hupd/fleet/agents/%s/a%02d", i % 2 == 0 ? "x" : "y", i);
      store.create(name, "v" + i);
      expected.add(name);
    }
    store.create("/hupd/fleet/other", "not listed");
    model.shortPages(true).seed(3);

    List<String> seen = new ArrayList<>();
    int pages = 0;
    Optional<String> token = Optional.empty();
    do {
      RolloutStore.Page page = store.list("/hupd/fleet/agents", token);
      assertThat(page.entries()).hasSizeLessThanOrEqualTo(RolloutStore.MAX_BATCH);
      page.entries().forEach(e -> seen.add(e.name()));
      token = page.next();
      pages++;
    } while (token.isPresent());

    assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(pages).isGreaterThan(3);
  }

  @Test
  void delete_removesNames_andIgnoresAbsentOnes() throws Exception {
    store.create("/hupd/d/1", "a");
    store.create("/hupd/d/2", "b");

    store.delete(List.of("/hupd/d/1", "/hupd/d/none"));

    assertThat(store.get(List.of("/hupd/d/1", "/hupd/d/2"))).containsOnlyKeys("/hupd/d/2");
  }

  @Test
  void createRightAfterDelete_isThrottledNotAlreadyExists() throws Exception {
    store.create("/hupd/d/1", "a");
    store.delete(List.of("/hupd/d/1"));

    StoreException e =
        catchThrowableOfType(() -> store.create("/hupd/d/1", "b"), StoreException.class);

    assertThat(e.kind()).isEqualTo(Kind.THROTTLED);
    assertThat(e.getMessage()).contains("/hupd/d/1");
  }

  @Test
  void label_movesTheLabel_andABadLabelIsInvalid() throws Exception {
    store.create("/hupd/manifest", "m1");
    store.overwrite("/hupd/manifest", "m2");

    store.label("/hupd/manifest", 1, "approved");
    store.label("/hupd/manifest", 2, "approved");
    StoreException e =
        catchThrowableOfType(
            () -> store.label("/hupd/manifest", 2, "9lives"), StoreException.class);

    assertThat(fake.model().getParameter("test", "/hupd/manifest:approved").value())
        .isEqualTo("m2");
    assertThat(e.kind()).isEqualTo(Kind.INVALID);
    assertThat(e.getMessage()).contains("/hupd/manifest").contains("9lives");
  }

  @Test
  void valueTooLong_isInvalidNamingTheParameter() {
    String value = "x".repeat(RolloutStore.MAX_VALUE + 1);

    StoreException e =
        catchThrowableOfType(() -> store.create("/hupd/big", value), StoreException.class);

    assertThat(e.kind()).isEqualTo(Kind.INVALID);
    assertThat(e.getMessage())
        .contains("/hupd/big")
        .contains("ValidationException")
        .contains("maximum parameter value of 4096 characters");
  }

  static List<Arguments> faults() {
    return List.of(
        Arguments.of("throttled", (Consumer<FakeSsmModel>) m -> m.throttleNext(1), Kind.THROTTLED),
        Arguments.of("HTTP 500", (Consumer<FakeSsmModel>) m -> m.failNext(1, 500), Kind.TRANSIENT),
        Arguments.of("HTTP 503", (Consumer<FakeSsmModel>) m -> m.failNext(1, 503), Kind.TRANSIENT),
        Arguments.of("access denied", error(400, "AccessDeniedException"), Kind.DENIED),
        Arguments.of("bad key", error(400, "UnrecognizedClientException"), Kind.DENIED),
        Arguments.of("expired", error(400, "ExpiredTokenException"), Kind.DENIED),
        Arguments.of("bad signature", error(403, "InvalidSignatureException"), Kind.DENIED),
        Arguments.of("invalid", error(400, "ValidationException"), Kind.INVALID),
        Arguments.of("not found", error(400, "ParameterNotFound"), Kind.INVALID));
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("faults")
  void serviceErrors_mapToKinds_andNameTheParameter(
      String what, Consumer<FakeSsmModel> arm, Kind expected) {
    arm.accept(model);

    StoreException onGet =
        catchThrowableOfType(() -> store.get(List.of("/hupd/k")), StoreException.class);
    arm.accept(model);
    StoreException onPut =
        catchThrowableOfType(() -> store.overwrite("/hupd/k", "v"), StoreException.class);

    assertThat(onGet.kind()).isEqualTo(expected);
    assertThat(onGet.getMessage()).contains("/hupd/k").contains("GetParameters");
    assertThat(onPut.kind()).isEqualTo(expected);
    assertThat(onPut.getMessage()).contains("/hupd/k").contains("PutParameter");
  }

  @Test
  void quotaExceeded_isThrottled() throws Exception {
    model.putTps(1);
    store.create("/hupd/q/1", "a");

    StoreException e =
        catchThrowableOfType(() -> store.create("/hupd/q/2", "b"), StoreException.class);

    assertThat(e.kind()).isEqualTo(Kind.THROTTLED);
    assertThat(e.retryable()).isTrue();
  }

  @Test
  void nothingListening_isTransient() throws Exception {
    URI closed;
    try (ServerSocket socket = new ServerSocket(0, 1, fakeLoopback())) {
      closed = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
    }
    try (SsmRolloutStore unreachable = open(closed)) {
      StoreException e =
          catchThrowableOfType(() -> unreachable.get(List.of("/hupd/gone")), StoreException.class);

      assertThat(e.kind()).isEqualTo(Kind.TRANSIENT);
      assertThat(e.getMessage()).contains("/hupd/gone").contains(closed.toString());
    }
  }

  @ParameterizedTest(name = "code={0} status={2} -> {3}")
  @CsvSource({
    "ParameterAlreadyExists, '', 400, ALREADY_EXISTS",
    "ThrottlingException, Rate exceeded, 400, THROTTLED",
    "SomethingNew, Rate exceeded, 400, THROTTLED",
    "TooManyUpdates, '', 400, THROTTLED",
    "'', '', 429, THROTTLED",
    "InternalServerError, '', 500, TRANSIENT",
    "AccessDeniedException, '', 400, DENIED",
    "SignatureDoesNotMatch, '', 403, DENIED",
    "InvalidClientTokenId, '', 403, DENIED",
    "HierarchyLevelLimitExceededException, '', 400, INVALID",
    "ParameterMaxVersionLimitExceeded, '', 400, INVALID",
  })
  void kind_followsCodeMessageAndStatus(String code, String message, int status, Kind kind) {
    assertThat(SsmRolloutStore.kind(code.isEmpty() ? null : code, message, status)).isEqualTo(kind);
  }

  @Test
  void description_namesRegionAndEndpoint() {
    assertThat(store.description()).isEqualTo("ssm region=us-east-1 endpoint=" + fake.endpoint());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "eu-west-1, https://ssm.eu-west-1.amazonaws.com",
    "cn-north-1, https://ssm.cn-north-1.amazonaws.com.cn",
  })
  void ssmEndpoint_derivesFromTheRegion(String region, String expected) {
    assertThat(Endpoints.ssm(region, Optional.empty())).isEqualTo(URI.create(expected));
    assertThat(Endpoints.ssm(region, Optional.of(URI.create("http://127.0.0.1:9/"))))
        .isEqualTo(URI.create("http://127.0.0.1:9/"));
  }

  private static Consumer<FakeSsmModel> error(int status, String code) {
    return m -> m.failNext(1, new SsmServiceError(status, code, "from the fake: " + code));
  }

  private RolloutStore.Entry get(String name) throws StoreException {
    return store.get(List.of(name)).get(name);
  }

  private static SsmRolloutStore open(URI endpoint) {
    return SsmRolloutStore.create(
        "us-east-1",
        endpoint,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")),
        Optional.empty());
  }

  private static java.net.InetAddress fakeLoopback() throws IOException {
    return java.net.InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
  }
}
