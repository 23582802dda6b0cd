package dev.hupd.bamboo;

import java.util.Locale;

/**
 * Where this host's Bamboo agent stands, as {@code hupd status} shows it (docs/bamboo.md §5). Each
 * state names one thing an operator would do something different about.
 */
public enum AgentState {
  /** Integration configured, nothing learned yet. */
  UNKNOWN(false),
  /** The agent process was started; the master does not know it yet. */
  STARTING(false),
  /** The master answers but is not RUNNING (starting, paused, preparing for restart). */
  WAITING_FOR_MASTER(true),
  /** The master cannot be reached: refused, timed out, TLS, 5xx. */
  MASTER_UNAVAILABLE(true),
  /** The token was refused (401), also after re-reading it. */
  AUTH_FAILED(true),
  /** The token's user lacks the permission (403). */
  FORBIDDEN(true),
  /** The agent's UUID waits for approval on the master. */
  PENDING_AUTHENTICATION(true),
  /** Started long ago, yet the master has no trace of it (e.g. security token refused). */
  NOT_REGISTERED(true),
  /** Several agents on the master carry this host's name. */
  NAME_CONFLICT(true),
  /** The master knows the agent but it is not connected. */
  OFFLINE(true),
  /** Disabled by hupd and kept so: toolchains or capabilities not verified. */
  DISABLED_UNVERIFIED(true),
  /** Disabled on the master by someone other than hupd; hupd leaves it so. */
  DISABLED_BY_OPERATOR(false),
  /** Disabled by hupd for a switch; waiting for the running build to end. */
  DRAINING(false),
  /** Disabled and idle: the switch runs. */
  SWITCHING(false),
  /** Capabilities are being written (in file mode the agent restarts). */
  PUBLISHING(false),
  /** Connected, enabled, verified, capabilities published. */
  ONLINE(false),
  /** hupd is stopping and drains the agent. */
  STOPPING(false),
  /** The agent record was deleted at decommission. */
  REMOVED(false),
  /** The master lacks a REST call hupd needs. */
  UNSUPPORTED_SERVER(true);

  private final boolean trouble;

  AgentState(boolean trouble) {
    this.trouble = trouble;
  }

  /** A state an operator should look at (logged at ERROR/WARN, shown as a problem). */
  public boolean trouble() {
    return trouble;
  }

  /** The spelling in status, logs and state: {@code pending-authentication}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static AgentState parse(String label) {
    try {
      return valueOf(label.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException | NullPointerException e) {
      return UNKNOWN;
    }
  }
}
