package dev.hupd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

/**
 * A stand-in for Bamboo's remote agent, for hupd's {@code command:} agent mode: {@link
 * #installScript} writes a Tanuki-style {@code <home>/bin/bamboo-agent.sh
 * start|stop|restart|status} that runs {@link #main} as a background JVM, which registers with a
 * {@link FakeBamboo} through its {@code /_fake/agents/*} endpoints and keeps the same identity
 * files a real agent keeps.
 *
 * <p>The agent: reads its UUID (and id, name) from {@code bamboo-agent.cfg.xml}, else {@code
 * uuid-temp.properties}, else makes one and writes {@code uuid-temp.properties}; reads {@code
 * bin/bamboo-capabilities.properties} with {@link Properties}, as Bamboo does; connects with the
 * token in {@code SECURITY_TOKEN}; retries while pending; writes the cfg XML once registered;
 * heartbeats; exits 1 when rejected, told its id is unknown, or timed out; disconnects on SIGTERM.
 * It logs to {@code <home>/atlassian-bamboo-agent.log} (never the token) and refuses any server
 * that is not on a loopback address.
 *
 * <p>Environment: {@code SECURITY_TOKEN}; {@code FAKE_AGENT_HEARTBEAT_MS} (default 1000, also the
 * pending retry interval; or {@code -Dfake.agent.heartbeatMs}); {@code FAKE_AGENT_IP} overrides the
 * IP written into the script; {@code FAKE_AGENT_GIVE_UP_MS} (default 60000): the agent exits 2
 * after that long without reaching the server, so an orphan never outlives its fake for long.
 */
public final class FakeBambooAgent {

  public static final String SCRIPT = "bin/bamboo-agent.sh";
  public static final String PID_FILE = "agent.pid";
  public static final String CFG_FILE = "bamboo-agent.cfg.xml";
  public static final String UUID_FILE = "uuid-temp.properties";
  public static final String CAPABILITIES_FILE = "bin/bamboo-capabilities.properties";
  public static final String LOG_FILE = "atlassian-bamboo-agent.log";

  static final int EXIT_REFUSED = 1;
  static final int EXIT_UNREACHABLE = 2;
  static final int EXIT_USAGE = 3;
  static final String USAGE =
      "usage: FakeBambooAgent HOME SERVER_BASE_URL NAME IP\n"
          + "       FakeBambooAgent install HOME SERVER_BASE_URL NAME IP";

  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

  private final Path home;
  private final URI server;
  private final String defaultName;
  private final String ip;
  private final Optional<String> token;
  private final long heartbeatMs;
  private final long giveUpMs;
  private final HttpClient http;
  private volatile boolean stopping;
  private volatile OptionalLong registeredId = OptionalLong.empty();

  /** What the identity files hold. */
  record Identity(String uuid, OptionalLong id, Optional<String> name) {}

