package dev.hupd.bamboo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent run by its own systemd unit. The security token reaches it through an environment file
 * (mode 0600) the unit names with {@code EnvironmentFile=}, written before every start and restart
 * so a rotated token takes effect then; systemctl itself never sees the token.
 */
final class SystemdAgentProcess implements AgentProcess {

  static final String ENV_FILE_HEADER =
      "# written by hupd for the Bamboo agent unit's EnvironmentFile=; do not edit";

  private static final Logger log = LoggerFactory.getLogger(SystemdAgentProcess.class);
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._~+/=:@%,-]+");

  private final String unit;
  private final Path systemctl;
  private final Path envFile;
  private final AgentCommand runner;
  private volatile Optional<String> token = Optional.empty();

  SystemdAgentProcess(String unit, Path systemctl, Path envFile, AgentCommand runner) {
    this.unit = unit;
    this.systemctl = systemctl;
    this.envFile = envFile;
    this.runner = runner;
  }

  @Override
  public void start() throws IOException {
    writeEnvFile();
    control("start");
  }

  @Override
  public void stop() throws IOException {
    control("stop");
  }

  @Override
  public void restart() throws IOException {
    writeEnvFile();
    control("restart");
  }

  @Override
  public boolean running() throws IOException {
    return runner
            .run(
                "systemctl is-active " + unit,
                List.of(systemctl.toString(), "is-active", "--quiet", unit),
                Map.of(),
                token)
            .exit()
        == 0;
  }

  @Override
  public void setSecurityToken(String value) {
    token = Optional.of(AgentProcess.checkedToken(value));
  }

  private void control(String action) throws IOException {
    String what = "systemctl " + action + " " + unit;
    AgentCommand.Result r =
        runner.run(what, List.of(systemctl.toString(), action, unit), Map.of(), token);
    if (r.exit() != 0) {
      throw new IOException(
          what + " exited with " + r.exit() + (r.lastLine().isEmpty() ? "" : ": " + r.lastLine()));
    }
    log.info("event=bamboo.agent-process action={} unit={}", action, unit);
  }

  /** Always written, empty of a token when none is set, so no stale token outlives a change. */
  private void writeEnvFile() throws IOException {
    StringBuilder text = new StringBuilder(ENV_FILE_HEADER).append('\n');
    if (token.isPresent()) {
      text.append("SECURITY_TOKEN=").append(quoted(token.get())).append('\n');
    }
    AtomicFiles.write(
        envFile,
        text.toString().getBytes(StandardCharsets.UTF_8),
        PosixFilePermissions.fromString("rw-------"));
  }

  /** As systemd reads it: plain when safe, else single-quoted (taken literally). */
  private static String quoted(String value) throws IOException {
    if (PLAIN.matcher(value).matches()) {
      return value;
    }
    if (value.indexOf('\'') >= 0 || value.indexOf('\\') >= 0) {
      throw new IOException(
          "the agent security token holds a quote or backslash, which an EnvironmentFile= cannot"
              + " carry safely (value not shown); use command: mode or a plainer token");
    }
    return "'" + value + "'";
  }
}
