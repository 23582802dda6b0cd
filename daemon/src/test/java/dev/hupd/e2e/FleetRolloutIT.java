package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.aws.SsmRolloutStore;
import dev.hupd.metadata.Json;
import dev.hupd.rollout.FleetView;
import dev.hupd.rollout.Names;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.testing.DockerFixture;
import dev.hupd.testing.FakeCloudFormation;
import dev.hupd.testing.FakeSsm;
import dev.hupd.testing.HupdProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The canary-first rollout end to end: four {@code hupd run} processes (two with the canary role),
 * the fake CloudFormation holding the stack metadata, the fake SSM Parameter Store they coordinate
 * through, and the real dockerd and registry for their toolchains. Each agent keeps its own tags
 * ({@code toolchain-repository}) and writes what its hook ran to a log, so the test sees exactly
 * who switched when.
 */
class FleetRolloutIT {

  static final Duration WAIT = Duration.ofSeconds(120);
  static DockerFixture docker;
  static String v1;
  static String v2;
  static String v3;
  static String broken;

  @TempDir Path work;
  FakeCloudFormation cfn;
  FakeSsm ssm;
  RolloutStore store;
  ObjectNode metadata;
  String fleet;
  final Map<String, HupdProcess> agents = new LinkedHashMap<>();

  @BeforeAll
  static void images() throws Exception {
    docker = DockerFixture.start();
    v1 = docker.publish("fleet-tool", "v1", "RUN echo 1 > /version");
    v2 = docker.publish("fleet-tool", "v2", "RUN echo 2 > /version");
    v3 = docker.publish("fleet-tool", "v3", "RUN echo 3 > /version");
    broken = docker.publish("fleet-tool", "broken", "RUN echo broken > /version");
  }

  @AfterAll
  static void cleanUp() throws Exception {
    docker.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    fleet = "it" + docker.id() + Long.toHexString(System.nanoTime() & 0xfff);
    cfn = FakeCloudFormation.start().stack("fleet-stack");
    ssm = FakeSsm.start();
    store =
        SsmRolloutStore.create(
            "us-east-1",
            ssm.endpoint(),
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")),
            Optional.empty());
    metadata = (ObjectNode) Json.parse("{}");
    metadata.set(
        "Rollout",
        Json.parse(
            "{\"canaries\":{\"count\":1,\"role\":\"canary\"},\"bake\":\"8s\",\"maxParallel\":1,"
                + "\"turnLease\":\"15s\",\"maxClockSkew\":\"2s\",\"margin\":\"17s\","
                + "\"health\":{\"timeout\":\"3s\",\"interval\":\"2s\"}}"));
    change(1, v1);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (HupdProcess p : agents.values()) {
      p.close();
    }
    for (String agent : agents.keySet()) {
      for (String tag : new String[] {"active", "previous", "candidate"}) {
        docker.removeAtEnd(repository(agent) + "/tool:" + tag);
      }
    }
    store.close();
    ssm.close();
    cfn.close();
  }

  String repository(String agent) {
    return fleet.toLowerCase() + "-" + agent;
  }

  /** A new stack metadata: hook value {@code tools} and the toolchain image. */
  void change(int tools, String image) {
    metadata.set("Tools", Json.parse("{\"version\":" + tools + "}"));
    metadata.set(
        "Toolchains",
        Json.parse(
            "{\"toolchains\":[{\"name\":\"tool\",\"image\":\""
                + image
                + "\",\"verify\":{\"command\":[\"cat\",\"/version\"],"
                + "\"outputPattern\":\"^[0-9]+\\\\s*$\",\"timeoutSeconds\":30,\"memoryMb\":64}}]}"));
    cfn.resource("AgentLaunchTemplate").metadata(metadata.toString());
  }

  HupdProcess start(String agent, String roles) throws IOException {
    Path home = work.resolve(agent);
    Files.createDirectories(home.resolve("cfn/hooks.d"));
    Files.writeString(
        home.resolve("cfn/cfn-hup.conf"),
        "[main]\nstack=fleet-stack\nregion=us-east-1\ninterval=1\nurl=" + cfn.endpoint() + "\n");
    Files.writeString(
        home.resolve("cfn/hooks.d/tools.conf"),
        "[tools]\ntriggers=post.add,post.update\npath=Resources.AgentLaunchTemplate.Metadata.Tools\n"
            + "action=echo \"$(date +%%s%%N) $HUPD_REVISION $HUPD_ROLLBACK $CFN_NEW_METADATA\" >> "
            + home.resolve("hook.log")
            + "\n");
    Files.writeString(
        home.resolve("hupd.conf"),
        "[hupd]\nstate-dir = state\nstatus-listen = 127.0.0.1:0\nimport-cfn-hup-state = none\nfirst-poll-splay = 0\n"
            + "imds-endpoint = http://127.0.0.1:1\ndocker-config = none\n"
            + "toolchains-path = Resources.AgentLaunchTemplate.Metadata.Toolchains\n"
            + "toolchain-repository = "
            + repository(agent)
            + "\nstore = ssm\nssm-url = "
            + ssm.endpoint()
            + "\nssm-region = us-east-1\nfleet = "
            + fleet
            + "\nagent-id = "
            + agent
            + "\nroles = "
            + roles
            + "\nrollout-path = Resources.AgentLaunchTemplate.Metadata.Rollout\n"
            + "register-every = 1s\nstore-poll = 1s\n");
    Map<String, String> env = new HashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", home.toString());
    env.put("AWS_ACCESS_KEY_ID", "AKIDE2E" + agent.toUpperCase());
    env.put("AWS_SECRET_ACCESS_KEY", "e2e-secret-not-real");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", work.resolve("none").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("none").toString());
    HupdProcess p =
        HupdProcess.start(
            env,
            "--config",
            home.resolve("cfn").toString(),
            "--settings",
            home.resolve("hupd.conf").toString(),
            "run");
    agents.put(agent, p);
    return p;
  }

