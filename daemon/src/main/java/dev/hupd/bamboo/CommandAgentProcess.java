package dev.hupd.bamboo;

import dev.hupd.hooks.Account;
import dev.hupd.hooks.Executables;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent run by its control script ({@code PATH start|stop|restart|status}), e.g. the Tanuki
 * {@code bin/bamboo-agent.sh} or the test agent. {@code SECURITY_TOKEN} is in the environment of
 * start and restart only. With an account set and hupd running as root, the script runs as that
 * account through {@code setpriv}, as hook actions do ({@code runas}).
 */
final class CommandAgentProcess implements AgentProcess {

  private static final Logger log = LoggerFactory.getLogger(CommandAgentProcess.class);

  private final Path script;
  private final Optional<String> user;
  private final AgentCommand runner;
  private final boolean root;
  private final String currentUser;
  private volatile Optional<String> token = Optional.empty();

  CommandAgentProcess(Path script, Optional<String> user, AgentCommand runner) {
    this(
        script,
        user,
        runner,
        new com.sun.security.auth.module.UnixSystem().getUid() == 0,
        System.getProperty("user.name"));
  }

  CommandAgentProcess(
      Path script, Optional<String> user, AgentCommand runner, boolean root, String currentUser) {
    this.script = script;
    this.user = user.filter(u -> !u.equals(currentUser));
    this.runner = runner;
    this.root = root;
    this.currentUser = currentUser;
  }

  @Override
  public void start() throws IOException {
    control("start", true);
  }

  @Override
  public void stop() throws IOException {
    control("stop", false);
  }

  @Override
  public void restart() throws IOException {
    control("restart", true);
  }

  @Override
  public boolean running() throws IOException {
    return run("status", false).exit() == 0;
  }

  @Override
  public void setSecurityToken(String value) {
    token = Optional.of(AgentProcess.checkedToken(value));
  }

  private void control(String action, boolean withToken) throws IOException {
    AgentCommand.Result r = run(action, withToken);
    if (r.exit() != 0) {
      throw new IOException(
          script
              + " "
              + action
              + " exited with "
              + r.exit()
              + (r.lastLine().isEmpty() ? "" : ": " + r.lastLine()));
    }
    log.info("event=bamboo.agent-process action={} command={}", action, script);
  }

  private AgentCommand.Result run(String action, boolean withToken) throws IOException {
    List<String> argv = new ArrayList<>();
    Map<String, String> extra = new HashMap<>();
    if (user.isPresent()) {
      Account a = account(user.get());
      argv.addAll(List.of(setpriv(), "--reuid=" + a.uid(), "--regid=" + a.gid(), "--init-groups"));
      extra.put("HOME", a.home());
      extra.put("USER", a.name());
      extra.put("LOGNAME", a.name());
    }
    argv.add(script.toString());
    argv.add(action);
    if (withToken) {
      token.ifPresent(t -> extra.put("SECURITY_TOKEN", t));
    }
    return runner.run(script + " " + action, argv, extra, token);
  }

  private Account account(String name) throws IOException {
    if (!root) {
      throw new IOException(
          "cannot run the agent as "
              + name
              + ": hupd runs as "
              + currentUser
              + ", not root; run hupd as root or drop bamboo-agent-user");
    }
    return Account.lookup(name)
        .orElseThrow(
            () -> new IOException("bamboo-agent-user '" + name + "' does not exist on this host"));
  }

  private static String setpriv() throws IOException {
    return Executables.find("setpriv")
        .orElseThrow(
            () -> new IOException("bamboo-agent-user needs setpriv (util-linux), not installed"));
  }
}
