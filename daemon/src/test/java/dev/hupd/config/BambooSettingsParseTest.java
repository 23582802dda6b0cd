package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.config.BambooSettings.CapabilityMode;
import dev.hupd.config.BambooSettings.DrainExpired;
import dev.hupd.config.BambooSettings.Identity;
import dev.hupd.config.BambooSettings.Remove;
import dev.hupd.config.BambooSettings.StopMode;
import dev.hupd.config.BambooSettings.Unreachable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code bamboo-*} keys of hupd.conf (docs/bamboo.md §11). */
class BambooSettingsParseTest {

  private static final String MINIMAL =
      "bamboo-url=https://ci.example.com/bamboo\nbamboo-token=file:/etc/hupd/bamboo.token\n";

  @TempDir Path dir;

  private Path settings(String body) throws IOException {
    Path file = dir.resolve("etc/hupd.conf");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "[hupd]\n" + body, StandardCharsets.UTF_8);
    return file;
  }

  private BambooSettings bamboo(String body) throws Exception {
    HupdSettings s = HupdSettings.load(settings(body), true, () -> "build-host-1");
    assertThat(s.bamboo()).as("bamboo settings").isPresent();
    return s.bamboo().get();
  }

  private List<ConfigProblem> problems(String body) throws IOException {
    Path file = settings(body);
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> HupdSettings.load(file, true, () -> "build-host-1"));
    assertThat(e).as("load must fail").isNotNull();
    return e.problems();
  }

  @Test
  void withoutBambooUrl_theIntegrationIsOff() throws Exception {
    HupdSettings s =
        HupdSettings.load(
            settings(""),
            true,
            () -> {
              throw new AssertionError("no host name lookup without bamboo-url");
            });

    assertThat(s.bamboo()).isEmpty();
    assertThat(HupdSettings.defaults().bamboo()).isEmpty();
  }

  @Test
  void urlAndToken_giveEveryDefault() throws Exception {
    BambooSettings b = bamboo(MINIMAL);

    assertThat(b.url()).isEqualTo(URI.create("https://ci.example.com/bamboo"));
    assertThat(b.token()).isEqualTo("file:/etc/hupd/bamboo.token");
    assertThat(b.caFile()).isEmpty();
    assertThat(b.proxy()).isEmpty();
    assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(b.poll()).isEqualTo(Duration.ofSeconds(30));
    assertThat(b.agentHome()).isEqualTo(BambooSettings.DEFAULT_AGENT_HOME);
    assertThat(b.agentName()).isEqualTo("build-host-1");
    assertThat(b.agentProcess()).isEqualTo("systemd:bamboo-agent.service");
    assertThat(b.agentUser()).isEmpty();
    assertThat(b.agentSecurityToken()).isEmpty();
    assertThat(b.tokenRefresh()).isEqualTo(Duration.ofHours(1));
    assertThat(b.identity()).isEqualTo(Identity.AUTO);
    assertThat(b.approve()).isFalse();
    assertThat(b.registerTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(b.capabilities()).isEqualTo(CapabilityMode.AUTO);
    assertThat(b.dockerExecutable()).isEqualTo(Path.of("/usr/bin/docker"));
    assertThat(b.drainTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(b.drainExpired()).isEqualTo(DrainExpired.PROCEED);
    assertThat(b.busyPoll()).isEqualTo(Duration.ofSeconds(15));
    assertThat(b.unreachable()).isEqualTo(Unreachable.DEFER);
    assertThat(b.stop()).isEqualTo(StopMode.KEEP);
    assertThat(b.stopTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(b.remove()).isEqualTo(Remove.NEVER);
  }

  @Test
  void everyKeyIsRead() throws Exception {
    BambooSettings b =
        bamboo(
            "bamboo-url=https://ci.example.com:8443/bamboo/\n"
                + "bamboo-token=ssm:/ci/bamboo/token\n"
                + "bamboo-ca-file=certs/ca.pem\n"
                + "bamboo-proxy=http://proxy.internal:3128\n"
                + "bamboo-timeout=5m\n"
                + "bamboo-poll=5s\n"
                + "bamboo-agent-home=/srv/bamboo-agent\n"
                + "bamboo-agent-name=agent-7\n"
                + "bamboo-agent-process=command:/srv/bamboo-agent/bin/bamboo-agent.sh\n"
                + "bamboo-agent-user=bamboo\n"
                + "bamboo-agent-security-token=file:agent.token\n"
                + "bamboo-token-refresh=1m\n"
                + "bamboo-identity=reset\n"
                + "bamboo-approve=on\n"
                + "bamboo-register-timeout=30s\n"
                + "bamboo-capabilities=file\n"
                + "bamboo-docker-executable=/usr/local/bin/docker\n"
                + "bamboo-drain-timeout=0\n"
                + "bamboo-drain-expired=defer\n"
                + "bamboo-busy-poll=1s\n"
                + "bamboo-unreachable=apply\n"
                + "bamboo-stop=drain\n"
                + "bamboo-stop-timeout=2h\n"
                + "bamboo-remove=scale-in\n");
    Path folder = dir.resolve("etc").toAbsolutePath();

    assertThat(b.url()).isEqualTo(URI.create("https://ci.example.com:8443/bamboo"));
    assertThat(b.token()).isEqualTo("ssm:/ci/bamboo/token");
    assertThat(b.caFile()).contains(folder.resolve("certs/ca.pem"));
    assertThat(b.proxy()).contains(URI.create("http://proxy.internal:3128"));
    assertThat(b.timeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(b.poll()).isEqualTo(Duration.ofSeconds(5));
    assertThat(b.agentHome()).isEqualTo(Path.of("/srv/bamboo-agent"));
    assertThat(b.agentName()).isEqualTo("agent-7");
    assertThat(b.agentProcess()).isEqualTo("command:/srv/bamboo-agent/bin/bamboo-agent.sh");
    assertThat(b.agentUser()).contains("bamboo");
    assertThat(b.agentSecurityToken()).contains("file:" + folder.resolve("agent.token"));
    assertThat(b.tokenRefresh()).isEqualTo(Duration.ofMinutes(1));
    assertThat(b.identity()).isEqualTo(Identity.RESET);
    assertThat(b.approve()).isTrue();
    assertThat(b.registerTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(b.capabilities()).isEqualTo(CapabilityMode.FILE);
    assertThat(b.dockerExecutable()).isEqualTo(Path.of("/usr/local/bin/docker"));
    assertThat(b.drainTimeout()).isEqualTo(Duration.ZERO);
    assertThat(b.drainExpired()).isEqualTo(DrainExpired.DEFER);
    assertThat(b.busyPoll()).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.unreachable()).isEqualTo(Unreachable.APPLY);
    assertThat(b.stop()).isEqualTo(StopMode.DRAIN);
    assertThat(b.stopTimeout()).isEqualTo(Duration.ofHours(2));
    assertThat(b.remove()).isEqualTo(Remove.SCALE_IN);
  }

  @Test
  void relativeAgentHomeAndCommandResolveAgainstTheSettingsFolder() throws Exception {
    BambooSettings b =
        bamboo(
            MINIMAL
                + "bamboo-agent-home=../agent-home\n"
                + "bamboo-agent-process=command:bin/agent.sh\n");

    assertThat(b.agentHome()).isEqualTo(dir.toAbsolutePath().resolve("agent-home"));
    assertThat(b.agentHome()).isAbsolute();
    assertThat(b.agentProcess())
        .isEqualTo("command:" + dir.toAbsolutePath().resolve("etc/bin/agent.sh"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "http://127.0.0.1:8085, http://127.0.0.1:8085",
    "http://127.1.2.3:8085/bamboo/, http://127.1.2.3:8085/bamboo",
    "http://localhost:8085, http://localhost:8085",
    "'http://[::1]:8085/ctx', 'http://[::1]:8085/ctx'",
    "https://ci.example.com, https://ci.example.com",
    "HTTPS://ci.example.com/a/b, https://ci.example.com/a/b"
  })
  void urlForms_areAcceptedAndNormalised(String text, String expected) throws Exception {
    assertThat(bamboo("bamboo-url=" + text + "\nbamboo-token=ssm:/t\n").url())
        .isEqualTo(URI.create(expected));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "http://ci.example.com",
        "http://10.0.0.5:8085",
        "http://128.0.0.1",
        "ftp://ci.example.com",
        "ci.example.com",
        "https://user:pw@ci.example.com",
        "https://ci.example.com/?x=1",
        "https://ci.example.com/#top",
        "https://"
      })
  void badUrl_isAProblemNamingTheKeyAndTheForm(String text) throws Exception {
    assertThat(problems("bamboo-url=" + text + "\nbamboo-token=ssm:/t\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] bamboo-url");
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.file()).isEqualTo(dir.resolve("etc/hupd.conf"));
              assertThat(p.expected()).isNotEmpty();
              assertThat(p.toString()).doesNotContain("pw@");
            });
  }

  @Test
  void plainHttpToARealHost_isRefusedSuggestingHttps() throws Exception {
    assertThat(problems("bamboo-url=http://ci.example.com/bamboo\nbamboo-token=ssm:/t\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.message()).contains("loopback");
              assertThat(p.expected()).isEqualTo("https://ci.example.com/bamboo");
            });
  }

  @Test
  void missingToken_isAProblemAtTheUrlLine() throws Exception {
    assertThat(problems("\nbamboo-url=https://ci.example.com\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] bamboo-token");
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.message()).contains("missing");
              assertThat(p.expected()).contains("file:", "ssm:");
            });
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "bamboo-token, MDk3NjQ1ODg5NjE2OjrQ5vjSuw1xWe0wOpT1CXdZ7nJY",
    "bamboo-token, file:",
    "bamboo-token, ssm:",
    "bamboo-token, ssm:bad name",
    "bamboo-agent-security-token, 9f2c8a7e1d3b4c5a6f7e8d9c0b1a2f3e4d5c6b7a"
  })
  void literalLookingSecret_isRefusedWithoutRepeatingIt_andSuggestsAFile(String key, String value)
      throws Exception {
    String body =
        "bamboo-url=https://ci.example.com\n"
            + (key.equals("bamboo-token") ? "" : "bamboo-token=ssm:/t\n")
            + key
            + "="
            + value
            + "\n";

    assertThat(problems(body))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] " + key);
              assertThat(p.line()).isGreaterThan(1);
              assertThat(p.expected()).contains("file:");
              if (value.length() > 10) {
                assertThat(p.toString()).doesNotContain(value);
              }
            });
  }

  @Test
  void relativeTokenFile_isResolvedAgainstTheSettingsFolder() throws Exception {
    BambooSettings b =
        bamboo("bamboo-url=https://ci.example.com\nbamboo-token=file:bamboo.token\n");

    assertThat(b.token()).isEqualTo("file:" + dir.toAbsolutePath().resolve("etc/bamboo.token"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "bamboo-token=file:/t",
        "bamboo-ca-file=/etc/ca.pem",
        "bamboo-proxy=none",
        "bamboo-timeout=30s",
        "bamboo-agent-home=/x",
        "bamboo-approve=on",
        "bamboo-remove=always",
        "bamboo-agent-security-token=ssm:/x"
      })
  void bambooKeyWithoutUrl_isAProblemNamingBoth(String line) throws Exception {
    String key = line.substring(0, line.indexOf('='));

    assertThat(problems(line + "\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] " + key);
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.message()).isEqualTo(key + " needs bamboo-url");
            });
  }

  @Test
  void misspelledBambooKey_isAnUnknownKey() throws Exception {
    assertThat(problems(MINIMAL + "bamboo-aprove=on\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] bamboo-aprove");
              assertThat(p.message()).isEqualTo("unknown key");
              assertThat(p.expected()).contains("bamboo-approve");
            });
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "bamboo-timeout, 0",
    "bamboo-timeout, 999ms",
    "bamboo-timeout, 6m",
    "bamboo-timeout, soon",
    "bamboo-poll, 4s",
    "bamboo-poll, 11m",
    "bamboo-token-refresh, 59s",
    "bamboo-register-timeout, 29s",
    "bamboo-drain-timeout, 25h",
    "bamboo-drain-timeout, -1",
    "bamboo-busy-poll, 500ms",
    "bamboo-busy-poll, 301s",
    "bamboo-stop-timeout, 121m",
    "bamboo-identity, adopt",
    "bamboo-approve, yes",
    "bamboo-capabilities, ui",
    "bamboo-drain-expired, wait",
    "bamboo-unreachable, skip",
    "bamboo-stop, disable",
    "bamboo-remove, sometimes",
    "bamboo-proxy, proxy:3128",
    "bamboo-proxy, https://proxy:3128",
    "bamboo-proxy, http://proxy",
    "bamboo-proxy, http://u:p@proxy:3128",
    "bamboo-agent-process, docker:agent",
    "bamboo-agent-process, systemd:",
    "bamboo-agent-process, command:",
    "bamboo-agent-user, -root",
    "bamboo-docker-executable, docker"
  })
  void badValue_isAProblemNamingKeyLineAndForm(String key, String value) throws Exception {
    assertThat(problems(MINIMAL + "\n" + key + "=" + value + "\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] " + key);
              assertThat(p.line()).isEqualTo(5);
              assertThat(p.file()).isEqualTo(dir.resolve("etc/hupd.conf"));
              assertThat(p.expected()).isNotEmpty();
            });
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "bamboo-timeout, 1s",
    "bamboo-timeout, 300",
    "bamboo-poll, 10m",
    "bamboo-drain-timeout, 24h",
    "bamboo-busy-poll, 5m",
    "bamboo-stop-timeout, 0",
    "bamboo-register-timeout, 2h",
    "bamboo-token-refresh, 24h",
    "bamboo-identity, KEEP",
    "bamboo-capabilities, rest",
    "bamboo-remove, never",
    "bamboo-approve, Off",
    "bamboo-proxy, NONE",
    "bamboo-agent-process, systemd:bamboo-agent@2.service"
  })
  void edgeValue_isAccepted(String key, String value) throws Exception {
    bamboo(MINIMAL + key + "=" + value + "\n");
  }

  @Test
  void proxyNone_isTheNoProxyMarker() throws Exception {
    assertThat(bamboo(MINIMAL + "bamboo-proxy=none\n").proxy())
        .isEqualTo(Optional.of(BambooSettings.NO_PROXY));
  }

  @Test
  void agentUserWithASystemdAgent_isAProblemPointingAtTheUnit() throws Exception {
    assertThat(problems(MINIMAL + "bamboo-agent-user=bamboo\n"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] bamboo-agent-user");
              assertThat(p.expected()).contains("User=");
            });
  }
}
