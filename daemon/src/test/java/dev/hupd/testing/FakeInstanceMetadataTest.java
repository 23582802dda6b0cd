package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** IMDSv1/v2 behaviour of {@link FakeInstanceMetadata}, seen through the JDK HTTP client. */
class FakeInstanceMetadataTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
  private FakeInstanceMetadata imds;

  @BeforeEach
  void startFake() {
    imds =
        FakeInstanceMetadata.start()
            .region("eu-central-1")
            .instanceId("i-0123456789abcdef0")
            .role(
                "AgentRole",
                "ASIAFAKEROLE",
                "role-secret-not-real",
                "role-session-token",
                Instant.parse("2030-01-01T00:00:00Z"));
  }

  @AfterEach
  void stopFake() {
    imds.close();
  }

  @Test
  void endpoint_isLoopbackWithoutTrailingSlash() {
    assertThat(imds.endpoint().toString()).matches("http://127\\.0\\.0\\.1:\\d+");
  }

  @Test
  void required_tokenFlowGivesInstanceRegionAndRoleCredentials() throws Exception {
    imds.tokenMode(FakeInstanceMetadata.TokenMode.REQUIRED);

    HttpResponse<String> tokenResponse = putToken("21600");
    String token = tokenResponse.body();

    assertThat(tokenResponse.statusCode()).isEqualTo(200);
    assertThat(tokenResponse.headers().firstValue("x-aws-ec2-metadata-token-ttl-seconds"))
        .hasValue("21600");
    assertThat(get("/latest/meta-data/instance-id", token).body()).isEqualTo("i-0123456789abcdef0");
    assertThat(get("/latest/meta-data/placement/region", token).body()).isEqualTo("eu-central-1");
    assertThat(get("/latest/meta-data/iam/security-credentials/", token).body())
        .isEqualTo("AgentRole");
    JsonNode credentials =
        JSON.readTree(get("/latest/meta-data/iam/security-credentials/AgentRole", token).body());
    assertThat(credentials.get("Code").asText()).isEqualTo("Success");
    assertThat(credentials.get("Type").asText()).isEqualTo("AWS-HMAC");
    assertThat(credentials.get("AccessKeyId").asText()).isEqualTo("ASIAFAKEROLE");
    assertThat(credentials.get("SecretAccessKey").asText()).isEqualTo("role-secret-not-real");
    assertThat(credentials.get("Token").asText()).isEqualTo("role-session-token");
    assertThat(credentials.get("Expiration").asText()).isEqualTo("2030-01-01T00:00:00Z");
    JsonNode identity =
        JSON.readTree(get("/latest/dynamic/instance-identity/document", token).body());
    assertThat(identity.get("instanceId").asText()).isEqualTo("i-0123456789abcdef0");
    assertThat(identity.get("region").asText()).isEqualTo("eu-central-1");
  }

  @Test
  void required_refusesMissingOrUnknownToken() throws Exception {
    imds.tokenMode(FakeInstanceMetadata.TokenMode.REQUIRED);

    assertThat(get("/latest/meta-data/instance-id", null).statusCode()).isEqualTo(401);
    assertThat(get("/latest/meta-data/instance-id", "forged").statusCode()).isEqualTo(401);
  }

  @Test
  void optional_allowsV1ButRefusesABadToken() throws Exception {
    assertThat(get("/latest/meta-data/instance-id", null).statusCode()).isEqualTo(200);
    assertThat(get("/latest/meta-data/instance-id", "forged").statusCode()).isEqualTo(401);
  }

  @Test
  void putWithoutTtl_isBadRequest() throws Exception {
    assertThat(putToken(null).statusCode()).isEqualTo(400);
    assertThat(putToken("0").statusCode()).isEqualTo(400);
  }

  @ParameterizedTest(name = "PUT refused with {0}")
  @ValueSource(ints = {403, 404, 405})
  void v1Only_refusesTokenPutButServesPlainGet(int status) throws Exception {
    imds.v1Only(status);

    assertThat(putToken("60").statusCode()).isEqualTo(status);
    assertThat(get("/latest/meta-data/placement/region", null).body()).isEqualTo("eu-central-1");
  }

  @Test
  void tokenHangs_neverAnswersThePut() throws Exception {
    imds.tokenMode(FakeInstanceMetadata.TokenMode.TOKEN_HANGS);
    HttpRequest put =
        HttpRequest.newBuilder(uri("/latest/api/token"))
            .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
            .timeout(Duration.ofMillis(300))
            .PUT(HttpRequest.BodyPublishers.noBody())
            .build();

    assertThatThrownBy(() -> http.send(put, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);
    assertThat(get("/latest/meta-data/instance-id", null).statusCode()).isEqualTo(200);
  }

  @Test
  void unknownPathAndRole_areNotFound() throws Exception {
    assertThat(get("/latest/meta-data/nothing-here", null).statusCode()).isEqualTo(404);
    assertThat(get("/latest/meta-data/iam/security-credentials/OtherRole", null).statusCode())
        .isEqualTo(404);
  }

  @Test
  void requests_areRecordedWithTheirToken() throws Exception {
    String token = putToken("60").body();
    get("/latest/meta-data/instance-id", token);

    assertThat(imds.requests())
        .extracting(ImdsRequest::method, ImdsRequest::path, ImdsRequest::token)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("PUT", "/latest/api/token", null),
            org.assertj.core.groups.Tuple.tuple("GET", "/latest/meta-data/instance-id", token));
  }

  private HttpResponse<String> putToken(String ttl) throws Exception {
    HttpRequest.Builder put =
        HttpRequest.newBuilder(uri("/latest/api/token"))
            .timeout(Duration.ofSeconds(5))
            .PUT(HttpRequest.BodyPublishers.noBody());
    if (ttl != null) {
      put.header("X-aws-ec2-metadata-token-ttl-seconds", ttl);
    }
    return http.send(put.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder get = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5));
    if (token != null) {
      get.header("X-aws-ec2-metadata-token", token);
    }
    return http.send(get.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create(imds.endpoint() + path);
  }
}
