package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Registry credentials: the header dockerd decodes, and reading a Docker CLI config.json. */
class RegistryAuthTest {

  @TempDir Path dir;

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  Path config(String json) throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, json);
    return file;
  }

  @Test
  void headerIsUrlSafeBase64OfTheJsonDockerdExpects() throws Exception {
    RegistryAuth auth = new RegistryAuth("ci", "p@ss/+?\"\u00e9", "127.0.0.1:5000");

    String header = auth.header();

    assertThat(header).doesNotContain("+", "/");
    JsonNode json = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(header));
    assertThat(json.get("username").asText()).isEqualTo("ci");
    assertThat(json.get("password").asText()).isEqualTo("p@ss/+?\"\u00e9");
    assertThat(json.get("serveraddress").asText()).isEqualTo("127.0.0.1:5000");
  }

  @Test
  void toStringMasksThePassword() {
    String text = new RegistryAuth("ci", "hunter2", "r:5000").toString();

    assertThat(text).contains("ci", "r:5000", "****").doesNotContain("hunter2");
  }

  @ParameterizedTest(name = "key {0}")
  @ValueSource(strings = {"127.0.0.1:5000", "http://127.0.0.1:5000", "https://127.0.0.1:5000/v2/"})
  void readsTheAuthFieldForTheRegistryWhateverTheKeyForm(String key) throws Exception {
    Path file =
        config(
            "{\"auths\":{\"other:5000\":{\"auth\":\""
                + b64("x:y")
                + "\"},\""
                + key
                + "\":{\"auth\":\""
                + b64("ci:pa:ss")
                + "\"}}}");

    Optional<RegistryAuth> auth = RegistryAuth.fromDockerConfig(file, "127.0.0.1:5000");

    assertThat(auth).contains(new RegistryAuth("ci", "pa:ss", "127.0.0.1:5000"));
  }

  @Test
  void readsUsernameAndPasswordFields() throws Exception {
    Path file = config("{\"auths\":{\"r.example\":{\"username\":\"u\",\"password\":\"p\"}}}");

    assertThat(RegistryAuth.fromDockerConfig(file, "r.example"))
        .contains(new RegistryAuth("u", "p", "r.example"));
  }

  @Test
  void dockerHubKeyMatchesItsAliases() throws Exception {
    Path file =
        config("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("u:p") + "\"}}}");

    assertThat(RegistryAuth.fromDockerConfig(file, "docker.io")).isPresent();
  }

  @Test
  void noEntryMissingFileOrHelperOnlyGiveNothing() throws Exception {
    assertThat(RegistryAuth.fromDockerConfig(dir.resolve("absent.json"), "r")).isEmpty();
    assertThat(RegistryAuth.fromDockerConfig(config("{}"), "r")).isEmpty();
    assertThat(
            RegistryAuth.fromDockerConfig(
                config("{\"auths\":{\"r\":{}},\"credsStore\":\"secretservice\"}"), "r"))
        .isEmpty();
    assertThat(
            RegistryAuth.fromDockerConfig(
                config("{\"auths\":{\"r\":{\"identitytoken\":\"t\"}}}"), "r"))
        .isEmpty();
  }

  @Test
  void malformedFileIsAnErrorNamingTheFile() throws Exception {
    Path file = config("{\"auths\": ");

    assertThatThrownBy(() -> RegistryAuth.fromDockerConfig(file, "r"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void authThatIsNotUserColonPasswordIsAnErrorThatShowsNoSecret() throws Exception {
    Path file = config("{\"auths\":{\"r\":{\"auth\":\"" + b64("secretwithoutcolon") + "\"}}}");

    assertThatThrownBy(() -> RegistryAuth.fromDockerConfig(file, "r"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("auths.\"r\".auth")
        .hasMessageNotContaining("secretwithoutcolon");
  }
}