  private FakeBambooAgent(Path home, URI server, String name, String ip, Map<String, String> env) {
    this.home = home;
    this.server = server;
    this.defaultName = name;
    this.ip = env.getOrDefault("FAKE_AGENT_IP", ip);
    this.token = Optional.ofNullable(env.get("SECURITY_TOKEN")).filter(t -> !t.isEmpty());
    this.heartbeatMs =
        Long.parseLong(
            env.getOrDefault(
                "FAKE_AGENT_HEARTBEAT_MS", System.getProperty("fake.agent.heartbeatMs", "1000")));
    this.giveUpMs = Long.parseLong(env.getOrDefault("FAKE_AGENT_GIVE_UP_MS", "60000"));
    this.http =
        HttpClient.newBuilder()
            .proxy(ProxySelector.of(null))
            .connectTimeout(HTTP_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  // ---- the script

  /** Installs the script for this JVM's java binary and class path; returns its path. */
  public static Path installScript(Path home, URI fakeBaseUrl, String name, String ip)
      throws IOException {
    return installScript(
        home,
        fakeBaseUrl,
        name,
        ip,
        Path.of(System.getProperty("java.home"), "bin", "java"),
        System.getProperty("java.class.path"));
  }

  /** Writes an executable {@code <home>/bin/bamboo-agent.sh}; returns its path. */
  public static Path installScript(
      Path home, URI fakeBaseUrl, String name, String ip, Path java, String classPath)
      throws IOException {
    requireLoopback(fakeBaseUrl);
    Path script = home.resolve(SCRIPT);
    Files.createDirectories(script.getParent());
    String text =
        SCRIPT_TEMPLATE
            .replace("@HOME@", shellQuote(home.toAbsolutePath().toString()))
            .replace("@JAVA@", shellQuote(java.toString()))
            .replace("@CP@", shellQuote(classPath))
            .replace("@MAIN@", FakeBambooAgent.class.getName())
            .replace("@SERVER@", shellQuote(fakeBaseUrl.toString()))
            .replace("@NAME@", shellQuote(name))
            .replace("@IP@", shellQuote(ip));
    Files.writeString(script, text);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  /**
   * POSIX sh. {@code $!} is the JVM's pid: nohup and setsid both exec (setsid forks only when the
   * caller leads its process group, which a non-interactive shell's background job does not). A pid
   * counts as ours only if its command line names this home, so a stale pid file never leads to
   * signalling someone else's process; a zombie counts as stopped.
   */
  private static final String SCRIPT_TEMPLATE =
      """
      #!/bin/sh
      # Fake bamboo-agent.sh written by FakeBambooAgent.installScript (hupd tests).
      AGENT_HOME=@HOME@
      JAVA=@JAVA@
      CP=@CP@
      SERVER=@SERVER@
      NAME=@NAME@
      IP=@IP@
      PID_FILE="$AGENT_HOME/agent.pid"

      ours() {
        [ -r "/proc/$1/cmdline" ] || return 1
        tr '\\000' '\\n' < "/proc/$1/cmdline" | grep -qxF -- "$AGENT_HOME" || return 1
        state=$(sed -n 's/^.*) \\(.\\).*$/\\1/p' "/proc/$1/stat" 2>/dev/null)
        [ "$state" != Z ]
      }

      running() {
        [ -f "$PID_FILE" ] || return 1
        pid=$(cat "$PID_FILE" 2>/dev/null)
        [ -n "$pid" ] && ours "$pid"
      }

      start() {
        if running; then
          echo "Bamboo Agent is already running (pid $pid)."
          return 0
        fi
        mkdir -p "$AGENT_HOME/bin"
        cd "$AGENT_HOME/bin" || return 1
        if command -v setsid >/dev/null 2>&1; then DETACH=setsid; else DETACH=; fi
        nohup $DETACH "$JAVA" -cp "$CP" @MAIN@ "$AGENT_HOME" "$SERVER" "$NAME" "$IP" \\
          </dev/null >>"$AGENT_HOME/agent.out" 2>&1 &
        echo $! > "$PID_FILE"
        echo "Starting Bamboo Agent (pid $!)."
        return 0
      }

      stop() {
        if ! running; then
          rm -f "$PID_FILE"
          echo "Bamboo Agent was not running."
          return 0
        fi
        kill -TERM "$pid" 2>/dev/null
        i=0
        while ours "$pid" && [ "$i" -lt 100 ]; do
          sleep 0.1
          i=$((i + 1))
        done
        if ours "$pid"; then
          kill -KILL "$pid" 2>/dev/null
        fi
        rm -f "$PID_FILE"
        echo "Stopped Bamboo Agent."
        return 0
      }

      case "$1" in
        start) start ;;
        stop) stop ;;
        restart) stop; start ;;
        status)
          if running; then echo "Bamboo Agent is running (pid $pid)."; exit 0; fi
          echo "Bamboo Agent is not running."
          exit 1
          ;;
        *) echo "Usage: $0 {start|stop|restart|status}" >&2; exit 2 ;;
      esac
      """;

  private static String shellQuote(String value) {
    return "'" + value.replace("'", "'\\''") + "'";
  }

  // ---- the agent JVM

  /**
   * {@code FakeBambooAgent HOME SERVER_BASE_URL NAME IP} runs the agent (what the script starts);
   * {@code FakeBambooAgent install HOME SERVER_BASE_URL NAME IP} writes the script for this JVM's
   * java binary and class path, prints its path and exits (for shell scripts, e.g.
   * examples/bamboo-demo).
   */
  public static void main(String[] args) {
    if (args.length == 5 && args[0].equals("install")) {
      System.exit(install(args, System.out, System.err));
    }
    if (args.length != 4) {
      System.err.println(USAGE);
      System.exit(EXIT_USAGE);
    }
    URI server = URI.create(args[1]);
    requireLoopback(server);
    FakeBambooAgent agent =
        new FakeBambooAgent(Path.of(args[0]), server, args[2], args[3], System.getenv());
    Runtime.getRuntime().addShutdownHook(new Thread(agent::onSigterm, "fake-agent-stop"));
    int status = agent.run();
    System.exit(status);
  }

  /** {@code install HOME SERVER_BASE_URL NAME IP}: 0 with the script's path printed, else 3. */
  static int install(String[] args, PrintStream out, PrintStream err) {
    if (args.length != 5 || !args[0].equals("install")) {
      err.println(USAGE);
      return EXIT_USAGE;
    }
    try {
      Path script = installScript(Path.of(args[1]), URI.create(args[2]), args[3], args[4]);
      out.println(script.toAbsolutePath());
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("FakeBambooAgent install: " + e.getMessage());
      return EXIT_USAGE;
    }
  }

  private int run() {
    try {
      Identity identity = readIdentity();
      Map<String, String> capabilities = readCapabilities();
      log(
          "INFO",
          "Agent starting uuid=" + identity.uuid() + " capabilities=" + capabilities.size());
      Optional<JsonNode> registered = register(identity, capabilities);
      if (registered.isEmpty()) {
        return EXIT_REFUSED;
      }
      return heartbeats(identity.uuid());
    } catch (UnreachableException e) {
      log("FATAL", e.getMessage());
      return EXIT_UNREACHABLE;
    } catch (IOException e) {
      log("FATAL", "Agent failed: " + e);
      return EXIT_REFUSED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** Connects until registered (retrying while pending); empty when refused. */
  private Optional<JsonNode> register(Identity identity, Map<String, String> capabilities)
      throws IOException, InterruptedException, UnreachableException {
    boolean loggedPending = false;
    while (!stopping) {
      ObjectNode body = JsonTexts.object();
      body.put("uuid", identity.uuid());
      identity.id().ifPresentOrElse(id -> body.put("id", id), () -> body.putNull("id"));
      body.put("name", identity.name().orElse(defaultName));
      body.put("ip", ip);
      token.ifPresentOrElse(t -> body.put("token", t), () -> body.putNull("token"));
      ObjectNode caps = body.putObject("capabilities");
      capabilities.forEach(caps::put);
      JsonNode answer = post("/_fake/agents/connect", body);
      String result = answer.path("result").asText();
      switch (result) {
        case "registered" -> {
          long id = answer.path("id").asLong();
          String name = answer.path("name").asText();
          writeConfig(identity.uuid(), id, name);
          registeredId = OptionalLong.of(id);
          log("INFO", "Agent registered id=" + id + " name=" + name);
          return Optional.of(answer);
        }
        case "pending" -> {
          if (!loggedPending) {
            log(
                "INFO",
                "Agent is waiting for authentication uuid=" + identity.uuid() + " ip=" + ip);
            loggedPending = true;
          }
        }
        case "rejected" -> {
          log("FATAL", "Agent was rejected by the server: the security token is missing or wrong");
          return Optional.empty();
        }
        case "unknown-id" -> {
          log("FATAL", "Server does not know agent id " + identity.id() + "; it was removed");
          return Optional.empty();
        }
        default -> log("WARN", "Unexpected connect answer " + answer);
      }
      Thread.sleep(heartbeatMs);
    }
    return Optional.empty();
  }

  private int heartbeats(String uuid) throws InterruptedException, UnreachableException {
    while (!stopping) {
      Thread.sleep(heartbeatMs);
      if (stopping) {
        break;
      }
      ObjectNode body = JsonTexts.object();
      body.put("uuid", uuid);
      body.put("id", registeredId.getAsLong());
      String result = post("/_fake/agents/heartbeat", body).path("result").asText();
      if (!result.equals("ok") && !stopping) {
        log("FATAL", "Heartbeat answered " + result + "; the agent stops");
        registeredId = OptionalLong.empty();
        return EXIT_REFUSED;
      }
    }
    return 0;
  }

  /** Runs in the shutdown hook: tells the server the agent goes away. */
  private void onSigterm() {
    stopping = true;
    OptionalLong id = registeredId;
    if (id.isEmpty()) {
      return;
    }
    try {
      ObjectNode body = JsonTexts.object();
      body.put("id", id.getAsLong());
      send("/_fake/agents/disconnect", body);
      log("INFO", "Agent stopped and disconnected id=" + id.getAsLong());
    } catch (IOException e) {
      log("WARN", "Could not disconnect: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- HTTP

  /** Posts until an answer arrives, for up to the give-up time. */
  private JsonNode post(String path, ObjectNode body)
      throws InterruptedException, UnreachableException {
    long deadline = System.nanoTime() + Duration.ofMillis(giveUpMs).toNanos();
    while (true) {
      try {
        return send(path, body);
      } catch (IOException e) {
        if (System.nanoTime() > deadline || stopping) {
          throw new UnreachableException(
              "Server unreachable for " + giveUpMs + " ms at " + path + ": " + e);
        }
        log("WARN", "Cannot reach the server at " + path + ": " + e.getMessage());
        Thread.sleep(Math.min(heartbeatMs, 1000));
      }
    }
  }

  private JsonNode send(String path, ObjectNode body) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(server + path))
            .timeout(HTTP_TIMEOUT)
            .header("Content-Type", BambooHandler.JSON)
            .POST(HttpRequest.BodyPublishers.ofString(JsonTexts.write(body)))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("status " + response.statusCode() + " from " + path);
    }
    return JsonTexts.parse(response.body());
  }

  /** The server did not answer for the give-up time. */
  private static final class UnreachableException extends Exception {
    private static final long serialVersionUID = 1L;

    UnreachableException(String message) {
      super(message);
    }
  }

  // ---- files

  Identity readIdentity() throws IOException {
    Path cfg = home.resolve(CFG_FILE);
    if (Files.exists(cfg)) {
      return readConfig(cfg);
    }
    Path temp = home.resolve(UUID_FILE);
    if (Files.exists(temp)) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(temp)) {
        p.load(in);
      }
      String uuid = p.getProperty("agentUuid");
      if (uuid != null && !uuid.isBlank()) {
        return new Identity(uuid.trim(), OptionalLong.empty(), Optional.empty());
      }
    }
    String uuid = UUID.randomUUID().toString();
    Files.createDirectories(home);
    writeAtomically(
        temp,
        "#Agent UUID stored here temporarily until the agent is approved\n"
            + "agentUuid="
            + uuid
            + "\n");
    return new Identity(uuid, OptionalLong.empty(), Optional.empty());
  }

  private static Identity readConfig(Path cfg) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      Document doc = factory.newDocumentBuilder().parse(cfg.toFile());
      String uuid =
          firstText(doc, "agentUuid").orElseThrow(() -> new IOException(cfg + " has no agentUuid"));
      OptionalLong id =
          firstText(doc, "id")
              .map(t -> OptionalLong.of(Long.parseLong(t)))
              .orElse(OptionalLong.empty());
      return new Identity(uuid, id, firstText(doc, "name"));
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot read " + cfg + ": " + e.getMessage(), e);
    }
  }

  private static Optional<String> firstText(Document doc, String tag) {
    var nodes = doc.getElementsByTagName(tag);
    return nodes.getLength() == 0
        ? Optional.empty()
        : Optional.of(nodes.item(0).getTextContent().trim()).filter(t -> !t.isEmpty());
  }

  /** The properties file as Bamboo reads it: {@link Properties#load(InputStream)}, ISO-8859-1. */
  Map<String, String> readCapabilities() throws IOException {
    Path file = home.resolve(CAPABILITIES_FILE);
    Map<String, String> caps = new TreeMap<>();
    if (!Files.exists(file)) {
      return caps;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    p.stringPropertyNames().forEach(k -> caps.put(k, p.getProperty(k)));
    return caps;
  }

  private void writeConfig(String uuid, long id, String name) throws IOException {
    String xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<configuration>\n"
            + "<buildWorkingDirectory>"
            + xmlText(home.resolve("xml-data/build-dir").toString())
            + "</buildWorkingDirectory>\n"
            + "<agentUuid>"
            + xmlText(uuid)
            + "</agentUuid>\n"
            + "<agentDefinition>\n"
            + "<id>"
            + id
            + "</id>\n"
            + "<name>"
            + xmlText(name)
            + "</name>\n"
            + "<description>Remote agent on host "
            + xmlText(defaultName)
            + "</description>\n"
            + "</agentDefinition>\n"
            + "</configuration>\n";
    writeAtomically(home.resolve(CFG_FILE), xml);
    Files.deleteIfExists(home.resolve(UUID_FILE));
  }

  private static String xmlText(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static void writeAtomically(Path target, String text) throws IOException {
    Path temp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(temp, text, StandardCharsets.UTF_8);
    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private synchronized void log(String level, String message) {
    String line = Instant.now() + " " + level + " [FakeBambooAgent] " + message + "\n";
    try (Writer out =
        Files.newBufferedWriter(
            home.resolve(LOG_FILE),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      out.write(line);
    } catch (IOException e) {
      System.err.print(line);
    }
  }

  private static void requireLoopback(URI server) {
    if (server.getHost() == null || !LoopbackServers.isLoopback(server.getHost())) {
      throw new IllegalArgumentException(
          "the fake agent only talks to a loopback server, got " + server);
    }
  }
}
