package dev.hupd.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.metadata.Json;
import org.junit.jupiter.api.Test;

/** {@code health.bamboo}: on by default, switchable, recorded with the revision. */
class PolicyTest {

  @Test
  void bambooHealthIsOnByDefaultAndCanBeTurnedOff() throws Exception {
    assertThat(Policy.parse(Json.parse("{}"), "Rollout").healthBamboo()).isTrue();
    Policy off = Policy.parse(Json.parse("{\"health\":{\"bamboo\":false}}"), "Rollout");
    assertThat(off.healthBamboo()).isFalse();
    assertThat(off.toJson().path("health").path("bamboo").asBoolean(true)).isFalse();
    assertThat(Policy.parse(off.toJson(), "revision").healthBamboo()).isFalse();
  }

  @Test
  void aBambooHealthThatIsNotABooleanIsRefusedNamingTheField() {
    assertThatThrownBy(
            () -> Policy.parse(Json.parse("{\"health\":{\"bamboo\":\"yes\"}}"), "Rollout"))
        .isInstanceOf(Policy.PolicyException.class)
        .hasMessageContaining("Rollout.health.bamboo");
  }
}
