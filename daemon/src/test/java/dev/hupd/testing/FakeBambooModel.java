package dev.hupd.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * A Bamboo master's agent registry as an in-process, thread-safe model: server state and version,
 * API tokens, remote-agent authentication (manual approval, security token), agent records with
 * layered capabilities, and the counters and fault switches tests assert on. {@link FakeBamboo}
 * serves it over HTTP; tests may also drive it directly.
 *
 * <p>The REST operations ({@link #agents}, {@link #enable}, {@link #approve}, …) behave as the
 * endpoints do and fail with a {@link BambooServiceError} carrying the HTTP status. The agent-side
 * operations ({@link #connect}, {@link #heartbeat}, {@link #disconnect}) stand in for the JMS
 * traffic of a real agent, which the fake does not speak.
 *
 * <p>Inferences where the reference (shared/reference/bamboo-rest.md) is silent, all [I]:
 *
 * <ul>
 *   <li>While the server state is not {@code RUNNING}, agent and authentication writes answer 503;
 *       reads still work. Agents cannot connect while it is {@code SETUP} or {@code STARTING}.
 *   <li>Switching manual approval on approves every agent connected at that moment; switching it
 *       off forgets all pending and approved rows (nothing is stored while it is off).
 *   <li>A9 (POST) of a key the agent already has from any source is a 400; A10 (PUT) of a key it
 *       does not have is a 404. Both write the {@code rest} layer only.
 *   <li>A11 removes the {@code rest} value when there is one (the file or auto value shows again);
 *       otherwise it removes the file and auto values until the agent's next connect re-reports
 *       them (BAM-4213's "delete on the server and restart the agent"). A12 clears all three.
 *   <li>Shared capabilities are listed by A8 with {@code includeShared=true} with source {@code
 *       shared}, unless the agent has the same key.
 *   <li>A heartbeat timeout makes the agent offline and not busy; it is counted in {@link
 *       Agent#heartbeatTimeouts()}, not in {@link #restartsWhileBusy}.
 *   <li>A busy agent can be deleted; a disabled or offline agent cannot be made busy.
 * </ul>
 */
public final class FakeBambooModel {

  public static final String DEFAULT_VERSION = "9.6.2";
  public static final String DEFAULT_TOKEN = "test-token";
  public static final long FIRST_AGENT_ID = 131073;
  public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofMinutes(10);

  /** How many requests {@link #requests()} keeps, newest last. */
  public static final int MAX_RECORDED = 10_000;

  /** The lifecycle states of a Bamboo server ({@code ServerLifecycleState}). */
  public enum ServerState {
    SETUP,
    STARTING,
    RUNNING,
    PAUSING,
    PAUSED,
    PREPARING_FOR_RESTART,
    READY_FOR_RESTART
  }

  /** Where a capability's value came from; the first three in order of precedence. */
  public enum CapabilitySource {
    REST,
    FILE,
    AUTO,
    SHARED;

    /** The lower-case name used in JSON, e.g. {@code rest}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Who a request must come from: anyone, any valid user, or an admin. */
  public enum Access {
    ANONYMOUS,
    USER,
    ADMIN
  }

  /** The answer to an agent's connect. */
  public enum Outcome {
    REGISTERED,
    PENDING,
    REJECTED,
    UNKNOWN_ID;

    /** e.g. {@code unknown-id}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** The answer to a heartbeat: the agent carries on, or it was timed out or deleted. */
  public enum Beat {
    OK,
    OFFLINE,
    UNKNOWN_ID;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** One effective capability: the value that wins and the layer it comes from. */
  public record Capability(String key, String value, CapabilitySource source) {}

  /**
   * A snapshot of one agent record.
   *
   * @param active connected (RestBuildAgent's {@code active})
   * @param capabilities the agent's effective capabilities by key (shared ones not included)
   * @param connects successful connects of this record
   * @param restartsWhileBusy disconnects or reconnects while a build ran (killed builds)
   */
  public record Agent(
      long id,
      String uuid,
      String name,
      String type,
      String ip,
      boolean active,
      boolean enabled,
      boolean busy,
      Map<String, Capability> capabilities,
      int connects,
      int restartsWhileBusy,
      int heartbeatTimeouts) {

    public Agent {
      capabilities = Map.copyOf(capabilities);
    }

    /** Connects after the first. */
    public int restarts() {
      return Math.max(0, connects - 1);
    }
  }

  /** A B1 row. */
  public record Authentication(String uuid, String ip, boolean approved) {}

  /**
   * What an agent sends when it connects.
   *
   * @param id the id from its {@code bamboo-agent.cfg.xml}, empty for a new agent
   * @param token the security token it was started with, if any
   * @param fileCapabilities from {@code bin/bamboo-capabilities.properties}
   * @param autoCapabilities auto-detected on the host
   */
  public record Connect(
      String uuid,
      OptionalLong id,
      String name,
      String ip,
      Optional<String> token,
      Map<String, String> fileCapabilities,
      Map<String, String> autoCapabilities) {

    public Connect {
      Objects.requireNonNull(uuid, "uuid");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(ip, "ip");
      fileCapabilities = Map.copyOf(fileCapabilities);
      autoCapabilities = Map.copyOf(autoCapabilities);
    }

    /** A new agent with no id, no token and no capabilities. */
    public static Connect of(String uuid, String name, String ip) {
      return new Connect(
          uuid, OptionalLong.empty(), name, ip, Optional.empty(), Map.of(), Map.of());
    }

    public Connect withId(long value) {
      return new Connect(
          uuid, OptionalLong.of(value), name, ip, token, fileCapabilities, autoCapabilities);
    }

    public Connect withIp(String value) {
      return new Connect(uuid, id, name, value, token, fileCapabilities, autoCapabilities);
    }

    public Connect withToken(String value) {
      return new Connect(
          uuid, id, name, ip, Optional.of(value), fileCapabilities, autoCapabilities);
    }

    public Connect withFileCapabilities(Map<String, String> value) {
      return new Connect(uuid, id, name, ip, token, value, autoCapabilities);
    }

    public Connect withAutoCapabilities(Map<String, String> value) {
      return new Connect(uuid, id, name, ip, token, fileCapabilities, value);
    }
  }

  /** The answer to a connect; id and name only when registered. */
  public record Connected(Outcome outcome, OptionalLong id, Optional<String> name) {
    static Connected of(Outcome outcome) {
      return new Connected(outcome, OptionalLong.empty(), Optional.empty());
    }
  }

  /** S1's fields. */
  public record ServerInfo(
      String version, String buildNumber, String edition, String buildDate, ServerState state) {}

  /**
   * One request as the HTTP server answered it.
   *
   * @param path normalised, e.g. {@code /agent/{id}/capability/{key}} (REST paths below {@code
   *     /rest/api/latest}, {@code .json} dropped) or {@code /_fake/agents/connect}
   * @param rawPath as sent below the context path, query included
   * @param status the status answered, 0 for a dropped connection
   * @param headers request headers, names lower-cased
   */
  public record Call(
      String method, String path, String rawPath, int status, Map<String, String> headers) {

    public Call {
      headers = Map.copyOf(headers);
    }

    /** {@code METHOD path}, the key of {@link #requestCount}. */
    public String key() {
      return method + " " + path;
    }
  }

  /** The mutable record behind an {@link Agent}. */
  private static final class AgentRecord {
    final long id;
    final String type;
    String uuid;
    String name;
    String ip;
    boolean active;
    boolean enabled = true;
    boolean busy;
    long lastHeartbeatMs;
    int connects;
    int restartsWhileBusy;
    int heartbeatTimeouts;
    final Map<String, String> rest = new TreeMap<>();
    final Map<String, String> file = new TreeMap<>();
    final Map<String, String> auto = new TreeMap<>();

    AgentRecord(long id, String type) {
      this.id = id;
      this.type = type;
    }
  }

  private final LongSupplier nowMs;
  private final BambooFaults faults = new BambooFaults();
  private final Map<Long, AgentRecord> agents = new TreeMap<>();
  private final Map<String, String> pending = new LinkedHashMap<>();
  private final Map<String, String> approved = new LinkedHashMap<>();
  private final Map<String, Integer> approvalCalls = new HashMap<>();
  private final Map<String, String> shared = new TreeMap<>();
  private final Map<String, Boolean> tokens = new HashMap<>();
  private final Deque<Call> calls = new ArrayDeque<>();
  private final Map<String, Integer> callCounts = new TreeMap<>();
  private Optional<String> basicCredentials = Optional.empty();
  private long nextId = FIRST_AGENT_ID;
  private String version = DEFAULT_VERSION;
  private ServerState state = ServerState.RUNNING;
  private boolean manualApproval;
  private Optional<String> securityToken = Optional.empty();
  private Duration heartbeatTimeout = DEFAULT_HEARTBEAT_TIMEOUT;

  /** A model on the system clock. */
  public FakeBambooModel() {
    this(System::currentTimeMillis);
  }

  /** A model on an injected clock (epoch ms), for heartbeat timeouts in virtual time. */
  public FakeBambooModel(LongSupplier nowMs) {
    this.nowMs = Objects.requireNonNull(nowMs, "nowMs");
    tokens.put(DEFAULT_TOKEN, true);
  }

  // ---- settings and test hooks

  public synchronized FakeBambooModel setVersion(String value) {
    parseVersion(value);
    version = value;
    return this;
  }

  public synchronized String version() {
    return version;
  }

  public synchronized FakeBambooModel setServerState(ServerState value) {
    state = Objects.requireNonNull(value, "state");
    return this;
  }

  public synchronized ServerState serverState() {
    return state;
  }

  /** Remote agent authentication; switching it on approves the agents connected now. */
  public synchronized FakeBambooModel setManualApproval(boolean on) {
    expire();
    if (on && !manualApproval) {
      agents.values().stream()
          .filter(r -> r.active && r.uuid != null)
          .forEach(r -> approved.put(r.uuid, r.ip));
    }
    if (!on) {
      pending.clear();
      approved.clear();
    }
    manualApproval = on;
    return this;
  }

  public synchronized boolean manualApproval() {
    return manualApproval;
  }

  /** Security token verification: on with the token agents must present, or off. */
  public synchronized FakeBambooModel setSecurityToken(Optional<String> token) {
    securityToken = Objects.requireNonNull(token, "token");
    return this;
  }

  public synchronized Optional<String> securityToken() {
    return securityToken;
  }

  /** Adds a personal access token of an admin user. */
  public FakeBambooModel addToken(String token) {
    return addToken(token, true);
  }

  /** Adds a personal access token; a non-admin token gets 403 from admin calls. */
  public synchronized FakeBambooModel addToken(String token, boolean admin) {
    tokens.put(Objects.requireNonNull(token, "token"), admin);
    return this;
  }

  public synchronized FakeBambooModel removeToken(String token) {
    tokens.remove(token);
    return this;
  }

  /** Accepts HTTP Basic auth of this one admin user (deprecated by Atlassian, still used). */
  public synchronized FakeBambooModel setBasicUser(String user, String password) {
    String pair = user + ":" + password;
    basicCredentials =
        Optional.of(Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  public synchronized FakeBambooModel heartbeatTimeout(Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("heartbeat timeout must be > 0, got " + value);
    }
    heartbeatTimeout = value;
    return this;
  }

  public synchronized Duration heartbeatTimeout() {
    return heartbeatTimeout;
  }

  public synchronized FakeBambooModel setSharedCapability(String key, String value) {
    shared.put(key, value);
    return this;
  }

  /** Marks a build started ({@code true}) or finished on the agent. */
  public synchronized void setBusy(long id, boolean busy) {
    expire();
    AgentRecord r = agents.get(id);
    if (r == null) {
      throw new IllegalArgumentException("no agent with id " + id);
    }
    if (busy && !(r.active && r.enabled)) {
      throw new IllegalStateException(
          "agent " + id + " cannot start a build: active=" + r.active + " enabled=" + r.enabled);
    }
    r.busy = busy;
  }

  /** Adds a connected agent that never heartbeats, e.g. an {@code ELASTIC} one; returns its id. */
  public synchronized long addAgent(String name, String type) {
    AgentRecord r = new AgentRecord(nextId++, type);
    r.name = uniqueName(name);
    r.ip = "127.0.0.1";
    r.active = true;
    r.connects = 1;
    r.lastHeartbeatMs = Long.MAX_VALUE / 2;
    agents.put(r.id, r);
    return r.id;
  }

  // ---- counters and dumps

  /** The agent with this id, without the REST rules (no 404, no version or state checks). */
  public synchronized Optional<Agent> findAgent(long id) {
    expire();
    return Optional.ofNullable(agents.get(id)).map(this::snapshot);
  }

  public synchronized Optional<Agent> findAgentByUuid(String uuid) {
    expire();
    return agents.values().stream()
        .filter(r -> uuid.equals(r.uuid))
        .findFirst()
        .map(this::snapshot);
  }

  /** Every agent record, online or not, by id. */
  public synchronized List<Agent> allAgents() {
    expire();
    return agents.values().stream().map(this::snapshot).toList();
  }

  /** UUID → IP of the agents waiting for approval. */
  public synchronized Map<String, String> pending() {
    return Map.copyOf(pending);
  }

  /** UUID → IP of the approved agents. */
  public synchronized Map<String, String> approved() {
    return Map.copyOf(approved);
  }

  /** Connects of this agent after its first. */
  public synchronized int restarts(long id) {
    AgentRecord r = agents.get(id);
    return r == null ? 0 : Math.max(0, r.connects - 1);
  }

  public synchronized int restartsWhileBusy(long id) {
    AgentRecord r = agents.get(id);
    return r == null ? 0 : r.restartsWhileBusy;
  }

  /** B2 calls for this UUID, answered or not. */
  public synchronized int approvals(String uuid) {
    return approvalCalls.getOrDefault(uuid, 0);
  }

  /** Records one answered request (the HTTP server does this). */
  public synchronized void record(Call call) {
    if (calls.size() == MAX_RECORDED) {
      calls.removeFirst();
    }
    calls.addLast(call);
    callCounts.merge(call.key(), 1, Integer::sum);
  }

  /** The last {@link #MAX_RECORDED} requests, oldest first. */
  public synchronized List<Call> requests() {
    return List.copyOf(calls);
  }

  /** How many requests had this {@code METHOD path}, e.g. {@code PUT /agent/{id}/enable}. */
  public synchronized int requestCount(String methodAndPath) {
    return callCounts.getOrDefault(methodAndPath, 0);
  }

  /** Counts by {@code METHOD path}, sorted. */
  public synchronized Map<String, Integer> requestCounts() {
    return Map.copyOf(callCounts);
  }

  public synchronized void clearRequests() {
    calls.clear();
    callCounts.clear();
  }

  // ---- faults (see BambooFaults for matching and precedence)

  /** The next {@code count} requests under {@code prefix} answer {@code status}. */
  public FakeBambooModel failNext(String prefix, int count, int status) {
    faults.failNext(prefix, count, status);
    return this;
  }

  /** Every request under {@code prefix} answers {@code status} until {@link #clearFaults}. */
  public FakeBambooModel failAlways(String prefix, int status) {
    faults.failAlways(prefix, status);
    return this;
  }

  /** The next {@code count} requests under {@code prefix} get their connection closed. */
  public FakeBambooModel dropNext(String prefix, int count) {
    faults.dropNext(prefix, count);
    return this;
  }

  /** Answers under {@code prefix} are sent only after {@code value}. */
  public FakeBambooModel delay(String prefix, Duration value) {
    faults.delay(prefix, value);
    return this;
  }

  /** Every REST call answers 302 to the login page, as a master behind an SSO proxy does. */
  public FakeBambooModel redirectToLogin(boolean on) {
    faults.redirectToLogin(on);
    return this;
  }

  public FakeBambooModel clearFaults() {
    faults.clear();
    return this;
  }

  BambooFaults faults() {
    return faults;
  }

  // ---- authentication of REST callers

  /**
   * Checks an {@code Authorization} header (null when absent) for a call that needs {@code access}:
   * 401 without valid credentials, 403 for a non-admin on an admin call.
   */
  public synchronized void authorize(String authorization, Access access) {
    if (access == Access.ANONYMOUS) {
      return;
    }
    Optional<Boolean> admin = Optional.empty();
    if (authorization != null && authorization.startsWith("Bearer ")) {
      admin = Optional.ofNullable(tokens.get(authorization.substring("Bearer ".length()).trim()));
    } else if (authorization != null && authorization.startsWith("Basic ")) {
      String given = authorization.substring("Basic ".length()).trim();
      admin = basicCredentials.filter(given::equals).map(c -> true);
    }
    if (admin.isEmpty()) {
      throw new BambooServiceError(401, "Client must be authenticated to access this resource.");
    }
    if (access == Access.ADMIN && !admin.get()) {
      throw new BambooServiceError(403, "You are not authorized to perform this action.");
    }
  }

  // ---- server (S1-S3)

  public synchronized ServerInfo info() {
    return new ServerInfo(version, buildNumber(version), "", "2024-05-01T10:00:00.000Z", state);
  }

  // ---- agents (A1-A12)

  /** A1: every agent; {@code online} filters on {@code active}. */
  public synchronized List<Agent> agents(Optional<Boolean> online) {
    expire();
    return agents.values().stream()
        .filter(r -> online.isEmpty() || online.get() == r.active)
        .map(this::snapshot)
        .toList();
  }

  /** A2: like A1, remote agents only. */
  public synchronized List<Agent> remoteAgents(Optional<Boolean> online) {
    return agents(online).stream().filter(a -> a.type().equals("REMOTE")).toList();
  }

  /** A3, A4. */
  public synchronized Agent agent(long id) {
    expire();
    return snapshot(record(id));
  }

  /** A5; idempotent. */
  public synchronized Agent enable(long id) {
    return setEnabled(id, true);
  }

  /** A6; idempotent; a running build keeps running, no new one starts. */
  public synchronized Agent disable(long id) {
    return setEnabled(id, false);
  }

  /** A7: the record and its approval go; the id is never given out again. */
  public synchronized void delete(long id) {
    expire();
    requireRunning();
    AgentRecord r = record(id);
    agents.remove(id);
    if (r.uuid != null) {
      approved.remove(r.uuid);
      pending.remove(r.uuid);
    }
  }

  /** A8: effective agent capabilities by key, plus shared ones the agent does not override. */
  public synchronized List<Capability> capabilities(long id, boolean includeShared) {
    expire();
    requireVersion(7, 1, "agent capabilities");
    Map<String, Capability> all = new TreeMap<>(effective(record(id)));
    if (includeShared) {
      shared.forEach((k, v) -> all.putIfAbsent(k, new Capability(k, v, CapabilitySource.SHARED)));
    }
    return List.copyOf(all.values());
  }

  /** A9: a new key in the {@code rest} layer; a key the agent already has is a 400. */
  public synchronized Capability createCapability(long id, String key, String value) {
    AgentRecord r = capabilityWrite(id);
    requireKeyAndValue(key, value);
    if (effective(r).containsKey(key)) {
      throw BambooServiceError.badRequest(
          "Capability with key '" + key + "' already exists on agent " + id);
    }
    r.rest.put(key, value);
    return new Capability(key, value, CapabilitySource.REST);
  }

  /** A10: sets the {@code rest} value of a key the agent has from any source. */
  public synchronized Capability updateCapability(long id, String key, String value) {
    AgentRecord r = capabilityWrite(id);
    requireKeyAndValue(key, value);
    if (!effective(r).containsKey(key)) {
      throw BambooServiceError.notFound("Capability '" + key + "' of agent " + id);
    }
    r.rest.put(key, value);
    return new Capability(key, value, CapabilitySource.REST);
  }

  /** A11: see the class comment for which layers go. */
  public synchronized void deleteCapability(long id, String key) {
    AgentRecord r = capabilityWrite(id);
    if (r.rest.remove(key) != null) {
      return;
    }
    boolean fromFile = r.file.remove(key) != null;
    boolean fromAuto = r.auto.remove(key) != null;
    if (!fromFile && !fromAuto) {
      throw BambooServiceError.notFound("Capability '" + key + "' of agent " + id);
    }
  }

  /** A12: every agent-specific capability; shared ones stay. */
  public synchronized void deleteCapabilities(long id) {
    AgentRecord r = capabilityWrite(id);
    r.rest.clear();
    r.file.clear();
    r.auto.clear();
  }

  // ---- authentication (B1, B2)

  /** B1: pending and approved rows ({@code pending} filters); empty while approval is off. */
  public synchronized List<Authentication> authentications(Optional<Boolean> pendingOnly) {
    List<Authentication> rows = new ArrayList<>();
    if (pendingOnly.isEmpty() || !pendingOnly.get()) {
      approved.forEach((uuid, ip) -> rows.add(new Authentication(uuid, ip, true)));
    }
    if (pendingOnly.isEmpty() || pendingOnly.get()) {
      pending.forEach((uuid, ip) -> rows.add(new Authentication(uuid, ip, false)));
    }
    return rows;
  }

  /** B2: approves a pending UUID at its pending IP; an approved one stays approved. */
  public synchronized void approve(String uuid) {
    approvalCalls.merge(uuid, 1, Integer::sum);
    requireRunning();
    String ip = pending.remove(uuid);
    if (ip != null) {
      approved.put(uuid, ip);
      return;
    }
    if (!approved.containsKey(uuid)) {
      throw BambooServiceError.notFound("Agent authentication for UUID " + uuid);
    }
  }

  // ---- agent side

  /** An agent (re)connects: rejected, pending, unknown id or registered (R§4). */
  public synchronized Connected connect(Connect c) {
    expire();
    if (state == ServerState.SETUP || state == ServerState.STARTING) {
      throw new BambooServiceError(503, "Bamboo is " + state + "; agents cannot connect yet");
    }
    if (securityToken.isPresent() && !securityToken.equals(c.token())) {
      return Connected.of(Outcome.REJECTED);
    }
    if (manualApproval && !c.ip().equals(approved.get(c.uuid()))) {
      pending.put(c.uuid(), c.ip());
      return Connected.of(Outcome.PENDING);
    }
    pending.remove(c.uuid());

    Optional<AgentRecord> known = known(c);
    if (c.id().isPresent() && known.isEmpty()) {
      return Connected.of(Outcome.UNKNOWN_ID);
    }
    AgentRecord r = known.orElseGet(() -> newRecord(c));
    online(r, c);
    return new Connected(Outcome.REGISTERED, OptionalLong.of(r.id), Optional.of(r.name));
  }

  /** The agent is still there; {@code id} may be empty, then the UUID finds the record. */
  public synchronized Beat heartbeat(String uuid, OptionalLong id) {
    expire();
    Optional<AgentRecord> r =
        id.isPresent()
            ? Optional.ofNullable(agents.get(id.getAsLong()))
            : agents.values().stream().filter(a -> uuid.equals(a.uuid)).findFirst();
    if (r.isEmpty()) {
      return Beat.UNKNOWN_ID;
    }
    if (!r.get().active) {
      return Beat.OFFLINE;
    }
    r.get().lastHeartbeatMs = nowMs.getAsLong();
    return Beat.OK;
  }

  /** The agent stops; a build it was running is lost. False if the id is unknown. */
  public synchronized boolean disconnect(long id) {
    expire();
    AgentRecord r = agents.get(id);
    if (r == null) {
      return false;
    }
    if (r.active && r.busy) {
      r.restartsWhileBusy++;
    }
    r.active = false;
    r.busy = false;
    return true;
  }

  // ---- internals

  private Optional<AgentRecord> known(Connect c) {
    if (c.id().isPresent()) {
      // ids are never given out twice, so a deleted agent's id stays unknown
      return Optional.ofNullable(agents.get(c.id().getAsLong()));
    }
    return agents.values().stream().filter(r -> c.uuid().equals(r.uuid)).findFirst();
  }

  private AgentRecord newRecord(Connect c) {
    AgentRecord r = new AgentRecord(nextId++, "REMOTE");
    r.name = uniqueName(c.name());
    agents.put(r.id, r);
    return r;
  }

  private void online(AgentRecord r, Connect c) {
    if (r.active && r.busy) {
      r.restartsWhileBusy++;
    }
    r.uuid = c.uuid();
    r.ip = c.ip();
    r.active = true;
    r.busy = false;
    r.connects++;
    r.lastHeartbeatMs = nowMs.getAsLong();
    r.file.clear();
    r.file.putAll(c.fileCapabilities());
    r.auto.clear();
    r.auto.putAll(c.autoCapabilities());
  }

  private String uniqueName(String wanted) {
    Set<String> taken = new HashSet<>();
    agents.values().forEach(r -> taken.add(r.name));
    if (!taken.contains(wanted)) {
      return wanted;
    }
    for (int n = 2; ; n++) {
      String candidate = wanted + " (" + n + ")";
      if (!taken.contains(candidate)) {
        return candidate;
      }
    }
  }

  /** Agents that missed heartbeats for the timeout go offline (and stop building). */
  private void expire() {
    long now = nowMs.getAsLong();
    for (AgentRecord r : agents.values()) {
      if (r.active && now - r.lastHeartbeatMs >= heartbeatTimeout.toMillis()) {
        r.active = false;
        r.busy = false;
        r.heartbeatTimeouts++;
      }
    }
  }

  private Agent setEnabled(long id, boolean enabled) {
    expire();
    requireVersion(8, 0, "agent enable/disable");
    requireRunning();
    AgentRecord r = record(id);
    r.enabled = enabled;
    return snapshot(r);
  }

  private AgentRecord capabilityWrite(long id) {
    expire();
    requireVersion(7, 1, "agent capabilities");
    requireRunning();
    return record(id);
  }

  private AgentRecord record(long id) {
    AgentRecord r = agents.get(id);
    if (r == null) {
      throw BambooServiceError.notFound("Agent with id " + id);
    }
    return r;
  }

  private static Map<String, Capability> effective(AgentRecord r) {
    Map<String, Capability> all = new TreeMap<>();
    r.auto.forEach((k, v) -> all.put(k, new Capability(k, v, CapabilitySource.AUTO)));
    r.file.forEach((k, v) -> all.put(k, new Capability(k, v, CapabilitySource.FILE)));
    r.rest.forEach((k, v) -> all.put(k, new Capability(k, v, CapabilitySource.REST)));
    return all;
  }

  private Agent snapshot(AgentRecord r) {
    return new Agent(
        r.id,
        r.uuid,
        r.name,
        r.type,
        r.ip,
        r.active,
        r.enabled,
        r.busy,
        effective(r),
        r.connects,
        r.restartsWhileBusy,
        r.heartbeatTimeouts);
  }

  private void requireRunning() {
    if (state != ServerState.RUNNING) {
      throw new BambooServiceError(503, "Bamboo is " + state + "; try again when RUNNING");
    }
  }

  /** Calls a server of this version does not have answer 404, as an unknown resource does. */
  private void requireVersion(int major, int minor, String what) {
    int[] v = parseVersion(version);
    if (v[0] < major || (v[0] == major && v[1] < minor)) {
      throw new BambooServiceError(
          404,
          what + " is not available in Bamboo " + version + " (needs " + major + "." + minor + ")");
    }
  }

  private static void requireKeyAndValue(String key, String value) {
    if (key == null || key.isBlank()) {
      throw BambooServiceError.badRequest("Capability key must not be empty");
    }
    if (value == null) {
      throw BambooServiceError.badRequest("Capability value must be given for key '" + key + "'");
    }
  }

  /** {@code 9.6.2} → {@code {9, 6, 2}}; missing parts are 0. */
  static int[] parseVersion(String text) {
    String[] parts = text.split("\\.");
    int[] v = new int[3];
    try {
      for (int i = 0; i < Math.min(3, parts.length); i++) {
        v[i] = Integer.parseInt(parts[i]);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("version must look like 9.6.2, got '" + text + "'", e);
    }
    return v;
  }

  /** {@code 9.6.2} → {@code "90602"}, the shape of real build numbers. */
  static String buildNumber(String version) {
    int[] v = parseVersion(version);
    return Integer.toString(v[0] * 10_000 + v[1] * 100 + v[2]);
  }
}