  void startFleet() throws Exception {
    start("a1", "canary");
    start("a2", "canary");
    start("a3", "");
    start("a4", "");
    for (String a : agents.keySet()) {
      agents.get(a).awaitLine("what=\"applied 1", WAIT);
    }
  }

  /** Lines of an agent's hook log: {@code nanos revision rollback value}. */
  List<String[]> hookRuns(String agent) throws IOException {
    Path log = work.resolve(agent).resolve("hook.log");
    List<String[]> out = new ArrayList<>();
    if (Files.exists(log)) {
      for (String line : Files.readAllLines(log)) {
        out.add(line.split(" ", 4));
      }
    }
    return out;
  }

  long runsOf(String agent, int revision) throws IOException {
    return hookRuns(agent).stream()
        .filter(r -> r[1].equals(Integer.toString(revision)) && r[2].equals("0"))
        .count();
  }

  String active(String agent) throws Exception {
    return docker.imageId(repository(agent) + "/tool:active");
  }

  FleetView view(long r) throws Exception {
    Names names = new Names(fleet);
    FleetView view = new FleetView(names);
    List<String> wanted = new ArrayList<>();
    wanted.add(names.meta(r));
    wanted.add(names.approved(r));
    wanted.add(names.plan(r));
    for (int a = 0; a < 4; a++) {
      wanted.add(names.seat(r, 0, a));
    }
    for (int i = 0; i < wanted.size(); i += 10) {
      view.mergeAll(store.get(wanted.subList(i, Math.min(wanted.size(), i + 10))).values());
    }
    return view;
  }

  /** Claim and close times of every turn of revision r: no two may overlap when P = 1. */
  List<long[]> turnIntervals(long r) throws Exception {
    Names names = new Names(fleet);
    List<long[]> out = new ArrayList<>();
    Optional<String> token = Optional.empty();
    do {
      RolloutStore.Page page = store.list(names.rev(r) + "/turn", token);
      for (RolloutStore.Entry e : page.entries()) {
        JsonNode rec = Json.parse(e.value());
        if (rec.has("close")) {
          out.add(new long[] {rec.path("at").asLong(), e.modifiedMs()});
        }
      }
      token = page.next();
    } while (token.isPresent());
    return out;
  }

  String canaryOf(long r) throws Exception {
    return view(r).seat(r, 0).orElseThrow().agent();
  }

  @Test
  void aGoodChangeGoesCanaryFirstThenOneAgentAtATimeToEveryAgent() throws Exception {
    startFleet();
    String v1Id = docker.imageId(v1);
    for (String a : agents.keySet()) {
      assertThat(active(a)).as(a).isEqualTo(v1Id);
    }

    change(2, v2);
    for (String a : agents.keySet()) {
      agents.get(a).awaitLine("applied=2", WAIT);
    }
    // wait for every agent's own log to show revision 2 applied
    for (String a : agents.keySet()) {
      agents
          .get(a)
          .awaitLines(
              l -> l.contains("what=\"verdict ok") || l.contains("what=\"ok /hupd/"), 1, WAIT);
    }
    String v2Id = docker.imageId(v2);
    String canary = canaryOf(2);
    FleetView view = view(2);
    assertThat(view.seat(2, 0).orElseThrow().verdict()).isEqualTo("ok");
    assertThat(view.approved(2)).isTrue();
    long approvedAt = view.entry(new Names(fleet).approved(2)).orElseThrow().modifiedMs();
    for (String a : agents.keySet()) {
      assertThat(active(a)).as("toolchain of " + a).isEqualTo(v2Id);
      assertThat(runsOf(a, 2)).as("hook runs of revision 2 on " + a).isEqualTo(1);
      if (!a.equals(canary)) {
        long started =
            hookRuns(a).stream()
                    .filter(r -> r[1].equals("2"))
                    .mapToLong(r -> Long.parseLong(r[0]))
                    .min()
                    .orElseThrow()
                / 1_000_000;
        assertThat(started)
            .as(a + " switched after the approval")
            .isGreaterThanOrEqualTo(approvedAt - 1_000);
      }
    }
    List<long[]> turns = turnIntervals(2);
    assertThat(turns).hasSize(3);
    turns.sort((x, y) -> Long.compare(x[0], y[0]));
    for (int i = 1; i < turns.size(); i++) {
      assertThat(turns.get(i)[0])
          .as("turn " + i + " claimed after turn " + (i - 1) + " closed (maxParallel 1)")
          .isGreaterThanOrEqualTo(turns.get(i - 1)[1]);
    }
  }

