package dev.hupd.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.bamboo.SecretException;
import dev.hupd.bamboo.Secrets;
import dev.hupd.testing.FakeSsm;
import dev.hupd.testing.FakeSsmModel;
import dev.hupd.testing.SsmServiceError;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.ssm.SsmClient;

/** {@link SsmSecrets} against {@link FakeSsm} through the real SDK client. */
class SsmSecretsTest {

  private static final String TOKEN = "OTg3NjU0MzIxMDk4OlNzbVNlY3JldEZvclRlc3Rz";

  private final FakeSsmModel model =
      new FakeSsmModel().putTps(Double.POSITIVE_INFINITY).getTps(Double.POSITIVE_INFINITY);
  private FakeSsm fake;
  private SsmClient client;

  @BeforeEach
  void start() {
    fake = FakeSsm.start(model, 0);
    client =
        SsmRolloutStore.client(
            "us-east-1",
            fake.endpoint(),
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")),
            Optional.empty());
  }

  @AfterEach
  void stop() {
    client.close();
    fake.close();
  }

  private void put(String name, String value, String type) {
    model.putParameter(
        "AKIDSETUP", new FakeSsmModel.PutRequest(name, value, type, false, null, null));
  }

  private SecretException failure(String name) {
    SecretException e =
        catchThrowableOfType(SecretException.class, () -> SsmSecrets.reader(client, name).read());
    assertThat(e).as("read must fail").isNotNull();
    assertThat(e.getMessage()).contains(name).doesNotContain(TOKEN);
    return e;
  }

  @Test
  void secureString_isReadDecrypted() throws Exception {
    put("/ci/bamboo/token", TOKEN, "SecureString");

    assertThat(SsmSecrets.reader(client, "/ci/bamboo/token").read()).isEqualTo(TOKEN);
    assertThat(fake.requests().get(0).body()).contains("\"WithDecryption\":true");
  }

  @Test
  void secureString_throughSecretsOpen_isNamedBySpec() throws Exception {
    put("/ci/bamboo/token", TOKEN, "SecureString");

    try (SsmSecrets secrets = new SsmSecrets(client)) {
      var secret = Secrets.open("ssm:/ci/bamboo/token", secrets::reader);

      assertThat(secret.name()).isEqualTo("ssm:/ci/bamboo/token");
      assertThat(secret.value()).isEqualTo(TOKEN);
    }
  }

  @Test
  void stringParameter_isRefusedAskingForASecureString() {
    put("/ci/bamboo/plain", TOKEN, "String");

    assertThat(failure("/ci/bamboo/plain").getMessage())
        .contains("type String")
        .contains("store the token as a SecureString");
  }

  @Test
  void missingParameter_isNotFoundNamingItAndTheIamActions() {
    assertThat(failure("/ci/bamboo/absent").getMessage())
        .contains("not found")
        .contains("ssm:GetParameter")
        .contains("kms:Decrypt");
  }

  @Test
  void accessDenied_namesTheIamActions() {
    model.failNext(1, new SsmServiceError(400, "AccessDeniedException", "User is not authorized"));

    assertThat(failure("/ci/bamboo/token").getMessage())
        .contains("access denied")
        .contains("ssm:GetParameter")
        .contains("kms:Decrypt");
  }

  @Test
  void serverError_namesTheParameterAndTheCode() {
    put("/ci/bamboo/token", TOKEN, "SecureString");
    model.failNext(1, 500);

    assertThat(failure("/ci/bamboo/token").getMessage())
        .contains("InternalServerError")
        .contains("ssm:GetParameter");
  }
}
