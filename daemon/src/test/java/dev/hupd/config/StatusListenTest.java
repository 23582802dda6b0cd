package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code status-listen} and {@code status-listen-public} in {@code [hupd]}. */
class StatusListenTest {

  @TempDir Path dir;

  HupdSettings load(String body) throws Exception {
    return HupdSettings.load(file(body), true);
  }

  Path file(String body) throws Exception {
    Path file = dir.resolve("hupd.conf");
    Files.writeString(file, "[hupd]\n" + body, StandardCharsets.UTF_8);
    return file;
  }

  List<ConfigProblem> problems(String body) throws Exception {
    Path file = file(body);
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> HupdSettings.load(file, true));
    assertThat(e).as("load must fail").isNotNull();
    return e.problems();
  }

  @Test
  void defaultIsLoopbackPort9779() throws Exception {
    assertThat(load("").statusListen()).contains(StatusListen.DEFAULT);
    assertThat(HupdSettings.defaults().statusListen()).contains(StatusListen.DEFAULT);
    assertThat(StatusListen.DEFAULT.display()).isEqualTo("127.0.0.1:9779");
    assertThat(StatusListen.DEFAULT.loopback()).isTrue();
  }

  @Test
  void offDisablesTheServer() throws Exception {
    assertThat(load("status-listen = off\n").statusListen()).isEmpty();
    assertThat(load("status-listen = OFF\n").statusListen()).isEmpty();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "127.0.0.1:0, 127.0.0.1:0",
    "127.0.0.2:9100, 127.0.0.2:9100",
    "localhost:9779, 127.0.0.1:9779",
    "'[::1]:9779', '[0:0:0:0:0:0:0:1]:9779'"
  })
  void loopbackAddressesAreAccepted(String text, String display) throws Exception {
    StatusListen l = load("status-listen = " + text + "\n").statusListen().orElseThrow();

    assertThat(l.display()).isEqualTo(display);
    assertThat(l.loopback()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"0.0.0.0:9779", "10.0.0.7:9779", "'[::]:9779'"})
  void aNonLoopbackAddressIsRefusedWithoutPublicOn(String text) throws Exception {
    ConfigProblem p = problems("state-dir = s\nstatus-listen = " + text + "\n").get(0);

    assertThat(p.line()).isEqualTo(3);
    assertThat(p.key()).isEqualTo("[hupd] status-listen");
    assertThat(p.message()).contains("not a loopback address");
    assertThat(p.expected()).contains("status-listen-public = on");
  }

  @Test
  void aNonLoopbackAddressIsAcceptedWithPublicOn() throws Exception {
    StatusListen l =
        load("status-listen = 0.0.0.0:9779\nstatus-listen-public = on\n")
            .statusListen()
            .orElseThrow();

    assertThat(l.loopback()).isFalse();
    assertThat(l.display()).isEqualTo("0.0.0.0:9779");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "127.0.0.1:65536, not a port",
    "127.0.0.1:http, not a port",
    "127.0.0.1:-1, not a port",
    "127.0.0.1, not host:port",
    "9779, not host:port",
    "127.0.0.1:, not host:port",
    "status.example.com:9779, not a literal IP address",
    "256.0.0.1:9779, not a literal IP address",
    "'[::1:9779', not a literal IP address",
    "'[zz::1]:9779', not a literal IP address"
  })
  void badValuesNameFileLineKeyAndForm(String text, String message) throws Exception {
    List<ConfigProblem> problems = problems("status-listen = " + text + "\n");

    assertThat(problems)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(dir.resolve("hupd.conf"));
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.key()).isEqualTo("[hupd] status-listen");
              assertThat(p.message()).contains(message);
              assertThat(p.expected()).contains("127.0.0.1:9779").contains("off");
            });
  }

  @Test
  void publicMustBeOnOrOff() throws Exception {
    assertThat(problems("status-listen-public = yes\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] status-listen-public");
              assertThat(p.expected()).startsWith("on or off");
            });
  }
}
