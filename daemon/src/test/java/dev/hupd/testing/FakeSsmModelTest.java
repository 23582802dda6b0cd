package dev.hupd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.testing.FakeSsmModel.Counts;
import dev.hupd.testing.FakeSsmModel.Operation;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link FakeSsmModel} driven directly, in virtual time, as a fleet simulation would drive it. */
class FakeSsmModelTest {

  private final AtomicLong clock = new AtomicLong(0);
  private final FakeSsmModel model = new FakeSsmModel(clock::get, "eu-west-1");

  @Test
  void thousandAgentsPollingEvery10s_areHeldToTheGetQuota() {
    model.putTps(Double.POSITIVE_INFINITY);
    model.create("operator", "/fleet/generation", "7");

    for (long ms = 0; ms < 60_000; ms += 10) {
      clock.set(ms);
      String agent = "agent-" + (ms / 10) % 1000;
      try {
        model.getParameters(agent, List.of("/fleet/generation"));
      } catch (SsmServiceError e) {
        assertThat(e.code()).isEqualTo("ThrottlingException");
      }
    }

    Counts counts = model.counts(Operation.GET_PARAMETERS);
    long served = counts.calls() - counts.throttled();
    assertThat(counts.calls()).isEqualTo(6000);
    assertThat(served).as("40 TPS for 60 s plus the initial burst").isBetween(2400L, 2440L);
    assertThat(model.countsBy("agent-0").calls()).isEqualTo(6);
    assertThat(model.callers()).hasSize(1001);
  }

  @Test
  void createIfAbsent_hasExactlyOneWinnerAmongManyCallers() {
    model.putTps(Double.POSITIVE_INFINITY);

    int winners = 0;
    for (int i = 0; i < 50; i++) {
      try {
        model.create("agent-" + i, "/fleet/lease/1", "agent-" + i);
        winners++;
      } catch (SsmServiceError e) {
        assertThat(e.code()).isEqualTo("ParameterAlreadyExists");
      }
    }

    assertThat(winners).isEqualTo(1);
    assertThat(model.getParameter("reader", "/fleet/lease/1").value()).isEqualTo("agent-0");
  }

  @Test
  void errors_carryTheSsmCodeAndStatus() {
    SsmServiceError missing =
        catchThrowableOfType(() -> model.getParameter("a", "/none"), SsmServiceError.class);
    model.failNext(1, 503);
    SsmServiceError unavailable =
        catchThrowableOfType(() -> model.getParameter("a", "/none"), SsmServiceError.class);

    assertThat(missing.code()).isEqualTo("ParameterNotFound");
    assertThat(missing.httpStatus()).isEqualTo(400);
    assertThat(unavailable.httpStatus()).isEqualTo(503);
  }

  @Test
  void arn_followsTheModelsRegion() {
    model.create("a", "/x/y", "v");

    assertThat(model.getParameter("a", "/x/y").arn())
        .isEqualTo("arn:aws:ssm:eu-west-1:123456789012:parameter/x/y");
    assertThat(model.arn("flat")).isEqualTo("arn:aws:ssm:eu-west-1:123456789012:parameter/flat");
  }
}
