package dev.hupd.bamboo;

import dev.hupd.hooks.Executables;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Drives the remote agent's process (docs/bamboo.md §10): through its systemd unit ({@code
 * systemd:UNIT}) or its control script ({@code command:PATH}, e.g. the Tanuki {@code
 * bin/bamboo-agent.sh}). Each command is bounded; a failing start, stop or restart is an {@link
 * IOException} with the exit code and the last line of output. The agent's security token travels
 * as {@code SECURITY_TOKEN} and never appears in logs or messages.
 */
public interface AgentProcess {

  Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

  /** Where a systemd agent's {@code EnvironmentFile=} with {@code SECURITY_TOKEN} is written. */
  Path DEFAULT_ENV_FILE = Path.of("/run/hupd/bamboo-agent.env");

  void start() throws IOException;

  void stop() throws IOException;

  void restart() throws IOException;

  /**
   * Whether the agent runs ({@code is-active}, or the script's {@code status} exiting 0).
   *
   * @throws IOException when the command cannot be run or does not finish in time
   */
  boolean running() throws IOException;

  /**
   * The security token given to the agent from the next start or restart on (rotation); a value
   * with line breaks or other control characters is refused.
   */
  void setSecurityToken(String token);

  /**
   * The process {@code spec} names ({@code bamboo-agent-process}).
   *
   * @param user the account a {@code command:} agent runs as (through {@code setpriv}, when hupd is
   *     root); ignored for a unit, which names its own {@code User=}
   * @param environment the commands' environment (hupd's own, normally); PATH gets a default
   * @param envFile where a systemd agent's environment file is written ({@link #DEFAULT_ENV_FILE})
   * @param timeout the bound of each command ({@link #DEFAULT_TIMEOUT})
   * @throws IllegalArgumentException for a spec that is neither form (settings validate it)
   */
  static AgentProcess of(
      String spec,
      Optional<String> user,
      Map<String, String> environment,
      Path envFile,
      Duration timeout) {
    AgentCommand runner = new AgentCommand(environment, timeout);
    if (spec.startsWith("systemd:") && spec.length() > 8) {
      Path systemctl = Path.of(Executables.find("systemctl").orElse("/usr/bin/systemctl"));
      return new SystemdAgentProcess(spec.substring(8), systemctl, envFile, runner);
    }
    if (spec.startsWith("command:") && spec.length() > 8) {
      return new CommandAgentProcess(Path.of(spec.substring(8)), user, runner);
    }
    throw new IllegalArgumentException(
        "not an agent process: '" + spec + "' (expected systemd:<unit> or command:<path>)");
  }

  /** Refuses values that cannot travel in one environment variable or one env-file line. */
  static String checkedToken(String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("the agent security token is empty");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(
            "the agent security token holds a control character (value not shown)");
      }
    }
    return token;
  }
}
