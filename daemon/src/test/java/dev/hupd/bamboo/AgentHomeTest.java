package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AgentHome}: the agent's identity files and the capabilities file. */
class AgentHomeTest {

  private static final String UUID = "3f2b8c1e-7d4a-4e9b-a6c5-1b2d3e4f5a6b";

  @TempDir Path dir;

  private Path home() throws Exception {
    return Files.createDirectories(dir.resolve("bamboo-agent-home"));
  }

  private static String config(String uuid, String id, String name) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n"
        + "<buildWorkingDirectory>/home/bamboo/bamboo-agent-home/xml-data/build-dir"
        + "</buildWorkingDirectory>\n"
        + (uuid == null ? "" : "<agentUuid>" + uuid + "</agentUuid>\n")
        + "<agentDefinition>\n"
        + (id == null ? "" : "<id>" + id + "</id>\n")
        + (name == null ? "" : "<name>" + name + "</name>\n")
        + "<description>Remote agent on host build-1</description>\n"
        + "</agentDefinition>\n</configuration>\n";
  }

  @Test
  void freshHome_hasNoIdentity() throws Exception {
    assertThat(new AgentHome(home()).identity()).isEmpty();
  }

  @Test
  void tempUuid_beforeApproval() throws Exception {
    Path home = home();
    Files.writeString(home.resolve("uuid-temp.properties"), "#comment\nagentUuid=" + UUID + "\n");

    assertThat(new AgentHome(home).identity())
        .contains(new AgentHome.Identity(UUID, OptionalLong.empty(), Optional.empty()));
  }

  @Test
  void registeredConfig_givesUuidIdAndName() throws Exception {
    Path home = home();
    Files.writeString(home.resolve("bamboo-agent.cfg.xml"), config(UUID, "131073", "build-1"));
    Files.writeString(home.resolve("uuid-temp.properties"), "agentUuid=other\n");

    assertThat(new AgentHome(home).identity())
        .contains(new AgentHome.Identity(UUID, OptionalLong.of(131073), Optional.of("build-1")));
  }

  @Test
  void configWithoutUuid_takesTheTempUuid_andIdMinusOneIsNoId() throws Exception {
    Path home = home();
    Files.writeString(home.resolve("bamboo-agent.cfg.xml"), config(null, "-1", "build-1"));
    Files.writeString(home.resolve("uuid-temp.properties"), "agentUuid=" + UUID + "\n");

    assertThat(new AgentHome(home).identity())
        .contains(new AgentHome.Identity(UUID, OptionalLong.empty(), Optional.of("build-1")));
  }

  @Test
  void malformedXml_isAnErrorNamingTheFile() throws Exception {
    Path home = home();
    Path cfg = home.resolve("bamboo-agent.cfg.xml");
    Files.writeString(cfg, "<configuration><agentUuid>x</configuration>");

    AgentHomeException e =
        catchThrowableOfType(AgentHomeException.class, () -> new AgentHome(home).identity());

    assertThat(e.getMessage()).contains(cfg.toString()).contains("not well-formed XML");
  }

  @Test
  void doctypeAndExternalEntities_areRefused() throws Exception {
    Path home = home();
    Path secret = Files.writeString(dir.resolve("secret.txt"), "do-not-read");
    Path cfg = home.resolve("bamboo-agent.cfg.xml");
    Files.writeString(
        cfg,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [<!ENTITY x SYSTEM \""
            + secret.toUri()
            + "\">]>\n<configuration><agentUuid>&x;</agentUuid></configuration>\n");

    AgentHomeException e =
        catchThrowableOfType(AgentHomeException.class, () -> new AgentHome(home).identity());

    assertThat(e.getMessage()).contains(cfg.toString()).doesNotContain("do-not-read");
  }

  @Test
  void nonNumericId_isAnErrorNamingTheFile() throws Exception {
    Path home = home();
    Files.writeString(home.resolve("bamboo-agent.cfg.xml"), config(UUID, "abc", "n"));

    AgentHomeException e =
        catchThrowableOfType(AgentHomeException.class, () -> new AgentHome(home).identity());

    assertThat(e.getMessage()).contains("bamboo-agent.cfg.xml").contains("agentDefinition/id");
  }

  @Test
  void tempFileWithoutUuid_isAnErrorNamingTheFile() throws Exception {
    Path home = home();
    Files.writeString(home.resolve("uuid-temp.properties"), "other=1\n");

    AgentHomeException e =
        catchThrowableOfType(AgentHomeException.class, () -> new AgentHome(home).identity());

    assertThat(e.getMessage()).contains("uuid-temp.properties").contains("no agentUuid");
  }

  @Test
  void quarantine_movesBothFilesUnderTheStateDir_andNeverDeletes() throws Exception {
    Path home = home();
    Files.writeString(home.resolve("bamboo-agent.cfg.xml"), config(UUID, "7", "n"));
    Files.writeString(home.resolve("uuid-temp.properties"), "agentUuid=" + UUID + "\n");
    Path state = dir.resolve("state");
    Instant now = Instant.parse("2026-12-04T19:41:50.123Z");
    AgentHome agentHome = new AgentHome(home);

    Path folder = agentHome.quarantine(state, now);
    Path second = agentHome.quarantine(state, now);

    assertThat(folder).isEqualTo(state.resolve("bamboo/quarantine/20261204T194150Z"));
    assertThat(Files.readString(folder.resolve("bamboo-agent.cfg.xml"))).contains(UUID);
    assertThat(Files.readString(folder.resolve("uuid-temp.properties"))).contains(UUID);
    assertThat(agentHome.identity()).isEmpty();
    assertThat(second).isEqualTo(state.resolve("bamboo/quarantine/20261204T194150Z-2"));
    assertThat(second).isEmptyDirectory();
  }

  @Test
  void capabilities_areWrittenToBinAndReportChange() throws Exception {
    AgentHome agentHome = new AgentHome(home());
    TreeMap<String, String> caps = new TreeMap<>();
    caps.put("system.jdk.JDK 17", "/opt/jdk-17.0.10");

    assertThat(agentHome.capabilitiesFile())
        .isEqualTo(agentHome.path().resolve("bin/bamboo-capabilities.properties"));
    assertThat(agentHome.writeCapabilities(caps)).isTrue();
    assertThat(agentHome.writeCapabilities(caps)).isFalse();
    assertThat(Files.readAllLines(agentHome.capabilitiesFile()))
        .contains("system.jdk.JDK\\ 17=/opt/jdk-17.0.10");
  }
}
