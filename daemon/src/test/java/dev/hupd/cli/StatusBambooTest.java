package dev.hupd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.bamboo.AgentRecord;
import dev.hupd.bamboo.AgentState;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@code hupd status} tells each agent state apart, with the reason and the master's view. */
class StatusBambooTest {

  @Test
  void eachStateIsShownByItsOwnNameWithItsReason() {
    for (AgentState s : AgentState.values()) {
      AgentRecord r = new AgentRecord();
      r.state = s.label();
      r.reason = "because " + s.label();
      String line = StatusCommand.bambooLine(r);
      assertThat(line).startsWith("bamboo: " + s.label() + " (because " + s.label() + ")");
      assertThat(AgentState.parse(s.label())).isEqualTo(s);
    }
  }

  @Test
  void aRegisteredAgentShowsWhatTheMasterSaidAndWhatWasPublished() {
    AgentRecord r = new AgentRecord();
    r.state = AgentState.DRAINING.label();
    r.reason = "waiting for the running build: 2m of 30m";
    r.agentId = 131073L;
    r.name = "ip-10-0-0-7";
    r.active = true;
    r.enabled = false;
    r.busy = true;
    r.pendingEnable = true;
    r.publishedMode = "rest";
    r.published = new TreeMap<>();
    r.published.put("hupd.toolchain.jdk", "reg/jdk@sha256:abc");
    String text = StatusCommand.bambooLine(r);
    assertThat(text)
        .contains("bamboo: draining (waiting for the running build: 2m of 30m)")
        .contains("agent 131073 'ip-10-0-0-7', connected, disabled, building")
        .contains("capabilities published (rest): hupd.toolchain.jdk=reg/jdk@sha256:abc")
        .contains("owes an enable");
  }

  @Test
  void aPendingAgentShowsItsUuid() {
    AgentRecord r = new AgentRecord();
    r.state = AgentState.PENDING_AUTHENTICATION.label();
    r.reason = "uuid u-1 from 10.0.0.7 waits for an admin";
    r.uuid = "u-1";
    assertThat(StatusCommand.bambooLine(r)).contains("uuid u-1, not registered on the master yet");
  }
}