  @Test
  void aBadChangeStopsAtTheCanaryWhichRollsBackWhileTheOthersNeverMove() throws Exception {
    startFleet();
    change(2, v2);
    for (String a : agents.keySet()) {
      agents.get(a).awaitLine("applied=2", WAIT);
    }
    Map<String, String> before = new HashMap<>();
    for (String a : agents.keySet()) {
      before.put(a, active(a));
    }

    change(3, broken); // verify prints "broken": the canary's toolchain check fails
    HupdProcess any = agents.get("a1");
    String canary = null;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (canary == null && System.nanoTime() < deadline) {
      for (Map.Entry<String, HupdProcess> e : agents.entrySet()) {
        if (e.getValue().lines().stream().anyMatch(l -> l.contains("what=\"failed /hupd/"))) {
          canary = e.getKey();
        }
      }
      Thread.sleep(200);
    }
    assertThat(canary)
        .as("a canary failed revision 3; a1 log:\n" + String.join("\n", any.lines()))
        .isNotNull();
    agents.get(canary).awaitLine("what=\"failed /hupd/" + fleet + "/rev/3/seat/0/0\"", WAIT);
    // the rollback closes the seat with its outcome; then give the others ample time to (not) move
    Thread.sleep(12_000);
    FleetView view = view(3);
    assertThat(view.status(3).phase()).isEqualTo(FleetView.Phase.HALTED);
    assertThat(view.status(3).reason()).contains("canary-failed").contains(canary);
    assertThat(view.seat(3, 0).orElseThrow().record().path("rollback").asText()).isEqualTo("ok");
    assertThat(view.approved(3)).isFalse();
    assertThat(active(canary))
        .as("canary back on the previous image")
        .isEqualTo(before.get(canary));
    for (String a : agents.keySet()) {
      assertThat(active(a)).as(a).isEqualTo(before.get(a));
      if (!a.equals(canary)) {
        assertThat(hookRuns(a).stream().filter(r -> r[1].equals("3")).count())
            .as(a + " never ran revision 3")
            .isZero();
        assertThat(agents.get(a).lines()).noneMatch(l -> l.contains("/rev/3/turn/"));
      }
    }
  }

  @Test
  void killingTheCanaryMidBakeEndsInATakeoverNeverAStallOrADoubleApply() throws Exception {
    startFleet();
    change(2, v2);
    String canary = null;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (canary == null && System.nanoTime() < deadline) {
      for (Map.Entry<String, HupdProcess> e : agents.entrySet()) {
        if (e.getValue().lines().stream().anyMatch(l -> l.contains("what=\"baking /hupd/"))) {
          canary = e.getKey();
        }
      }
      Thread.sleep(100);
    }
    assertThat(canary).isNotNull();
    HupdProcess victim = agents.get(canary);
    victim.signal("KILL");
    victim.awaitExit(WAIT);

    String standby = canary.equals("a1") ? "a2" : "a1";
    agents.get(standby).awaitLine("what=\"claimed /hupd/" + fleet + "/rev/2/seat/0/1\"", WAIT);
    for (String a : agents.keySet()) {
      if (!a.equals(canary)) {
        agents.get(a).awaitLine("applied=2", WAIT);
      }
    }
    FleetView view = view(2);
    assertThat(view.seat(2, 0).orElseThrow().attempt()).isEqualTo(1);
    assertThat(view.seat(2, 0).orElseThrow().agent()).isEqualTo(standby);
    assertThat(view.seat(2, 0).orElseThrow().verdict()).isEqualTo("ok");
    for (String a : agents.keySet()) {
      if (!a.equals(canary)) {
        assertThat(runsOf(a, 2)).as("revision 2 applied once on " + a).isEqualTo(1);
      }
    }
    // the killed canary comes back: it lets its expired attempt go and converges like a follower
    agents.remove(canary);
    HupdProcess back = start(canary, "canary");
    back.awaitLine("applied=2", WAIT);
    assertThat(docker.imageId(repository(canary) + "/tool:active")).isEqualTo(docker.imageId(v2));
    assertThat(back.lines()).anyMatch(l -> l.contains("seat/0/0") && l.contains("released"));
  }
}
