package dev.hupd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.metadata.Json;
import dev.hupd.testing.FakeSsm;
import dev.hupd.testing.FakeSsmModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hupd rollout} through {@link Main}: a folder store, and once the fake SSM over HTTP. */
class RolloutCommandTest {

  @TempDir Path dir;

  private CliRun hupd(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--store", "dir:" + dir.resolve("store"), "--fleet", "demo"));
    all.addAll(List.of("--rollout-path", PushCommandTest.RP));
    return CliRun.of(Map.of("USER", "bob", "HOSTNAME", "desk"), all.toArray(String[]::new));
  }

  private void pushed(int version) throws Exception {
    Path f = dir.resolve("v" + version + ".json");
    Files.writeString(f, PushCommandTest.document(version, PushCommandTest.POLICY));
    CliRun run = hupd("push", f.toString());
    assertThat(run.code()).as(run.toString()).isZero();
  }

  @Test
  void status_showsFleetRevisionAndPhase() throws Exception {
    pushed(1);
    pushed(2);

    CliRun run = hupd("rollout", "status");

    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("fleet demo  generation 2  target revision 1 (approved)")
        .contains("revision 2 (base 1)")
        .contains("by bob@desk")
        .contains("gate on  phase pending")
        .contains("canary   seat 0  unclaimed");
  }

  @Test
  void status_ofAnOlderRevision_andAsJson() throws Exception {
    pushed(1);
    pushed(2);

    CliRun old = hupd("rollout", "status", "--revision", "1");
    CliRun json = hupd("rollout", "status", "--json", "--agents");
    CliRun missing = hupd("rollout", "status", "--revision", "9");

    assertThat(old.out()).contains("revision 1 of 2").contains("phase approved (applied on sight");
    JsonNode n = Json.parse(json.out());
    assertThat(n.path("revision").asLong()).isEqualTo(2);
    assertThat(n.path("phase").asText()).isEqualTo("pending");
    assertThat(n.path("seats").get(0).path("state").asText()).isEqualTo("unclaimed");
    assertThat(missing.code()).isEqualTo(78);
    assertThat(missing.err()).contains("revision 9 does not exist").contains("newest is 2");
  }

  @Test
  void abortResumePromote_roundTrip() throws Exception {
    pushed(1);
    pushed(2);

    CliRun abort = hupd("rollout", "abort", "--reason", "wrong image");
    CliRun halted = hupd("rollout", "status");
    CliRun abortAgain = hupd("rollout", "abort");
    CliRun resume = hupd("rollout", "resume");
    CliRun promote = hupd("rollout", "promote");
    CliRun approved = hupd("rollout", "status");
    CliRun promoteAgain = hupd("rollout", "promote", "--force");

    assertThat(abort.code()).as(abort.toString()).isZero();
    assertThat(abort.out())
        .isEqualTo(
            "revision 2: aborted (ctl/0, was pending); phase now halted (aborted: wrong image)\n");
    assertThat(halted.out()).contains("phase halted (aborted: wrong image)");
    assertThat(abortAgain.code()).isEqualTo(78);
    assertThat(abortAgain.err()).contains("phase is halted");
    assertThat(resume.out()).contains("resumed (ctl/1, was halted); phase now pending");
    assertThat(promote.out()).contains("promoted (ctl/2, was pending); phase now approved");
    assertThat(approved.out())
        .contains("target revision 2")
        .contains("phase approved")
        .contains("plan     P=1");
    assertThat(promoteAgain.code()).isEqualTo(78);
    assertThat(promoteAgain.err()).contains("already approved");
  }

  @Test
  void rolloutWithoutASubcommand_isAUsageError() {
    CliRun run = CliRun.of(Map.of(), "rollout");

    assertThat(run.code()).isEqualTo(64);
  }

  @Test
  void pushAndStatus_againstTheFakeSsmOverHttp() throws Exception {
    FakeSsmModel model =
        new FakeSsmModel(System::currentTimeMillis, "us-east-1")
            .putTps(Double.POSITIVE_INFINITY)
            .getTps(Double.POSITIVE_INFINITY);
    Path f = dir.resolve("v1.json");
    Files.writeString(f, PushCommandTest.document(1, PushCommandTest.POLICY));
    Map<String, String> env =
        Map.of(
            "AWS_ACCESS_KEY_ID", "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY", "secret",
            "AWS_EC2_METADATA_DISABLED", "true",
            "NO_PROXY", "127.0.0.1",
            "USER", "carol",
            "HOSTNAME", "ops");
    try (FakeSsm ssm = FakeSsm.start(model, 0)) {
      String[] where = {
        "--store",
        "ssm",
        "--fleet",
        "demo",
        "--region",
        "us-east-1",
        "--ssm-url",
        ssm.endpoint().toString(),
        "--rollout-path",
        PushCommandTest.RP
      };
      List<String> push = new ArrayList<>(List.of("push", f.toString()));
      push.addAll(List.of(where));
      List<String> status = new ArrayList<>(List.of("rollout", "status"));
      status.addAll(List.of(where));

      CliRun pushed = CliRun.of(env, push.toArray(String[]::new));
      CliRun shown = CliRun.of(env, status.toArray(String[]::new));

      assertThat(pushed.code()).as(pushed.toString()).isZero();
      assertThat(pushed.out()).isEqualTo("revision 1 (applied on sight)\n");
      assertThat(shown.code()).as(shown.toString()).isZero();
      assertThat(shown.out())
          .contains("fleet demo")
          .contains("revision 1")
          .contains("by carol@ops");
      assertThat(shown.out()).contains("phase approved");
      assertThat(ssm.requests()).isNotEmpty();
    }
  }
}
