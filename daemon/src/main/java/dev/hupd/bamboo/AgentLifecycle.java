package dev.hupd.bamboo;

import dev.hupd.apply.PassContext;
import dev.hupd.apply.PassGate;
import dev.hupd.apply.PassReport;
import dev.hupd.config.BambooSettings;
import dev.hupd.config.Durations;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.LogLimiter;
import dev.hupd.poll.Sleeper;
import dev.hupd.toolchain.Manifest;
import dev.hupd.toolchain.ToolchainStep;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's Bamboo agent, from boot to decommission (docs/bamboo.md): registration ({@link
 * #tick}), the drain around every disruptive pass (the {@link PassGate} side), health for the
 * rollout ({@link #health}) and stop ({@link #stop}).
 *
 * <p>Invariant E: the agent is enabled only by this class, only when every toolchain of the
 * manifest is active at its current entry (verified), the capabilities for exactly those images are
 * published and read back, and either hupd disabled it or this is the first enable after
 * registration. An agent someone else disabled stays disabled.
 *
 * <p>Invariant D: no disruptive pass starts while the master reports the agent busy, except after
 * the drain limit with {@code bamboo-drain-expired = proceed}; the agent is never restarted while
 * busy.
 *
 * <p>All calls run on the daemon's thread; the record is written to state before each disable.
 */
public final class AgentLifecycle implements PassGate {

  private static final Logger log = LoggerFactory.getLogger(AgentLifecycle.class);
  private static final Duration START_RETRY = Duration.ofSeconds(30);
  private static final Duration RECONNECT_WAIT = Duration.ofMinutes(2);
  private static final Duration REPEAT = Duration.ofMinutes(15);
  private static final String RESTART_DEFERRED =
      "the agent is building; it restarts (to read its capabilities or token) once idle";

  private final BambooSettings settings;
  private final BambooClient client;
  private final AgentHome home;
  private final AgentProcess process;
  private final Optional<Secret> agentToken;
  private final StateStore state;
  private final Path stateDir;
  private final String hostId;
  private final boolean manageToolchains;
  private final Clock clock;
  private final Sleeper sleeper;
  private final BooleanSupplier stopping;
  private final LogLimiter limiter;
  private final AgentRecord record;

  private Instant nextTick = Instant.EPOCH;
  private Instant nextStart = Instant.EPOCH;
  private Instant nextTokenRefresh;
  private Instant startedAt;
  private boolean identityChecked;
  private boolean passSeen;
  private Optional<Manifest> manifest = Optional.empty();
  private Optional<Duration> drainLimit = Optional.empty();

  public AgentLifecycle(
      BambooSettings settings,
      BambooClient client,
      AgentHome home,
      AgentProcess process,
      Optional<Secret> agentToken,
      StateStore state,
      Path stateDir,
      String hostId,
      boolean manageToolchains,
      Clock clock,
      Sleeper sleeper,
      BooleanSupplier stopping,
      LogLimiter limiter) {
    this.settings = settings;
    this.client = client;
    this.home = home;
    this.process = process;
    this.agentToken = agentToken;
    this.state = state;
    this.stateDir = stateDir;
    this.hostId = hostId;
    this.manageToolchains = manageToolchains;
    this.clock = clock;
    this.sleeper = sleeper;
    this.stopping = stopping;
    this.limiter = limiter;
    this.record = AgentRecord.load(state);
    this.nextTokenRefresh = clock.instant().plus(settings.tokenRefresh());
  }

  // ---------------------------------------------------------------- registration

  /** When the registration state should next be re-read (the daemon wakes up for it). */
  public Instant nextWake() {
    return nextTick;
  }

  /** Re-reads the master when due: registration, approval, first enable, owed enables. */
  public void tick() {
    Instant now = clock.instant();
    if (now.isBefore(nextTick)) {
      return;
    }
    nextTick = now.plus(settings.poll());
    try {
      checkIdentity();
      refreshAgentToken();
      ServerState server = client.status();
      if (server != ServerState.RUNNING) {
        enter(AgentState.WAITING_FOR_MASTER, "master state " + server);
        return;
      }
      if (record.serverVersion == null) {
        record.serverVersion = client.info().version();
        save();
      }
      if (!passSeen && record.agentId == null) {
        // the agent is started only once the toolchains had their first pass (and the master
        // answered an authenticated call), so it never takes a build on an unverified host
        client.remoteAgents(false);
        enter(AgentState.STARTING, "waiting for the first pass to verify the toolchains");
        return;
      }
      locate();
    } catch (BambooException e) {
      failed(e);
    } catch (SecretException e) {
      enter(AgentState.AUTH_FAILED, e.getMessage());
    } catch (RuntimeException e) {
      // a bug or an unexpected answer must not take the daemon (and the hooks) down
      int suppressed = limiter.admit("bamboo|tick|" + e, REPEAT);
      if (suppressed >= 0) {
        log.error("event=bamboo.tick-failed reason=\"{}\" next=\"retried next tick\"", e, e);
      }
    }
  }

  /** Baked-image detection (docs/bamboo.md §4.2), once per process start. */
  private void checkIdentity() throws BambooException {
    if (identityChecked) {
      return;
    }
    Optional<AgentHome.Identity> id = readIdentity();
    String decision;
    if (id.isEmpty()) {
      decision = "fresh";
    } else if (settings.identity() == BambooSettings.Identity.KEEP) {
      decision = "keep";
    } else if (settings.identity() == BambooSettings.Identity.RESET) {
      decision = record.hostId != null && record.hostId.equals(hostId) ? "keep" : "reset";
    } else if (record.hostId != null) {
      decision =
          record.hostId.equals(hostId) && id.get().uuid().equals(record.uuid) ? "keep" : "reset";
    } else {
      // first hupd start on this host: adopt an identity this host registered itself (same name,
      // e.g. migrating from cfn-hup); one baked into the image carries another host's name
      decision = id.get().name().map(settings.agentName()::equals).orElse(false) ? "keep" : "reset";
    }
    if (decision.equals("reset")) {
      resetIdentity(
          id.get(),
          record.hostId == null
              ? "identity files name agent '" + id.get().name().orElse("?") + "', not this host"
              : "identity belongs to host " + record.hostId);
    } else if (id.isPresent()) {
      record.uuid = id.get().uuid();
      id.get().agentId().ifPresent(a -> record.agentId = a);
    }
    if (record.hostId == null || !record.hostId.equals(hostId) || decision.equals("reset")) {
      record.hostId = hostId;
      if (decision.equals("reset") || decision.equals("fresh")) {
        record.firstEnableDone = false;
      }
      save();
    }
    identityChecked = true;
  }

  private void warnOnce(String what, String format, Object... args) {
    if (limiter.admit("bamboo|" + what, REPEAT) >= 0) {
      log.warn(format, args);
    }
  }

  private Optional<AgentHome.Identity> readIdentity() {
    try {
      return home.identity();
    } catch (Exception e) {
      int suppressed = limiter.admit("bamboo|identity|" + e.getMessage(), REPEAT);
      if (suppressed >= 0) {
        log.warn(
            "event=bamboo.identity-unreadable reason=\"{}\" next=\"treated as no identity\"",
            e.getMessage());
      }
      return Optional.empty();
    }
  }

  private void resetIdentity(AgentHome.Identity old, String why) {
    try {
      process.stop();
    } catch (Exception e) {
      log.warn("event=bamboo.agent-stop-failed reason=\"{}\"", e.getMessage());
    }
    Path moved = null;
    try {
      moved = home.quarantine(stateDir, clock.instant());
    } catch (Exception e) {
      log.error(
          "event=bamboo.identity-reset-failed reason=\"{}\" next=\"retried next tick\"",
          e.getMessage());
      return;
    }
    log.warn(
        "event=bamboo.identity-reset old_uuid={} old_id={} reason=\"{}\" moved_to={}",
        old.uuid(),
        old.agentId().isPresent() ? old.agentId().getAsLong() : "none",
        why,
        moved);
    record.uuid = null;
    record.agentId = null;
    record.name = null;
    record.firstEnableDone = false;
    record.pendingEnable = false;
    record.disabledByHupd = false;
    record.published = new TreeMap<>();
    startedAt = null;
  }

  private void refreshAgentToken() throws SecretException {
    if (agentToken.isEmpty()) {
      return;
    }
    Instant now = clock.instant();
    if (now.isBefore(nextTokenRefresh)) {
      process.setSecurityToken(agentToken.get().value());
      return;
    }
    nextTokenRefresh = now.plus(settings.tokenRefresh());
    String before = agentToken.get().value();
    String after = agentToken.get().refresh();
    process.setSecurityToken(after);
    if (!after.equals(before)) {
      log.info(
          "event=bamboo.agent-token-rotated secret={} next=\"agent restarts when idle\"",
          agentToken.get().name());
      record.restartPending = true;
      save();
    }
  }

  private void locate() throws BambooException {
    boolean startedNow = locateOnce();
    if (startedNow) {
      locateOnce(); // a just-started agent is pending (or registered) at once: one cycle, not two
    }
  }

  /** One look at the master; true when it started the agent process. */
  private boolean locateOnce() throws BambooException {
    Optional<AgentHome.Identity> id = readIdentity();
    if (id.isPresent()) {
      AgentHome.Identity i = id.get();
      if (record.uuid != null && !record.uuid.equals(i.uuid()) && record.agentId != null) {
        // the files changed under a registered agent: not the agent's doing; keep what hupd knows
        warnOnce(
            "identity-changed",
            "event=bamboo.identity-changed file_uuid={} known_uuid={} next=\"ignored; hupd keeps"
                + " agent {}\"",
            i.uuid(),
            record.uuid,
            record.agentId);
      } else {
        record.uuid = i.uuid();
        if (i.agentId().isPresent()) {
          if (record.agentId == null) {
            record.agentId = i.agentId().getAsLong();
          } else if (record.agentId != i.agentId().getAsLong()) {
            // an id is learned once, when the agent registers; a rewritten file cannot move hupd
            // onto another host's agent
            warnOnce(
                "id-changed",
                "event=bamboo.identity-changed file_id={} known_id={} next=\"ignored\"",
                i.agentId().getAsLong(),
                record.agentId);
          }
        }
      }
    }
    if (record.uuid != null && (record.agentId == null || !Boolean.TRUE.equals(record.active))) {
      // not connected: maybe waiting for approval (new agent, or a known one from a new address)
      for (AgentAuthentication a : client.authentications(true)) {
        if (a.uuid().equals(record.uuid) && !a.approved()) {
          pending(a);
          return false;
        }
      }
    }
    if (record.agentId != null) {
      Optional<RemoteAgent> agent = client.agent(record.agentId);
      if (agent.isEmpty()) {
        long gone = record.agentId;
        log.error(
            "event=bamboo.agent-deleted agent_id={} next=\"identity reset; the agent registers anew\"",
            gone);
        id.ifPresent(i -> resetIdentity(i, "agent " + gone + " no longer exists on the master"));
        record.agentId = null;
        save();
        enter(AgentState.NOT_REGISTERED, "agent " + gone + " was deleted on the master");
        return false;
      }
      observe(agent.get());
      return false;
    }
    // by name only to warn: a name is no identity (another host, a reused host name), so an agent
    // found by name is never adopted; this host's own agent registers as "NAME (2)" beside it
    List<RemoteAgent> named = new ArrayList<>();
    for (RemoteAgent a : client.remoteAgents(true)) {
      if (a.name().equals(settings.agentName())) {
        named.add(a);
      }
    }
    boolean started = ensureRunning();
    if (!named.isEmpty() && !started) {
      enter(
          AgentState.NAME_CONFLICT,
          "agent "
              + named.get(0).id()
              + " on the master is connected under this host's name '"
              + settings.agentName()
              + "'; this host's agent registers beside it (as '"
              + settings.agentName()
              + " (2)'); give each host its own bamboo-agent-name");
      return false;
    }
    if (startedAt != null
        && Duration.between(startedAt, clock.instant()).compareTo(settings.registerTimeout())
            >= 0) {
      enter(
          AgentState.NOT_REGISTERED,
          "the agent started "
              + Durations.format(Duration.between(startedAt, clock.instant()))
              + " ago and the master has no trace of it; check that it reaches the master and"
              + " that its security token ("
              + settings.agentSecurityToken().orElse("bamboo-agent-security-token, not set")
              + ") is the master's");
    } else if (startFailure.isPresent()) {
      enter(
          AgentState.OFFLINE,
          "the agent process does not start ("
              + settings.agentProcess()
              + "): "
              + startFailure.get()
              + "; is the agent installed in "
              + settings.agentHome()
              + "?");
    } else {
      enter(AgentState.STARTING, "waiting for the master to see the agent");
    }
    return started;
  }

  private void pending(AgentAuthentication a) throws BambooException {
    startedAt = null;
    String pair = a.uuid() + "|" + a.ip();
    if (settings.approve() && !record.approvals.contains(pair)) {
      record.approvals.add(pair); // recorded first: a restart never approves the same pair again
      save();
      client.approve(a.uuid());
      log.info("event=bamboo.approved uuid={} ip={}", a.uuid(), a.ip());
      enter(AgentState.STARTING, "approved uuid " + a.uuid() + " from " + a.ip());
      nextTick = clock.instant().plusSeconds(1);
      return;
    }
    enter(
        AgentState.PENDING_AUTHENTICATION,
        "uuid "
            + a.uuid()
            + " from "
            + a.ip()
            + (settings.approve()
                ? " waits for approval (hupd approved this pair before; an admin must look)"
                : " waits for an admin to approve it (bamboo-approve = off)"));
  }

  private boolean processRunning() {
    try {
      return process.running();
    } catch (java.io.IOException e) {
      int suppressed = limiter.admit("bamboo|process-status", REPEAT);
      if (suppressed >= 0) {
        log.warn("event=bamboo.agent-status-unknown reason=\"{}\"", e.getMessage());
      }
      // unknown: try a start (the control script's start is a no-op for a running agent); a
      // failure shows as the reason the agent is down instead of a wait that never ends
      startFailure = Optional.of(e.getMessage());
      return false;
    }
  }

  /** Starts the agent process unless it runs (or a start failed lately); true if it started it. */
  private boolean ensureRunning() {
    if (processRunning()) {
      if (startedAt == null) {
        startedAt = clock.instant();
      }
      return false;
    }
    Instant now = clock.instant();
    if (now.isBefore(nextStart)) {
      return false;
    }
    nextStart = now.plus(START_RETRY);
    try {
      agentToken.ifPresent(
          t -> {
            try {
              process.setSecurityToken(t.value());
            } catch (SecretException e) {
              throw new IllegalStateException(e.getMessage(), e);
            }
          });
      process.start();
      startFailure = Optional.empty();
      if (startedAt == null) {
        startedAt = now; // the registration clock runs from the first start, not each retry
      }
      log.info("event=bamboo.agent-started process={}", settings.agentProcess());
      return true;
    } catch (IllegalStateException e) {
      log.error(
          "event=bamboo.agent-token-unreadable secret={} reason=\"{}\" next=\"agent not started\"",
          agentToken.map(Secret::name).orElse(""),
          e.getMessage());
    } catch (Exception e) {
      log.error(
          "event=bamboo.agent-start-failed process={} reason=\"{}\" next=\"retried in {}\"",
          settings.agentProcess(),
          e.getMessage(),
          Durations.format(START_RETRY));
      startFailure = Optional.of(e.getMessage());
    }
    return false;
  }

  /** Why the last start of the agent failed (not installed, script error), while it is down. */
  private Optional<String> startFailure = Optional.empty();

  /** The master knows the agent: bring it to online, or say why not. */
  private void observe(RemoteAgent agent) throws BambooException {
    remember(agent);
    startedAt = null;
    if (!agent.active()) {
      boolean restarted = ensureRunning();
      enter(
          AgentState.OFFLINE,
          startFailure
              .map(f -> "the agent process does not start: " + f)
              .orElse(
                  restarted
                      ? "the agent was not running; started it again"
                      : "the master shows the agent disconnected"));
      return;
    }
    if (record.restartPending && !agent.busy()) {
      Optional<String> problem = restartIdle(agent);
      if (problem.isPresent()) {
        enter(
            problem.get().equals(RESTART_DEFERRED) ? AgentState.DRAINING : AgentState.OFFLINE,
            problem.get());
        return;
      }
      Optional<RemoteAgent> back = client.agent(agent.id());
      if (back.isEmpty()) {
        return;
      }
      agent = back.get();
    }
    if (!passSeen) {
      // nothing is published or enabled before this run's first pass read the manifest
      if (record.pendingEnable || !record.firstEnableDone) {
        enter(
            AgentState.DISABLED_UNVERIFIED, "waiting for the first pass to verify the toolchains");
      } else if (!agent.enabled()) {
        enter(AgentState.DISABLED_BY_OPERATOR, "disabled on the master, not by hupd");
      } else {
        enter(AgentState.ONLINE, agent.busy() ? "building" : "idle");
      }
      return;
    }
    if (!record.firstEnableDone || record.pendingEnable) {
      if (record.switchPending) {
        enter(AgentState.DISABLED_UNVERIFIED, "a switch is due; the next pass runs it");
        return;
      }
      if (!record.unverified.isEmpty()) {
        if (agent.enabled()) {
          disable(agent, "toolchains not verified");
        }
        enter(AgentState.DISABLED_UNVERIFIED, String.join("; ", record.unverified));
        return;
      }
      if (!record.firstEnableDone && !agent.enabled() && !record.pendingEnable) {
        record.pendingEnable = true;
        record.disabledByHupd = true;
        save();
      }
      finish(agent);
      return;
    }
    if (!agent.enabled()) {
      enter(AgentState.DISABLED_BY_OPERATOR, "disabled on the master, not by hupd");
    } else {
      enter(AgentState.ONLINE, agent.busy() ? "building" : "idle");
    }
  }

  private void remember(RemoteAgent agent) {
    if (record.disableInFlight) {
      record.disableInFlight = false;
      if (!agent.enabled()) {
        record.disabledByHupd = true;
        record.pendingEnable = true;
      }
      save();
    }
    boolean changed =
        record.agentId == null
            || record.agentId != agent.id()
            || !agent.name().equals(record.name)
            || !Boolean.valueOf(agent.active()).equals(record.active)
            || !Boolean.valueOf(agent.enabled()).equals(record.enabled)
            || !Boolean.valueOf(agent.busy()).equals(record.busy);
    record.agentId = agent.id();
    record.name = agent.name();
    record.active = agent.active();
    record.enabled = agent.enabled();
    record.busy = agent.busy();
    String before = record.checkedAt;
    record.checkedAt =
        clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    if (changed
        || before == null
        || Duration.between(Instant.parse(before), clock.instant()).compareTo(settings.poll())
            >= 0) {
      save(); // "as of" in hupd status moves at least once per bamboo-poll
    }
  }

  /** Publishes and enables, under invariant E (verified already checked by the caller). */
  private void finish(RemoteAgent agent) throws BambooException {
    CapabilitySet desired = CapabilitySet.of(manifest, state, settings.dockerExecutable());
    if (!desired.conflicts().isEmpty()) {
      enter(AgentState.DISABLED_UNVERIFIED, String.join("; ", desired.conflicts()));
      return;
    }
    enter(AgentState.PUBLISHING, desired.capabilities().size() + " capabilities");
    Optional<String> problem = publish(agent, desired);
    if (problem.isPresent()) {
      enter(AgentState.DISABLED_UNVERIFIED, problem.get());
      return;
    }
    if (record.pendingEnable || !record.firstEnableDone) {
      boolean hupdMay = record.disabledByHupd || !record.firstEnableDone;
      if (hupdMay) {
        RemoteAgent after = client.enable(agent.id());
        remember(after);
        log.info(
            "event=bamboo.enabled agent_id={} capabilities={}",
            agent.id(),
            desired.capabilities().size());
      }
      record.pendingEnable = false;
      record.disabledByHupd = false;
      record.firstEnableDone = true;
      save();
    }
    Optional<RemoteAgent> now = client.agent(agent.id());
    if (now.isPresent()) {
      remember(now.get());
      if (!now.get().enabled()) {
        enter(AgentState.DISABLED_BY_OPERATOR, "disabled on the master, not by hupd");
        return;
      }
    }
    enter(AgentState.ONLINE, now.map(a -> a.busy() ? "building" : "idle").orElse("idle"));
  }

  // ---------------------------------------------------------------- capabilities

  /** Writes the capabilities the chosen way and reads them back; a problem keeps it disabled. */
  private Optional<String> publish(RemoteAgent agent, CapabilitySet desired)
      throws BambooException {
    String mode = mode(agent);
    if (mode.equals("rest")) {
      return publishRest(agent.id(), desired);
    }
    return publishFile(agent, desired);
  }

  private String mode(RemoteAgent agent) throws BambooException {
    if (settings.capabilities() != BambooSettings.CapabilityMode.AUTO) {
      String set = settings.capabilities() == BambooSettings.CapabilityMode.REST ? "rest" : "file";
      if (!set.equals(record.publishedMode)) {
        record.publishedMode = set;
        save();
      }
      return set;
    }
    if (record.publishedMode != null) {
      return record.publishedMode;
    }
    String mode = "file";
    ServerInfo info = client.info();
    if (info.atLeast(7, 1)) {
      // 7.1+ has the capability REST: a 404 here is the agent gone, not the call; it surfaces
      client.capabilities(agent.id());
      mode = "rest";
    }
    record.publishedMode = mode;
    save();
    log.info("event=bamboo.capability-mode mode={} server={}", mode, info.version());
    return mode;
  }

  private Optional<String> publishRest(long id, CapabilitySet desired) throws BambooException {
    Map<String, Capability> current = byKey(client.capabilities(id));
    int added = 0;
    int changed = 0;
    int removed = 0;
    for (Map.Entry<String, String> e : desired.capabilities().entrySet()) {
      Capability c = current.get(e.getKey());
      if (c == null) {
        client.addCapability(id, e.getKey(), e.getValue());
        added++;
      } else if (!e.getValue().equals(c.value())) {
        client.updateCapability(id, e.getKey(), e.getValue());
        changed++;
      }
    }
    for (Capability c : current.values()) {
      if (!desired.capabilities().containsKey(c.key())
          && CapabilitySet.owned(c.key(), record.published)) {
        client.deleteCapability(id, c.key());
        removed++;
      }
    }
    Map<String, Capability> back = byKey(client.capabilities(id));
    for (Map.Entry<String, String> e : desired.capabilities().entrySet()) {
      Capability c = back.get(e.getKey());
      if (c == null || !e.getValue().equals(c.value())) {
        return Optional.of(
            "capability '"
                + e.getKey()
                + "' reads "
                + (c == null ? "nothing" : "'" + c.value() + "'")
                + " on the master after publishing '"
                + e.getValue()
                + "'");
      }
    }
    record.published = new TreeMap<>(desired.capabilities());
    save();
    if (added + changed + removed > 0) {
      log.info(
          "event=bamboo.capabilities-published mode=rest agent_id={} added={} changed={} removed={}",
          id,
          added,
          changed,
          removed);
    }
    return Optional.empty();
  }

  private Optional<String> publishFile(RemoteAgent agent, CapabilitySet desired)
      throws BambooException {
    boolean changed;
    try {
      changed = home.writeCapabilities(desired.capabilities());
    } catch (Exception e) {
      return Optional.of("cannot write " + home.capabilitiesFile() + ": " + e.getMessage());
    }
    if (changed) {
      record.restartPending = true;
      save();
      log.info(
          "event=bamboo.capabilities-written file={} keys={} next=\"agent restarts when idle\"",
          home.capabilitiesFile(),
          desired.capabilities().size());
    }
    if (record.restartPending) {
      Optional<RemoteAgent> now = client.agent(agent.id());
      if (now.isPresent() && now.get().busy()) {
        if (now.get().enabled()) {
          disable(now.get(), "capabilities changed; the agent restarts once its build ends");
        }
        return Optional.of("capabilities file written; the agent restarts once its build ends");
      }
      Optional<String> restarted = restartIdle(agent);
      if (restarted.isPresent()) {
        return restarted;
      }
    }
    List<Capability> back;
    try {
      back = client.capabilities(agent.id());
    } catch (BambooException e) {
      if (e.kind() == BambooException.Kind.NOT_FOUND) {
        record.published = new TreeMap<>(desired.capabilities());
        save();
        return Optional.empty(); // a master without the capability REST cannot read them back
      }
      throw e;
    }
    Map<String, Capability> byKey = byKey(back);
    for (Map.Entry<String, String> e : desired.capabilities().entrySet()) {
      Capability c = byKey.get(e.getKey());
      if (c != null && !e.getValue().equals(c.value())) {
        log.warn(
            "event=bamboo.capability-overridden key=\"{}\" file=\"{}\" master=\"{}\" source={}"
                + " next=\"agent stays disabled until the override is removed on the master\"",
            e.getKey(),
            e.getValue(),
            c.value(),
            c.source());
        return Optional.of(
            "capability '"
                + e.getKey()
                + "' is overridden on the master ('"
                + c.value()
                + "', source "
                + c.source()
                + ")");
      }
      if (c == null) {
        return Optional.of("capability '" + e.getKey() + "' does not show on the master");
      }
    }
    record.published = new TreeMap<>(desired.capabilities());
    save();
    return Optional.empty();
  }

  /** Restarts the agent (only ever called when idle) and waits for it to reconnect. */
  private Optional<String> restartIdle(RemoteAgent agent) throws BambooException {
    Optional<RemoteAgent> now = client.agent(agent.id());
    if (now.isPresent() && now.get().enabled()) {
      // no build may be handed to it between the idle check and the restart
      disable(now.get(), "restart");
      now = client.agent(agent.id());
    }
    if (now.isPresent() && now.get().busy()) {
      return Optional.of(RESTART_DEFERRED);
    }
    try {
      process.restart();
    } catch (Exception e) {
      return Optional.of("agent restart failed: " + e.getMessage());
    }
    record.restartPending = false;
    save();
    log.info("event=bamboo.agent-restarted reason=\"capabilities or security token changed\"");
    Instant deadline = clock.instant().plus(RECONNECT_WAIT);
    sleeper.sleep(Duration.ofSeconds(1));
    while (clock.instant().isBefore(deadline) && !stopping.getAsBoolean()) {
      Optional<RemoteAgent> a = client.agent(agent.id());
      if (a.isPresent() && a.get().active()) {
        remember(a.get());
        return Optional.empty();
      }
      if (!sleeper.sleep(Duration.ofSeconds(1))) {
        break;
      }
    }
    return Optional.of("the agent did not reconnect within " + Durations.format(RECONNECT_WAIT));
  }

  private static Map<String, Capability> byKey(List<Capability> list) {
    Map<String, Capability> m = new TreeMap<>();
    list.forEach(c -> m.put(c.key(), c));
    return m;
  }

  // ---------------------------------------------------------------- drain (the pass gate)

  /** Fleet mode: a gated switch may wait for the build at most this long (half its turn lease). */
  public void limitDrain(Optional<Duration> limit) {
    this.drainLimit = limit;
  }

  @Override
  public Decision before(PassContext context, boolean disruptive) {
    if (!disruptive) {
      return PROCEED;
    }
    if (record.agentId == null) {
      return PROCEED; // no agent on the master yet: nothing can be building
    }
    long id = record.agentId;
    try {
      Optional<RemoteAgent> agent = client.agent(id);
      if (agent.isEmpty()) {
        return PROCEED;
      }
      remember(agent.get());
      ServerState server = client.status();
      if (server != ServerState.RUNNING) {
        enter(AgentState.WAITING_FOR_MASTER, "master state " + server);
        return new Decision.Skip("the Bamboo master is " + server);
      }
      if (agent.get().enabled()) {
        disable(agent.get(), "switch");
      } else if (!record.disabledByHupd) {
        log.info(
            "event=bamboo.drain agent_id={} reason=\"disabled by someone else; stays disabled\"",
            id);
      }
      Decision d = waitIdle(id, context);
      if (d instanceof Decision.Skip && record.pendingEnable) {
        record.switchPending = true;
        save();
      }
      return d;
    } catch (BambooException e) {
      if (record.pendingEnable && !record.switchPending) {
        record.switchPending = true;
        save();
      }
      failed(e);
      if (settings.unreachable() == BambooSettings.Unreachable.APPLY) {
        log.warn(
            "event=bamboo.drain-skipped reason=\"{}\" next=\"switching without a drain (bamboo-unreachable = apply)\"",
            e.getMessage());
        return PROCEED;
      }
      return new Decision.Skip("could not drain the Bamboo agent: " + e.getMessage());
    }
  }

  private Decision waitIdle(long id, PassContext context) throws BambooException {
    Duration limit = settings.drainTimeout();
    if (drainLimit.isPresent() && drainLimit.get().compareTo(limit) < 0) {
      limit = drainLimit.get();
    }
    Instant start = clock.instant();
    Instant deadline = start.plus(limit);
    while (true) {
      Optional<RemoteAgent> a = client.agent(id);
      if (a.isPresent() && a.get().enabled()) {
        // someone enabled it while hupd drained: their call; this switch waits for another pass
        remember(a.get());
        record.disabledByHupd = false;
        record.pendingEnable = false;
        save();
        log.warn(
            "event=bamboo.drain-overridden agent_id={} next=\"switch deferred; the next pass drains"
                + " again\"",
            id);
        enter(AgentState.ONLINE, "enabled on the master during a drain; switch deferred");
        return new Decision.Skip("the agent was enabled on the master during the drain");
      }
      if (a.isEmpty() || !a.get().busy()) {
        a.ifPresent(this::remember);
        enter(AgentState.SWITCHING, "agent idle");
        return PROCEED;
      }
      remember(a.get());
      Instant now = clock.instant();
      enter(
          AgentState.DRAINING,
          "waiting for the running build: "
              + Durations.format(Duration.between(start, now).withNanos(0))
              + " of "
              + Durations.format(limit));
      if (!now.isBefore(deadline)) {
        if (settings.drainExpired() == BambooSettings.DrainExpired.DEFER) {
          log.warn(
              "event=bamboo.drain-expired agent_id={} waited={} next=\"switch deferred to the next pass\"",
              id,
              Durations.format(limit));
          return new Decision.Skip("the agent was still building after " + Durations.format(limit));
        }
        log.warn(
            "event=bamboo.drain-expired agent_id={} waited={} next=\"switching while the build runs;"
                + " the agent takes no new build and is not restarted while busy\"",
            id,
            Durations.format(limit));
        return PROCEED;
      }
      if (stopping.getAsBoolean()) {
        return new Decision.Skip("hupd is stopping");
      }
      Duration nap = settings.busyPoll();
      Duration left = Duration.between(now, deadline);
      if (left.compareTo(nap) < 0) {
        nap = left;
      }
      context.progress(); // waiting for the build, within the drain limit
      if (!sleeper.sleep(nap)) {
        return new Decision.Skip("hupd is stopping");
      }
    }
  }

  @Override
  public void after(PassContext context, PassReport report) {
    passSeen = true;
    if (record.switchPending) {
      record.switchPending = false;
      save();
    }
    context.attachment(Manifest.class).ifPresent(m -> manifest = Optional.of(m));
    List<String> problems = new ArrayList<>();
    if (manageToolchains) {
      if (context.attachment(Manifest.class).isEmpty() && report.readErrors() > 0) {
        // unknown is not failed: keep what the last readable pass found
        problems.addAll(record.unverified);
      } else {
        manifest.ifPresent(m -> problems.addAll(ToolchainStep.unverified(m, state)));
      }
    }
    CapabilitySet wanted = CapabilitySet.of(manifest, state, settings.dockerExecutable());
    problems.addAll(wanted.conflicts());
    if (!problems.equals(record.unverified)) {
      record.unverified = problems;
      save();
    }
    if (record.agentId == null) {
      nextTick = clock.instant(); // first pass done: registration may start the agent now
      tick();
      return;
    }
    try {
      Optional<RemoteAgent> agent = client.agent(record.agentId);
      if (agent.isEmpty()) {
        nextTick = clock.instant();
        tick();
        return;
      }
      remember(agent.get());
      boolean owed = record.pendingEnable || !record.firstEnableDone;
      boolean publish =
          problems.isEmpty()
              && (owed || !wanted.capabilities().equals(record.published) || record.restartPending);
      if ((!problems.isEmpty() && agent.get().enabled()) || publish) {
        ServerState server = client.status();
        if (server != ServerState.RUNNING) {
          enter(AgentState.WAITING_FOR_MASTER, "master state " + server);
          return; // the next tick finishes it
        }
      }
      if (!problems.isEmpty()) {
        if (agent.get().enabled()) {
          // never leave an agent taking builds on toolchains that did not verify
          disable(agent.get(), String.join("; ", problems));
        }
        enter(AgentState.DISABLED_UNVERIFIED, String.join("; ", problems));
        return;
      }
      if (publish) {
        if (!agent.get().active()) {
          ensureRunning();
          enter(AgentState.OFFLINE, "the master shows the agent disconnected");
          return;
        }
        finish(agent.get());
      } else {
        observe(agent.get());
      }
    } catch (BambooException e) {
      failed(e);
    }
  }

  /**
   * Disables the agent and records that hupd did (so it may, and must, enable it again). The record
   * is written before the call with the disable marked in flight: a crash or a lost answer is
   * settled at the next read of the agent (disabled: it was ours; enabled: it did not happen); an
   * answered failure did not happen.
   */
  private void disable(RemoteAgent agent, String why) throws BambooException {
    record.disableInFlight = true;
    save();
    RemoteAgent after;
    try {
      after = client.disable(agent.id());
    } catch (BambooException e) {
      if (e.status() > 0) {
        record.disableInFlight = false;
        save();
      } else {
        // the answer was lost: settle it now, before an operator can act in between
        try {
          client.agent(agent.id()).ifPresent(this::remember);
        } catch (BambooException again) {
          // still unknown: settled at the next successful read
        }
      }
      throw e;
    }
    record.disableInFlight = false;
    record.disabledByHupd = true;
    record.pendingEnable = true;
    remember(after);
    save();
    log.info("event=bamboo.disabled agent_id={} reason=\"{}\"", agent.id(), why);
  }

  // ---------------------------------------------------------------- health and stop

  /**
   * The rollout's health check "agent online and enabled on the master": empty when healthy (or
   * disabled by an operator, which must not halt a rollout), else why not.
   */
  public Optional<String> health() {
    if (record.agentId == null) {
      return Optional.of("bamboo agent " + record.state + ": " + record.reason);
    }
    try {
      Optional<RemoteAgent> a = client.agent(record.agentId);
      if (a.isEmpty()) {
        return Optional.of("bamboo agent " + record.agentId + " is not on the master");
      }
      remember(a.get());
      if (!a.get().active()) {
        return Optional.of("bamboo agent " + record.agentId + " is offline");
      }
      if (!a.get().enabled()) {
        return record.disabledByHupd
            ? Optional.of("bamboo agent " + record.state + ": " + record.reason)
            : Optional.empty();
      }
      return Optional.empty();
    } catch (BambooException e) {
      failed(e);
      return Optional.of("bamboo master: " + e.getMessage());
    }
  }

  /**
   * After the loop ends (SIGTERM): per {@code bamboo-stop}, re-enable an agent a switch left
   * disabled (keep) or drain it (drain); then per {@code bamboo-remove}, delete the record.
   *
   * @param scaleIn whether the instance is being terminated by its Auto Scaling group
   * @param nap the shutdown's sleep: false once a second signal asks not to wait any longer
   */
  public void stop(boolean scaleIn, Sleeper nap) {
    if (record.agentId == null) {
      return;
    }
    long id = record.agentId;
    try {
      boolean remove =
          settings.remove() == BambooSettings.Remove.ALWAYS
              || (settings.remove() == BambooSettings.Remove.SCALE_IN && scaleIn);
      if (settings.stop() == BambooSettings.StopMode.DRAIN || remove) {
        Optional<RemoteAgent> a = client.agent(id);
        if (a.isPresent() && a.get().enabled()) {
          disable(a.get(), "stop");
        }
        Instant start = clock.instant();
        Instant deadline = start.plus(settings.stopTimeout());
        while (a.isPresent() && a.get().busy() && clock.instant().isBefore(deadline)) {
          enter(
              AgentState.STOPPING,
              "waiting for the running build before stopping: "
                  + Durations.format(Duration.between(start, clock.instant()).withNanos(0))
                  + " of "
                  + Durations.format(settings.stopTimeout()));
          if (!nap.sleep(settings.busyPoll())) {
            log.info("event=bamboo.stop-wait-cut reason=\"a second stop signal\"");
            break;
          }
          a = client.agent(id);
          a.ifPresent(this::remember);
        }
        enter(AgentState.STOPPING, "disabled for shutdown; re-enabled after verify at next start");
      } else if (record.pendingEnable
          && record.disabledByHupd
          && record.unverified.isEmpty()
          && record.published.equals(
              CapabilitySet.of(manifest, state, settings.dockerExecutable()).capabilities())) {
        remember(client.enable(id));
        record.pendingEnable = false;
        record.disabledByHupd = false;
        save();
        log.info("event=bamboo.enabled agent_id={} reason=\"stop: the switch never ran\"", id);
      }
      if (remove && settings.remove() == BambooSettings.Remove.ALWAYS) {
        Optional<RemoteAgent> last = client.agent(id);
        if (last.isPresent() && last.get().busy()) {
          log.warn(
              "event=bamboo.remove-skipped agent_id={} reason=\"a build still runs\" next=\"the"
                  + " agent stays, disabled; removed at a later stop\"",
              id);
          remove = false;
        }
      }
      if (remove) {
        try {
          process.stop();
        } catch (Exception e) {
          log.warn("event=bamboo.agent-stop-failed reason=\"{}\"", e.getMessage());
        }
        client.deleteAgent(id);
        try {
          home.quarantine(stateDir, clock.instant());
        } catch (Exception e) {
          log.warn("event=bamboo.quarantine-failed reason=\"{}\"", e.getMessage());
        }
        record.agentId = null;
        record.uuid = null;
        record.firstEnableDone = false;
        record.pendingEnable = false;
        enter(AgentState.REMOVED, "agent " + id + " deleted from the master at shutdown");
        log.info("event=bamboo.removed agent_id={} scale_in={}", id, scaleIn);
      }
    } catch (BambooException e) {
      log.warn(
          "event=bamboo.stop-incomplete reason=\"{}\" next=\"the next start finishes it\"",
          e.getMessage());
    }
  }

  private final List<AutoCloseable> closeables = new ArrayList<>();

  /** Something to close with the lifecycle (e.g. the SSM client of its secrets). */
  public void onClose(AutoCloseable c) {
    closeables.add(c);
  }

  /** Closes the REST client (the lifecycle's record stays in state). */
  public void close() {
    client.close();
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // closing a client on the way out cannot matter
      }
    }
  }

  // ---------------------------------------------------------------- state

  public AgentState current() {
    return record.agentState();
  }

  public AgentRecord record() {
    return record;
  }

  private void failed(BambooException e) {
    if (e.kind() == BambooException.Kind.NOT_FOUND
        && e.path() != null
        && (e.path().endsWith("/enable") || e.path().endsWith("/disable"))
        && record.serverVersion != null
        && !new ServerInfo(record.serverVersion, "", "").atLeast(8, 0)) {
      enter(
          AgentState.UNSUPPORTED_SERVER,
          "the master has no REST call to enable or disable agents (Bamboo 8.0 or later needed): "
              + e.getMessage());
      return;
    }
    AgentState s =
        switch (e.kind()) {
          case UNAUTHORIZED, SECRET -> AgentState.AUTH_FAILED;
          case FORBIDDEN -> AgentState.FORBIDDEN;
          default -> AgentState.MASTER_UNAVAILABLE;
        };
    enter(s, e.getMessage());
  }

  private void enter(AgentState s, String reason) {
    AgentState before = record.agentState();
    if (before == s && reason.equals(record.reason)) {
      return;
    }
    record.state = s.label();
    record.reason = reason;
    if (before != s) {
      record.since = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
      String line = "event=bamboo.state from={} to={} agent_id={} reason=\"{}\"";
      Object agent = record.agentId == null ? "none" : record.agentId;
      if (s.trouble()) {
        int suppressed = limiter.admit("bamboo|state|" + s + "|" + reason, REPEAT);
        if (suppressed >= 0) {
          log.error(line, before.label(), s.label(), agent, reason);
        }
      } else {
        log.info(line, before.label(), s.label(), agent, reason);
      }
    }
    save();
  }

  private void save() {
    try {
      state.putDocument(AgentRecord.DOCUMENT, record.toJson());
    } catch (StateStore.StateException e) {
      log.error("event=state.write-failed reason=\"{}\"", e.getMessage());
    }
  }
}
