package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.testing.FakeSsmModel.Operation;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the fake's AWS JSON 1.1 against an independent client: Debian's AWS CLI (botocore), run as
 * a process with a clean environment, static test credentials and no config files.
 */
class FakeSsmAwsCliIT {

  private static final String ACCESS_KEY = "AKIDTEST";
  private static final long START_MS = 1_700_000_000_250L;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path home;
  private final AtomicLong clock = new AtomicLong(START_MS);
  private FakeSsm fake;

  @BeforeEach
  void startFake() {
    AwsCli.requireInstalled();
    fake =
        FakeSsm.start(
            new FakeSsmModel(clock::get, "us-east-1").putTps(Double.POSITIVE_INFINITY), 0);
  }

  @AfterEach
  void stopFake() {
    if (fake != null) {
      fake.close();
    }
  }

  @Test
  void putThenGet_roundTripsEveryField() throws Exception {
    AwsCli.Result put =
        aws(
            Map.of(),
            "put-parameter",
            "--name",
            "/hupd/fleet/manifest",
            "--value",
            "{\"images\":[]}",
            "--type",
            "String");
    AwsCli.Result get = aws(Map.of(), "get-parameter", "--name", "/hupd/fleet/manifest");

    assertThat(put.exitCode()).as(put.stderr()).isZero();
    assertThat(JSON.readTree(put.stdout()).get("Version").asLong()).isEqualTo(1);
    assertThat(JSON.readTree(put.stdout()).get("Tier").asText()).isEqualTo("Standard");
    assertThat(get.exitCode()).as(get.stderr()).isZero();
    JsonNode p = JSON.readTree(get.stdout()).get("Parameter");
    assertThat(p.get("Name").asText()).isEqualTo("/hupd/fleet/manifest");
    assertThat(p.get("Value").asText()).isEqualTo("{\"images\":[]}");
    assertThat(p.get("Version").asLong()).isEqualTo(1);
    assertThat(p.get("Type").asText()).isEqualTo("String");
    assertThat(p.get("DataType").asText()).isEqualTo("text");
    assertThat(p.get("ARN").asText())
        .isEqualTo("arn:aws:ssm:us-east-1:123456789012:parameter/hupd/fleet/manifest");
    assertThat(Instant.parse(isoInstant(p.get("LastModifiedDate").asText())))
        .isEqualTo(Instant.ofEpochMilli(START_MS));
    FakeSsm.Request request = fake.requests().get(0);
    assertThat(request.accessKeyId()).isEqualTo(ACCESS_KEY);
    assertThat(request.contentType()).isEqualTo("application/x-amz-json-1.1");
    assertThat(request.target()).isEqualTo("AmazonSSM.PutParameter");
  }

  @Test
  void secondCreate_failsWithParameterAlreadyExistsOnStderr() throws Exception {
    aws(Map.of(), "put-parameter", "--name", "/x", "--value", "1", "--type", "String");

    AwsCli.Result again =
        aws(Map.of(), "put-parameter", "--name", "/x", "--value", "2", "--type", "String");

    assertThat(again.exitCode()).isNotZero();
    assertThat(again.stderr()).contains("ParameterAlreadyExists").contains("PutParameter");
    assertThat(again.stdout()).isEmpty();
  }

  @Test
  void getParametersByPath_cliPaginatorFollowsShortAndEmptyPages() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String name = String.format("/fleet/agent-%02d", i);
      fake.model().create("setup", name, "s" + i);
      expected.add(name);
    }
    fake.model().shortPages(true).seed(5);

    AwsCli.Result result =
        aws(
            Map.of(),
            "get-parameters-by-path",
            "--path",
            "/fleet",
            "--recursive",
            "--page-size",
            "10");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    List<String> seen = new ArrayList<>();
    JSON.readTree(result.stdout()).get("Parameters").forEach(p -> seen.add(p.get("Name").asText()));
    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(fake.requestsFor(Operation.GET_PARAMETERS_BY_PATH)).isGreaterThan(3);
  }

  @Test
  void throttledCall_isRetriedByTheCliUntilItSucceeds() throws Exception {
    fake.model().create("setup", "/t", "v");
    fake.model().throttleNext(2);

    AwsCli.Result result =
        aws(
            Map.of("AWS_MAX_ATTEMPTS", "5", "AWS_RETRY_MODE", "standard"),
            "get-parameter",
            "--name",
            "/t");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(JSON.readTree(result.stdout()).at("/Parameter/Value").asText()).isEqualTo("v");
    assertThat(fake.requestsFor(Operation.GET_PARAMETER)).isEqualTo(3);
  }

  /** The CLI prints timestamps as ISO-8601 with an offset; {@link Instant} wants a Z. */
  private static String isoInstant(String text) {
    return java.time.OffsetDateTime.parse(text).toInstant().toString();
  }

  private AwsCli.Result aws(Map<String, String> extraEnv, String operation, String... args)
      throws Exception {
    return new AwsCli(home, ACCESS_KEY, "secret")
        .run(extraEnv, fake.endpoint(), "us-east-1", "ssm", operation, List.of(args));
  }
}
