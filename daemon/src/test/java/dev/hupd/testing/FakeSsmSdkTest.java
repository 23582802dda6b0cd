package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.aws.HttpClients;
import dev.hupd.testing.FakeSsmModel.Counts;
import dev.hupd.testing.FakeSsmModel.Operation;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DeleteParametersResponse;
import software.amazon.awssdk.services.ssm.model.GetParameterHistoryResponse;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.HierarchyLevelLimitExceededException;
import software.amazon.awssdk.services.ssm.model.InternalServerErrorException;
import software.amazon.awssdk.services.ssm.model.LabelParameterVersionResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterHistory;
import software.amazon.awssdk.services.ssm.model.ParameterMaxVersionLimitExceededException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterTier;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.ParameterVersionLabelLimitExceededException;
import software.amazon.awssdk.services.ssm.model.ParameterVersionNotFoundException;
import software.amazon.awssdk.services.ssm.model.PutParameterResponse;
import software.amazon.awssdk.services.ssm.model.SsmException;
import software.amazon.awssdk.services.ssm.model.ThrottlingException;
import software.amazon.awssdk.services.ssm.model.TooManyUpdatesException;
import software.amazon.awssdk.services.ssm.model.ValidationException;

/**
 * Drives {@link FakeSsm} with the AWS SDK v2 {@code SsmClient} (retries off) on a virtual clock, so
 * every quota and staleness case is decided by the test, never by timing.
 */
class FakeSsmSdkTest {

  private static final long START_MS = 1_700_000_000_123L;
  private static final String AGENT = "AKIDAGENT0001";

  private final AtomicLong clock = new AtomicLong(START_MS);
  private final FakeSsmModel model = new FakeSsmModel(clock::get, "us-east-1");
  private FakeSsm fake;
  private SsmClient ssm;

  @BeforeEach
  void start() {
    fake = FakeSsm.start(model, 0);
    ssm = client(AGENT);
  }

  @AfterEach
  void stop() {
    ssm.close();
    fake.close();
  }

  // ---- create, read, overwrite

  @Test
  void putThenGet_returnsVersionOneWithEveryField() {
    PutParameterResponse put =
        ssm.putParameter(r -> r.name("/hupd/fleet/a").value("v1").type(ParameterType.STRING));

    Parameter p = ssm.getParameter(r -> r.name("/hupd/fleet/a")).parameter();

    assertThat(put.version()).isEqualTo(1);
    assertThat(put.tier()).isEqualTo(ParameterTier.STANDARD);
    assertThat(p.name()).isEqualTo("/hupd/fleet/a");
    assertThat(p.value()).isEqualTo("v1");
    assertThat(p.version()).isEqualTo(1);
    assertThat(p.type()).isEqualTo(ParameterType.STRING);
    assertThat(p.dataType()).isEqualTo("text");
    assertThat(p.arn()).isEqualTo("arn:aws:ssm:us-east-1:123456789012:parameter/hupd/fleet/a");
    assertThat(p.lastModifiedDate()).isEqualTo(Instant.ofEpochMilli(START_MS));
    assertThat(p.selector()).isNull();
  }

  @Test
  void secureString_isReturnedInClearOnlyWithDecryption() {
    ssm.putParameter(
        r -> r.name("/ci/token").value("s3cr3t-value").type(ParameterType.SECURE_STRING));

    Parameter clear = ssm.getParameter(r -> r.name("/ci/token").withDecryption(true)).parameter();
    Parameter sealed = ssm.getParameter(r -> r.name("/ci/token")).parameter();
    List<Parameter> listed =
        ssm.getParametersByPath(r -> r.path("/ci").withDecryption(false)).parameters();
    List<Parameter> fetched =
        ssm.getParameters(r -> r.names("/ci/token").withDecryption(true)).parameters();

    assertThat(clear.type()).isEqualTo(ParameterType.SECURE_STRING);
    assertThat(clear.value()).isEqualTo("s3cr3t-value");
    assertThat(sealed.type()).isEqualTo(ParameterType.SECURE_STRING);
    assertThat(sealed.value()).startsWith("AQICAH").doesNotContain("s3cr3t-value");
    assertThat(listed).singleElement().extracting(Parameter::value).isEqualTo(sealed.value());
    assertThat(fetched).singleElement().extracting(Parameter::value).isEqualTo("s3cr3t-value");
  }

