package dev.hupd.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of the Bamboo agent lifecycle (keys {@code bamboo-*} in {@code [hupd]}; docs/bamboo.md
 * §11). Present only when {@code bamboo-url} is set.
 *
 * @param url the master's base URL, context path included ({@code https://host[:port][/ctx]})
 * @param token where the master's personal access token is read: {@code file:PATH} or {@code
 *     ssm:NAME} (SecureString); never a literal
 * @param caFile extra PEM certificates trusted for the master, besides the JDK's
 * @param proxy HTTP proxy for the master; empty = the same chain as AWS calls; {@link #NO_PROXY} =
 *     direct
 * @param timeout per request
 * @param poll how often registration states are re-read between passes
 * @param agentHome the remote agent's home ({@code bamboo-agent.cfg.xml}, {@code bin/})
 * @param agentName the name the agent registers with
 * @param agentProcess how the agent process is driven: {@code systemd:UNIT} or {@code command:PATH}
 * @param agentUser the account a {@code command:} agent runs as; empty = hupd's own
 * @param agentSecurityToken the agent's security token ({@code file:}/{@code ssm:}), handed to the
 *     agent as {@code SECURITY_TOKEN}
 * @param tokenRefresh how often secrets are re-read (a changed agent token restarts it when idle)
 * @param identity baked-identity handling
 * @param approve whether hupd approves its own pending agent
 * @param registerTimeout after this long without a trace on the master, the agent is {@code
 *     not-registered}
 * @param capabilities how capabilities are published
 * @param dockerExecutable published as {@code system.docker.executable}
 * @param drainTimeout longest wait for the running build before a switch; zero = no wait
 * @param drainExpired what happens when the build outlasts the drain timeout
 * @param busyPoll how often busy is re-read while draining
 * @param unreachable what a switch does when the master cannot be reached to disable the agent
 * @param stop what SIGTERM does to the agent
 * @param stopTimeout longest wait for the running build at stop
 * @param remove when the agent record is deleted at stop
 */
public record BambooSettings(
    URI url,
    String token,
    Optional<Path> caFile,
    Optional<URI> proxy,
    Duration timeout,
    Duration poll,
    Path agentHome,
    String agentName,
    String agentProcess,
    Optional<String> agentUser,
    Optional<String> agentSecurityToken,
    Duration tokenRefresh,
    Identity identity,
    boolean approve,
    Duration registerTimeout,
    CapabilityMode capabilities,
    Path dockerExecutable,
    Duration drainTimeout,
    DrainExpired drainExpired,
    Duration busyPoll,
    Unreachable unreachable,
    StopMode stop,
    Duration stopTimeout,
    Remove remove) {

  /** {@code bamboo-proxy = none}: connect directly. */
  public static final URI NO_PROXY = URI.create("none:direct");

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_POLL = Duration.ofSeconds(30);
  public static final Path DEFAULT_AGENT_HOME = Path.of("/home/bamboo/bamboo-agent-home");
  public static final String DEFAULT_AGENT_PROCESS = "systemd:bamboo-agent.service";
  public static final Duration DEFAULT_TOKEN_REFRESH = Duration.ofHours(1);
  public static final Duration DEFAULT_REGISTER_TIMEOUT = Duration.ofMinutes(5);
  public static final Path DEFAULT_DOCKER_EXECUTABLE = Path.of("/usr/bin/docker");
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofMinutes(30);
  public static final Duration DEFAULT_BUSY_POLL = Duration.ofSeconds(15);
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofMinutes(10);

  /** {@code bamboo-identity}. */
  public enum Identity {
    AUTO,
    KEEP,
    RESET
  }

  /** {@code bamboo-capabilities}. */
  public enum CapabilityMode {
    AUTO,
    REST,
    FILE
  }

  /** {@code bamboo-drain-expired}. */
  public enum DrainExpired {
    PROCEED,
    DEFER
  }

  /** {@code bamboo-unreachable}. */
  public enum Unreachable {
    DEFER,
    APPLY
  }

  /** {@code bamboo-stop}. */
  public enum StopMode {
    KEEP,
    DRAIN
  }

  /** {@code bamboo-remove}. */
  public enum Remove {
    NEVER,
    SCALE_IN,
    ALWAYS
  }
}
