package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.testing.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AgentProcess} with small shell scripts standing in for the agent's control script and for
 * systemctl; each records its arguments and the SECURITY_TOKEN it saw.
 */
class AgentProcessTest {

  private static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

  @TempDir Path dir;

  private Path calls() {
    return dir.resolve("calls.log");
  }

  /** A script that logs "args token=<SECURITY_TOKEN or ->", echoes the token, then exits. */
  private Path script(String name, String exitRule) throws IOException {
    Path script = dir.resolve(name);
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "echo \"$* token=${SECURITY_TOKEN:--} user=$(id -u) home=$HOME\" >> '"
            + calls()
            + "'\n"
            + "echo \"agent says token is ${SECURITY_TOKEN:-none}\"\n"
            + "echo \"last line for $1\"\n"
            + exitRule
            + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  private AgentProcess command(Path script, Duration timeout) {
    return AgentProcess.of(
        "command:" + script, Optional.empty(), Map.of("BAMBOO_SERVER", "x"), dir, timeout);
  }

  private List<String> recorded() throws IOException {
    return Files.readAllLines(calls());
  }

  @Test
  void command_runsTheScriptWithEachAction_andTheTokenOnlyForStartAndRestart() throws Exception {
    AgentProcess agent = command(script("agent.sh", "exit 0"), Duration.ofSeconds(30));
    agent.setSecurityToken(TOKEN);

    agent.start();
    agent.restart();
    agent.stop();
    boolean running = agent.running();

    assertThat(running).isTrue();
    assertThat(recorded())
        .extracting(l -> l.substring(0, l.indexOf(" user=")))
        .containsExactly(
            "start token=" + TOKEN, "restart token=" + TOKEN, "stop token=-", "status token=-");
  }

  @Test
  void command_withoutAToken_setsNoSecurityToken_andRotationTakesEffectAtTheNextStart()
      throws Exception {
    AgentProcess agent = command(script("agent.sh", "exit 0"), Duration.ofSeconds(30));

    agent.start();
    agent.setSecurityToken("rotated-token-0001");
    agent.restart();

    assertThat(recorded())
        .extracting(l -> l.substring(0, l.indexOf(" user=")))
        .containsExactly("start token=-", "restart token=rotated-token-0001");
  }

  @Test
  void command_statusNonZero_isNotRunning() throws Exception {
    AgentProcess agent = command(script("agent.sh", "exit 1"), Duration.ofSeconds(30));

    assertThat(agent.running()).isFalse();
  }

  @Test
  void command_failingStart_isAnIOExceptionWithExitCodeAndLastLine_neverTheToken()
      throws Exception {
    AgentProcess agent = command(script("agent.sh", "exit 3"), Duration.ofSeconds(30));
    agent.setSecurityToken(TOKEN);

    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AgentCommand.class);
    ch.qos.logback.classic.Level level = logger.getLevel();
    logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
    try (LogCapture logs = new LogCapture()) {
      IOException e = catchThrowableOfType(IOException.class, agent::start);

      assertThat(e.getMessage())
          .contains("agent.sh start exited with 3")
          .endsWith(": last line for start")
          .doesNotContain(TOKEN);
      assertThat(logs.all()).doesNotContain(TOKEN).contains("agent says token is ****");
    } finally {
      logger.setLevel(level);
    }
  }

  @Test
  void command_thatHangs_isKilledAtTheTimeout() throws Exception {
    AgentProcess agent = command(script("agent.sh", "exec sleep 30"), Duration.ofMillis(300));

    long start = System.nanoTime();
    assertThatThrownBy(agent::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not finish within");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void command_backgroundChildHoldingTheOutput_doesNotBlockTheStart() throws Exception {
    AgentProcess agent = command(script("agent.sh", "sleep 4 &\nexit 0"), Duration.ofSeconds(10));

    long start = System.nanoTime();
    agent.start();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void command_asAnotherUser_runsThroughSetprivWhenRoot() throws Exception {
    Assumptions.assumeTrue(
        new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root");
    Path script = script("agent.sh", "exit 0");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(calls(), "");
    Files.setPosixFilePermissions(calls(), PosixFilePermissions.fromString("rw-rw-rw-"));
    AgentProcess agent =
        AgentProcess.of(
            "command:" + script, Optional.of("nobody"), Map.of(), dir, Duration.ofSeconds(30));

    agent.start();

    assertThat(recorded()).singleElement().asString().contains("user=65534");
  }

  @Test
  void command_asAnotherUser_withoutRoot_isRefused() {
    AgentProcess agent =
        new CommandAgentProcess(
            dir.resolve("agent.sh"),
            Optional.of("bamboo"),
            new AgentCommand(Map.of(), Duration.ofSeconds(5)),
            false,
            "hupd");

    assertThatThrownBy(agent::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not root");
  }

  @Test
  void systemd_callsSystemctl_andWritesTheEnvFileBeforeStartAndRestart() throws Exception {
    Path systemctl = script("systemctl", "[ \"$1\" = is-active ] && exit 3; exit 0");
    Path envFile = dir.resolve("run/hupd/bamboo-agent.env");
    AgentProcess agent =
        new SystemdAgentProcess(
            "bamboo-agent.service",
            systemctl,
            envFile,
            new AgentCommand(Map.of(), Duration.ofSeconds(30)));

    agent.start();
    String before = Files.readString(envFile);
    agent.setSecurityToken(TOKEN);
    agent.restart();
    agent.stop();
    boolean running = agent.running();

    assertThat(recorded())
        .extracting(l -> l.substring(0, l.indexOf(" token=")))
        .containsExactly(
            "start bamboo-agent.service",
            "restart bamboo-agent.service",
            "stop bamboo-agent.service",
            "is-active --quiet bamboo-agent.service");
    assertThat(recorded()).allSatisfy(l -> assertThat(l).contains("token=-"));
    assertThat(running).isFalse();
    assertThat(before).doesNotContain("SECURITY_TOKEN");
    assertThat(Files.readString(envFile))
        .isEqualTo(SystemdAgentProcess.ENV_FILE_HEADER + "\nSECURITY_TOKEN=" + TOKEN + "\n");
    assertThat(Files.getPosixFilePermissions(envFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void systemd_failingStart_namesTheUnitAndExitCode() throws Exception {
    Path systemctl = script("systemctl", "exit 5");
    AgentProcess agent =
        new SystemdAgentProcess(
            "bamboo-agent.service",
            systemctl,
            dir.resolve("agent.env"),
            new AgentCommand(Map.of(), Duration.ofSeconds(30)));

    assertThatThrownBy(agent::start)
        .isInstanceOf(IOException.class)
        .hasMessage("systemctl start bamboo-agent.service exited with 5: last line for start");
  }

  @Test
  void tokenWithALineBreak_isRefusedWithoutShowingIt() {
    AgentProcess agent = command(dir.resolve("agent.sh"), Duration.ofSeconds(5));

    assertThatThrownBy(() -> agent.setSecurityToken("abc\ndef"))
        .isInstanceOf(IllegalArgumentException.class)
        .message()
        .doesNotContain("abc");
  }

  @Test
  void unknownSpec_isRefused() {
    assertThatThrownBy(
            () -> AgentProcess.of("docker:agent", Optional.empty(), Map.of(), dir, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