  @Test
  void stringParameter_isReturnedInClearWithOrWithoutDecryption() {
    ssm.putParameter(r -> r.name("/ci/plain").value("v").type(ParameterType.STRING));

    assertThat(ssm.getParameter(r -> r.name("/ci/plain")).parameter().value()).isEqualTo("v");
    assertThat(ssm.getParameter(r -> r.name("/ci/plain").withDecryption(true)).parameter().value())
        .isEqualTo("v");
  }

  @Test
  void requests_areAwsJson11SignedWithTheCallersKey() {
    ssm.getParameters(r -> r.names("/x"));

    FakeSsm.Request request = fake.requests().get(0);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.contentType()).isEqualTo("application/x-amz-json-1.1");
    assertThat(request.target()).isEqualTo("AmazonSSM.GetParameters");
    assertThat(request.accessKeyId()).isEqualTo(AGENT);
    assertThat(request.region()).isEqualTo("us-east-1");
    assertThat(request.body()).isEqualTo("{\"Names\":[\"/x\"]}");
  }

  @Test
  void createOfAnExistingName_failsWithParameterAlreadyExists() {
    create("/hupd/lock/1", "mine");

    ParameterAlreadyExistsException e =
        catchThrowableOfType(
            () -> create("/hupd/lock/1", "theirs"), ParameterAlreadyExistsException.class);

    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ParameterAlreadyExists");
    assertThat(value("/hupd/lock/1")).isEqualTo("mine");
  }

  @Test
  void overwrite_countsVersionsUp_andOldVersionsStayReadableBySelector() {
    create("/p", "one");
    overwrite("/p", "two");
    long third = overwrite("/p", "three");

    Parameter second = ssm.getParameter(r -> r.name("/p:2")).parameter();

    assertThat(third).isEqualTo(3);
    assertThat(value("/p")).isEqualTo("three");
    assertThat(second.value()).isEqualTo("two");
    assertThat(second.version()).isEqualTo(2);
    assertThat(second.selector()).isEqualTo(":2");
    assertThat(second.name()).isEqualTo("/p");
    assertThatThrownBy(() -> ssm.getParameter(r -> r.name("/p:9")))
        .isInstanceOf(ParameterVersionNotFoundException.class);
  }

  @Test
  void getOfAMissingName_isParameterNotFound() {
    assertThatThrownBy(() -> ssm.getParameter(r -> r.name("/nothing")))
        .isInstanceOf(ParameterNotFoundException.class)
        .hasMessageContaining("/nothing");
  }

  @Test
  void getParameters_sortsByName_andListsMissingNamesAsInvalid() {
    create("/b", "B");
    create("/a", "A");

    GetParametersResponse r = ssm.getParameters(g -> g.names("/b", "/zz", "/a", "/a:7"));

    assertThat(r.parameters()).extracting(Parameter::name).containsExactly("/a", "/b");
    assertThat(r.invalidParameters()).containsExactly("/zz", "/a:7");
  }

  @Test
  void getParameters_ofElevenNames_isAValidationError() {
    List<String> names = IntStream.range(0, 11).mapToObj(i -> "/n" + i).toList();

    assertThatThrownBy(() -> ssm.getParameters(g -> g.names(names)))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("names");
  }

  // ---- labels and the version limit

  @Test
  void labels_moveBetweenVersions_andResolveInReads() {
    create("/r/manifest", "v1");
    overwrite("/r/manifest", "v2");

    label("/r/manifest", 1L, "approved");
    Parameter approved = ssm.getParameter(r -> r.name("/r/manifest:approved")).parameter();
    label("/r/manifest", 2L, "approved");
    Parameter moved = ssm.getParameter(r -> r.name("/r/manifest:approved")).parameter();

    assertThat(approved.value()).isEqualTo("v1");
    assertThat(approved.selector()).isEqualTo(":approved");
    assertThat(moved.value()).isEqualTo("v2");
    assertThat(history("/r/manifest"))
        .extracting(ParameterHistory::labels)
        .containsExactly(List.of(), List.of("approved"));
  }

  @Test
  void labelParameterVersion_returnsInvalidLabels_andAppliesTheValidOnes() {
    create("/r/x", "v1");

    LabelParameterVersionResponse r =
        ssm.labelParameterVersion(
            l -> l.name("/r/x").labels("canary", "1st", "awsy", "ssm-x", "a b", "ok_2"));

    assertThat(r.parameterVersion()).isEqualTo(1);
    assertThat(r.invalidLabels()).containsExactly("1st", "awsy", "ssm-x", "a b");
    assertThat(model.labels("/r/x")).containsOnlyKeys("canary", "ok_2");
  }

  @Test
  void eleventhLabelOnOneVersion_isRefused() {
    create("/r/y", "v1");
    label("/r/y", 1L, "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9");

    assertThatThrownBy(() -> label("/r/y", 1L, "l10"))
        .isInstanceOf(ParameterVersionLabelLimitExceededException.class);
    assertThat(model.labels("/r/y")).hasSize(10);
  }

  @Test
  void readOfAnUnknownLabel_isParameterNotFound() {
    create("/r/z", "v1");

    assertThatThrownBy(() -> ssm.getParameter(r -> r.name("/r/z:nope")))
        .isInstanceOf(ParameterNotFoundException.class);
  }

  @Test
  void hundredAndFirstVersion_dropsTheOldest() {
    model.putTps(Double.POSITIVE_INFINITY);
    create("/v", "0");
    for (int i = 2; i <= FakeSsmModel.MAX_VERSIONS + 1; i++) {
      overwrite("/v", String.valueOf(i));
    }

    List<ParameterHistory> kept = history("/v");

    assertThat(kept).hasSize(100);
    assertThat(kept.get(0).version()).isEqualTo(2);
    assertThat(kept.get(99).version()).isEqualTo(101);
    assertThatThrownBy(() -> ssm.getParameter(r -> r.name("/v:1")))
        .isInstanceOf(ParameterVersionNotFoundException.class);
  }

  @Test
  void aLabelOnTheOldestKeptVersion_blocksTheNextWrite() {
    model.putTps(Double.POSITIVE_INFINITY);
    create("/w", "1");
    for (int i = 2; i <= FakeSsmModel.MAX_VERSIONS; i++) {
      overwrite("/w", String.valueOf(i));
    }
    label("/w", 1L, "rollback");

    ParameterMaxVersionLimitExceededException e =
        catchThrowableOfType(
            () -> overwrite("/w", "101"), ParameterMaxVersionLimitExceededException.class);
    label("/w", 100L, "rollback");
    long written = overwrite("/w", "101");

    assertThat(e.awsErrorDetails().errorMessage()).contains("/w").contains("Version 1");
    assertThat(written).isEqualTo(101);
  }

  // ---- limits

  @Test
  void valueOf4096Characters_isAccepted_4097IsTheStandardTierError() {
    String max = "x".repeat(4096);
    create("/big", max);

    ValidationException e =
        catchThrowableOfType(() -> create("/bigger", max + "x"), ValidationException.class);

    assertThat(value("/big")).hasSize(4096);
    assertThat(e.awsErrorDetails().errorMessage())
        .startsWith(
            "Standard tier parameters support a maximum parameter value of 4096 characters.");
  }

  @Test
  void fifteenLevels_areAccepted_sixteenAreHierarchyLevelLimitExceeded() {
    String fifteen = "/l".repeat(15);
    create(fifteen, "deep");

    assertThatThrownBy(() -> create(fifteen + "/l", "deeper"))
        .isInstanceOf(HierarchyLevelLimitExceededException.class)
        .hasMessageContaining("maximum of 15 levels");
    assertThat(value(fifteen)).isEqualTo("deep");
  }

  @ParameterizedTest(name = "name {0}")
  @ValueSource(strings = {"/has space", "/a//b", "/trailing/", "no/leading", "/star*", "/ssm/x"})
  void badNames_areValidationErrors(String name) {
    assertThatThrownBy(() -> create(name, "v")).isInstanceOf(ValidationException.class);
    assertThat(model.size()).isZero();
  }

  @Test
  void nameLongerThan1011_isAValidationError() {
    String name = "/" + "n".repeat(FakeSsmModel.MAX_NAME);

    assertThatThrownBy(() -> create(name, "v")).isInstanceOf(ValidationException.class);
  }

  // ---- paging

  @Test
  void getParametersByPath_withShortAndEmptyPages_returnsEveryNameExactlyOnce() {
    model.putTps(Double.POSITIVE_INFINITY).getTps(Double.POSITIVE_INFINITY);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 37; i++) {
      String name = "/fleet/agents/" + (i % 3 == 0 ? "deep/" : "") + String.format("a%02d", i);
      create(name, "s" + i);
      expected.add(name);
    }
    create("/fleet/agentsX", "outside the path");
    create("/other", "outside too");
    model.shortPages(true).seed(42);

    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String token = null;
    do {
      String next = token;
      GetParametersByPathResponse page =
          ssm.getParametersByPath(
              r -> r.path("/fleet/agents").recursive(true).maxResults(10).nextToken(next));
      page.parameters().forEach(p -> seen.add(p.name()));
      sizes.add(page.parameters().size());
      token = page.nextToken();
    } while (token != null);

    Collections.sort(expected);
    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(sizes).as("some pages short, at least one empty").contains(0);
    assertThat(sizes.stream().filter(s -> s < 10).count()).isGreaterThan(1);
  }

  @Test
  void getParametersByPath_nonRecursive_listsOnlyDirectChildren() {
    create("/f/a", "1");
    create("/f/sub/b", "2");
    create("/f/c", "3");

    GetParametersByPathResponse page = ssm.getParametersByPath(r -> r.path("/f"));

    assertThat(page.parameters()).extracting(Parameter::name).containsExactly("/f/a", "/f/c");
    assertThat(page.nextToken()).isNull();
  }

  @Test
  void getParametersByPath_maxResultsAboveTen_isAValidationError() {
    assertThatThrownBy(() -> ssm.getParametersByPath(r -> r.path("/f").maxResults(11)))
        .isInstanceOf(ValidationException.class);
  }

  // ---- delete

  @Test
  void deleteParameters_reportsDeletedAndInvalid_andTheNameCannotComeBackFor30s() {
    create("/d/1", "x");
    create("/d/2", "y");

    DeleteParametersResponse r = ssm.deleteParameters(d -> d.names("/d/1", "/d/2", "/d/3"));
    clock.addAndGet(29_999);
    TooManyUpdatesException tooSoon =
        catchThrowableOfType(() -> create("/d/1", "again"), TooManyUpdatesException.class);
    clock.addAndGet(1);
    long recreated = create("/d/1", "again");

    assertThat(r.deletedParameters()).containsExactly("/d/1", "/d/2");
    assertThat(r.invalidParameters()).containsExactly("/d/3");
    assertThat(tooSoon.awsErrorDetails().errorMessage()).contains("stale tags");
    assertThat(recreated).isEqualTo(1);
    assertThat(ssm.getParameters(g -> g.names("/d/2")).invalidParameters()).containsExactly("/d/2");
  }

  // ---- quotas and faults

  @Test
  void getQuota_isSharedByTheGetOperations_andRefillsWithTheClock() {
    model.getTps(5);
    ssm.getParameters(r -> r.names("/q"));
    ssm.getParametersByPath(r -> r.path("/q"));
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> ssm.getParameter(r -> r.name("/q")))
          .isInstanceOf(ParameterNotFoundException.class);
    }

    ThrottlingException throttled =
        catchThrowableOfType(
            () -> ssm.getParameters(r -> r.names("/q")), ThrottlingException.class);
    clock.addAndGet(200);
    ssm.getParameters(r -> r.names("/q"));
    Throwable again =
        catchThrowableOfType(
            () -> ssm.getParameters(r -> r.names("/q")), ThrottlingException.class);

    assertThat(throttled.statusCode()).isEqualTo(400);
    assertThat(throttled.awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
    assertThat(throttled.awsErrorDetails().errorMessage()).isEqualTo("Rate exceeded");
    assertThat(again).isNotNull();
    assertThat(model.counts(Operation.GET_PARAMETERS)).isEqualTo(new Counts(4, 2));
    assertThat(model.counts(Operation.GET_PARAMETER)).isEqualTo(new Counts(3, 0));
  }

  @Test
  void putQuota_defaultsToThreeASecond() {
    for (int i = 0; i < 3; i++) {
      create("/put/" + i, "v");
    }

    assertThatThrownBy(() -> create("/put/3", "v")).isInstanceOf(ThrottlingException.class);
    clock.addAndGet(334);
    assertThat(create("/put/3", "v")).isEqualTo(1);
    assertThat(model.counts(Operation.PUT_PARAMETER)).isEqualTo(new Counts(5, 1));
  }

  @Test
  void perCallerCounters_followTheAccessKeyId() {
    model.getTps(2);
    try (SsmClient other = client("AKIDAGENT0002")) {
      ssm.getParameters(r -> r.names("/c"));
      other.getParameters(r -> r.names("/c"));
      assertThatThrownBy(() -> other.getParameters(r -> r.names("/c")))
          .isInstanceOf(ThrottlingException.class);
    }

    assertThat(model.countsBy(AGENT)).isEqualTo(new Counts(1, 0));
    assertThat(model.countsBy("AKIDAGENT0002")).isEqualTo(new Counts(2, 1));
    assertThat(model.callers()).containsExactly(AGENT, "AKIDAGENT0002");
  }

  @Test
  void armedFaults_throttleThenFailWith500_thenRecover() {
    create("/f", "v");
    model.throttleNext(1);
    assertThatThrownBy(() -> value("/f")).isInstanceOf(ThrottlingException.class);
    model.failNext(1, 500);
    InternalServerErrorException e =
        catchThrowableOfType(() -> value("/f"), InternalServerErrorException.class);

    assertThat(e.statusCode()).isEqualTo(500);
    assertThat(value("/f")).isEqualTo("v");
  }

  @Test
  void tooManyUpdates_armedOrWithinTheUpdateWindow() {
    model.putTps(Double.POSITIVE_INFINITY);
    create("/t", "1");
    model.tooManyUpdatesNext(1);
    assertThatThrownBy(() -> overwrite("/t", "2")).isInstanceOf(TooManyUpdatesException.class);

    model.updateWindowMs(1000);
    assertThatThrownBy(() -> overwrite("/t", "2")).isInstanceOf(TooManyUpdatesException.class);
    clock.addAndGet(1000);
    assertThat(overwrite("/t", "2")).isEqualTo(2);
  }

  @Test
  void twoConcurrentWritesOfOneName_oneGetsTooManyUpdates() throws Exception {
    model.putTps(Double.POSITIVE_INFINITY);
    create("/race", "0");
    fake.delay(Duration.ofMillis(500));
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        String value = "writer" + i;
        results.add(pool.submit(() -> racingOverwrite(go, value)));
      }
      go.countDown();

      List<String> outcomes = new ArrayList<>();
      for (Future<String> f : results) {
        outcomes.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(outcomes).containsExactlyInAnyOrder("2", "TooManyUpdates");
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- stale reads

  @Test
  void staleReads_missAFreshName_andShowThePreviousVersionOfAFreshWrite() {
    model.putTps(Double.POSITIVE_INFINITY).staleReads(1000, 1.0);
    create("/s", "old");

    boolean missing = ssm.getParameters(r -> r.names("/s")).invalidParameters().contains("/s");
    clock.addAndGet(1000);
    String afterCreate = value("/s");
    overwrite("/s", "new");
    String afterOverwrite = value("/s");
    clock.addAndGet(1000);

    assertThat(missing).isTrue();
    assertThat(afterCreate).isEqualTo("old");
    assertThat(afterOverwrite).isEqualTo("old");
    assertThat(value("/s")).isEqualTo("new");
  }

  @Test
  void staleReads_withAProbability_affectOnlySomeReads() {
    model.putTps(Double.POSITIVE_INFINITY).getTps(Double.POSITIVE_INFINITY);
    create("/s", "old");
    clock.addAndGet(5000);
    overwrite("/s", "new");
    model.staleReads(1000, 0.5).seed(7);

    List<String> reads = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      reads.add(value("/s"));
    }

    assertThat(reads).contains("old", "new");
  }

  // ---- history and the wire envelope

  @Test
  void getParameterHistory_pagesOldestFirst() {
    model.putTps(Double.POSITIVE_INFINITY);
    create("/h", "1");
    overwrite("/h", "2");
    overwrite("/h", "3");

    GetParameterHistoryResponse first = ssm.getParameterHistory(r -> r.name("/h").maxResults(2));
    GetParameterHistoryResponse second =
        ssm.getParameterHistory(r -> r.name("/h").maxResults(2).nextToken(first.nextToken()));

    assertThat(first.parameters()).extracting(ParameterHistory::value).containsExactly("1", "2");
    assertThat(second.parameters()).extracting(ParameterHistory::value).containsExactly("3");
    assertThat(second.nextToken()).isNull();
  }

  @Test
  void unknownTargetAndUnsignedCalls_getTheServiceErrorShape() throws Exception {
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    HttpResponse<String> unknown = post(http, "AmazonSSM.SendCommand", "AWS4-HMAC-SHA256 x");
    HttpResponse<String> unsigned = post(http, "AmazonSSM.GetParameter", null);

    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.headers().firstValue("x-amzn-ErrorType"))
        .contains("UnknownOperationException");
    assertThat(unknown.body()).isEqualTo("{\"__type\":\"UnknownOperationException\"}");
    assertThat(unsigned.body())
        .isEqualTo(
            "{\"__type\":\"MissingAuthenticationTokenException\","
                + "\"message\":\"Missing Authentication Token\"}");
    assertThat(unsigned.headers().firstValue("Content-Type"))
        .contains("application/x-amz-json-1.1");
  }

  @Test
  void anyOtherSsmError_isAnSsmExceptionWithCodeAndMessage() {
    model.failNext(1, new SsmServiceError(400, "AccessDeniedException", "not allowed"));

    SsmException e = catchThrowableOfType(() -> value("/x"), SsmException.class);

    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("not allowed");
  }

  // ---- helpers

  private String racingOverwrite(CountDownLatch go, String value) throws InterruptedException {
    go.await();
    try {
      return String.valueOf(overwrite("/race", value));
    } catch (TooManyUpdatesException e) {
      return "TooManyUpdates";
    }
  }

  private HttpResponse<String> post(HttpClient http, String target, String authorization)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(fake.endpoint())
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", target)
            .POST(HttpRequest.BodyPublishers.ofString("{\"Name\":\"/x\"}"));
    if (authorization != null) {
      request.header(
          "Authorization",
          authorization + " Credential=AKIDRAW/20240101/us-east-1/ssm/aws4_request");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private long create(String name, String value) {
    return ssm.putParameter(r -> r.name(name).value(value).type(ParameterType.STRING)).version();
  }

  private long overwrite(String name, String value) {
    return ssm.putParameter(r -> r.name(name).value(value).overwrite(true)).version();
  }

  private String value(String name) {
    return ssm.getParameter(r -> r.name(name)).parameter().value();
  }

  private void label(String name, Long version, String... labels) {
    LabelParameterVersionResponse r =
        ssm.labelParameterVersion(l -> l.name(name).parameterVersion(version).labels(labels));
    assertThat(r.invalidLabels()).isEmpty();
  }

  private List<ParameterHistory> history(String name) {
    List<ParameterHistory> all = new ArrayList<>();
    Optional<String> token = Optional.empty();
    do {
      String t = token.orElse(null);
      GetParameterHistoryResponse page = ssm.getParameterHistory(r -> r.name(name).nextToken(t));
      all.addAll(page.parameters());
      token = Optional.ofNullable(page.nextToken());
    } while (token.isPresent());
    return all;
  }

  private SsmClient client(String accessKeyId) {
    return SsmClient.builder()
        .endpointOverride(URI.create(fake.endpoint().toString()))
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, "secret")))
        .httpClient(HttpClients.urlConnection(Optional.empty()))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }
}
