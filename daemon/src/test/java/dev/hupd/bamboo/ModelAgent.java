package dev.hupd.bamboo;

import dev.hupd.testing.FakeBambooModel;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Bamboo's remote agent reduced to what hupd can observe of it, talking to a {@link
 * FakeBambooModel} in the same JVM: on start it takes its identity from the agent home's files (or
 * makes one), reads {@code bin/bamboo-capabilities.properties} with {@link Properties} as Bamboo
 * does, and connects with the security token it was given; once registered it writes {@code
 * bamboo-agent.cfg.xml}. Deterministic: a pending agent retries only when {@link #retry} is called.
 * The process tests use the real script ({@code FakeBambooAgent}) instead.
 */
final class ModelAgent implements AgentProcess {

  final FakeBambooModel model;
  final Path home;
  final String name;
  String ip = "10.0.0.7";
  private boolean running;
  private String token;
  int starts;
  int restarts;
  int stops;
  FakeBambooModel.Outcome last;
  OptionalLong id = OptionalLong.empty();

  ModelAgent(FakeBambooModel model, Path home, String name) {
    this.model = model;
    this.home = home;
    this.name = name;
  }

  /** When set, start fails with this message (an agent that is not installed). */
  String failStart;

  @Override
  public void start() throws IOException {
    if (failStart != null) {
      throw new IOException(failStart);
    }
    starts++;
    running = true;
    connect();
  }

  @Override
  public void stop() {
    stops++;
    if (running && id.isPresent()) {
      model.disconnect(id.getAsLong());
    }
    running = false;
  }

  @Override
  public void restart() throws IOException {
    restarts++;
    stop();
    stops--;
    start();
    starts--;
  }

  @Override
  public boolean running() {
    return running;
  }

  @Override
  public void setSecurityToken(String token) {
    this.token = token;
  }

  /** The agent's periodic retry while pending (a real one retries by itself). */
  void retry() throws IOException {
    if (running) {
      connect();
    }
  }

  private void connect() throws IOException {
    Path cfg = home.resolve("bamboo-agent.cfg.xml");
    Path temp = home.resolve("uuid-temp.properties");
    String uuid;
    OptionalLong known = OptionalLong.empty();
    Optional<AgentHome.Identity> identity;
    try {
      identity = new AgentHome(home).identity();
    } catch (AgentHomeException e) {
      throw new IOException(e);
    }
    if (identity.isPresent()) {
      uuid = identity.get().uuid();
      known = identity.get().agentId();
    } else {
      uuid = UUID.randomUUID().toString();
      Files.createDirectories(home);
      Files.writeString(temp, "agentUuid=" + uuid + "\n");
    }
    FakeBambooModel.Connect c =
        FakeBambooModel.Connect.of(uuid, name, ip).withFileCapabilities(fileCapabilities());
    if (known.isPresent()) {
      c = c.withId(known.getAsLong());
    }
    if (token != null) {
      c = c.withToken(token);
    }
    FakeBambooModel.Connected result = model.connect(c);
    last = result.outcome();
    if (result.outcome() == FakeBambooModel.Outcome.REGISTERED) {
      id = result.id();
      Files.writeString(
          cfg,
          "<configuration><agentUuid>"
              + uuid
              + "</agentUuid><agentDefinition><id>"
              + result.id().getAsLong()
              + "</id><name>"
              + result.name().orElse(name)
              + "</name></agentDefinition></configuration>\n");
      Files.deleteIfExists(temp);
    } else if (result.outcome() == FakeBambooModel.Outcome.REJECTED
        || result.outcome() == FakeBambooModel.Outcome.UNKNOWN_ID) {
      running = false; // a refused agent exits
    }
  }

  Map<String, String> fileCapabilities() throws IOException {
    Path file = home.resolve("bin/bamboo-capabilities.properties");
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
      p.load(r);
    }
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }
}
