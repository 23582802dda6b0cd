package dev.hupd.bamboo;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.SortedMap;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The remote agent's home folder as hupd sees it (bamboo-rest.md §5): the identity files the agent
 * writes ({@code uuid-temp.properties} before approval, {@code bamboo-agent.cfg.xml} after
 * registration), and the capabilities file hupd writes for it.
 */
public final class AgentHome {

  public static final String CONFIG_FILE = "bamboo-agent.cfg.xml";
  public static final String TEMP_UUID_FILE = "uuid-temp.properties";
  public static final String CAPABILITIES_FILE = "bin/bamboo-capabilities.properties";

  private static final DateTimeFormatter FOLDER_TIME =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /**
   * Who the agent is.
   *
   * @param uuid {@code agentUuid}
   * @param agentId the master's id ({@code agentDefinition/id}), once registered
   * @param name {@code agentDefinition/name}, once registered
   */
  public record Identity(String uuid, OptionalLong agentId, Optional<String> name) {
    public Identity {
      Objects.requireNonNull(uuid, "uuid");
      Objects.requireNonNull(agentId, "agentId");
      Objects.requireNonNull(name, "name");
    }
  }

  private final Path home;

  public AgentHome(Path home) {
    this.home = Objects.requireNonNull(home, "home");
  }

  public Path path() {
    return home;
  }

  /** {@code <home>/bin/bamboo-capabilities.properties}. */
  public Path capabilitiesFile() {
    return home.resolve(CAPABILITIES_FILE);
  }

  /**
   * The identity the agent will start with: from {@code bamboo-agent.cfg.xml} when it exists (its
   * UUID, else the one of {@code uuid-temp.properties}), else from {@code uuid-temp.properties};
   * empty when neither exists (a fresh agent creates its own).
   *
   * @throws AgentHomeException when a file exists but cannot be read or holds no UUID
   */
  public Optional<Identity> identity() throws AgentHomeException {
    Optional<Registered> registered = readConfig(home.resolve(CONFIG_FILE));
    Optional<String> tempUuid = readTempUuid(home.resolve(TEMP_UUID_FILE));
    if (registered.isEmpty()) {
      return tempUuid.map(u -> new Identity(u, OptionalLong.empty(), Optional.empty()));
    }
    Registered r = registered.get();
    Optional<String> uuid = r.uuid().or(() -> tempUuid);
    if (uuid.isEmpty()) {
      throw new AgentHomeException(
          home.resolve(CONFIG_FILE)
              + " has no agentUuid and there is no "
              + home.resolve(TEMP_UUID_FILE)
              + "; move both aside (or set bamboo-identity = reset) to register afresh");
    }
    return Optional.of(new Identity(uuid.get(), r.agentId(), r.name()));
  }

  /**
   * Moves the identity files that exist to {@code <stateDir>/bamboo/quarantine/<UTC time>/}; they
   * are never deleted, so an operator can still see which agent this host used to be.
   *
   * @return the folder the files were moved to (created even when there was nothing to move)
   */
  public Path quarantine(Path stateDir, Instant now) throws IOException {
    Path parent = stateDir.resolve("bamboo").resolve("quarantine");
    Files.createDirectories(parent);
    String stamp = FOLDER_TIME.format(now);
    Path folder = parent.resolve(stamp);
    for (int n = 2; Files.exists(folder); n++) {
      folder = parent.resolve(stamp + "-" + n);
    }
    Files.createDirectory(
        folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    for (String name : List.of(CONFIG_FILE, TEMP_UUID_FILE)) {
      Path file = home.resolve(name);
      if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        move(file, folder.resolve(name));
      }
    }
    return folder;
  }

  /**
   * Writes the capabilities file (see {@link CapabilitiesFile}).
   *
   * @return whether its bytes changed (then the agent needs a restart to read them)
   */
  public boolean writeCapabilities(SortedMap<String, String> capabilities) throws IOException {
    return CapabilitiesFile.write(capabilitiesFile(), capabilities);
  }

  /** A rename where possible; across filesystems (state on /var, home on /home) copy + delete. */
  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  /** What {@code bamboo-agent.cfg.xml} says; each part may be absent. */
  private record Registered(Optional<String> uuid, OptionalLong agentId, Optional<String> name) {}

  private static Optional<Registered> readConfig(Path file) throws AgentHomeException {
    Element root;
    try (InputStream in = Files.newInputStream(file)) {
      root = parser().parse(in, file.toUri().toString()).getDocumentElement();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (SAXException e) {
      throw new AgentHomeException(
          file + " is not well-formed XML (" + e.getMessage() + "); fix or move it aside", e);
    } catch (IOException e) {
      throw new AgentHomeException(
          "cannot read " + file + ": " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
    }
    Optional<String> uuid = text(root, "agentUuid");
    Optional<Element> definition = child(root, "agentDefinition");
    Optional<String> name = definition.flatMap(d -> text(d, "name"));
    OptionalLong id = OptionalLong.empty();
    Optional<String> idText = definition.flatMap(d -> text(d, "id"));
    if (idText.isPresent()) {
      try {
        long n = Long.parseLong(idText.get());
        // the agent writes -1 until the master has given it an id
        id = n > 0 ? OptionalLong.of(n) : OptionalLong.empty();
      } catch (NumberFormatException e) {
        throw new AgentHomeException(
            file + ": agentDefinition/id is not a number: '" + idText.get() + "'");
      }
    }
    return Optional.of(new Registered(uuid, id, name));
  }

  private static Optional<String> readTempUuid(Path file) throws AgentHomeException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      throw new AgentHomeException(
          "cannot read " + file + ": " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
    }
    String uuid = p.getProperty("agentUuid", "").strip();
    if (uuid.isEmpty()) {
      throw new AgentHomeException(
          file + " has no agentUuid; remove it so the agent writes a new one");
    }
    return Optional.of(uuid);
  }

  /** Without DTDs or external entities: the file is written by another account's process. */
  private static DocumentBuilder parser() throws AgentHomeException {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature("http://xml.org/sax/features/external-general-entities", false);
      f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      f.setXIncludeAware(false);
      f.setExpandEntityReferences(false);
      f.setNamespaceAware(false);
      DocumentBuilder b = f.newDocumentBuilder();
      b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
      return b;
    } catch (ParserConfigurationException e) {
      throw new AgentHomeException("the JDK's XML parser cannot be configured safely", e);
    }
  }

  private static Optional<Element> child(Element parent, String name) {
    List<Element> found = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        found.add(e);
      }
    }
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  private static Optional<String> text(Element parent, String name) {
    return child(parent, name).map(e -> e.getTextContent().strip()).filter(s -> !s.isEmpty());
  }
}
