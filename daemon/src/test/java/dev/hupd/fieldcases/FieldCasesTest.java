package dev.hupd.fieldcases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.hupd.apply.HooksStep;
import dev.hupd.apply.PassReport;
import dev.hupd.apply.Pipeline;
import dev.hupd.aws.CloudFormationSource;
import dev.hupd.config.CfnHupConfig;
import dev.hupd.config.ConfigException;
import dev.hupd.config.HupdSettings;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.Backoff;
import dev.hupd.poll.LogLimiter;
import dev.hupd.poll.RetryingSource;
import dev.hupd.poll.Schedule;
import dev.hupd.source.FileMetadataSource;
import dev.hupd.source.MetadataSource;
import dev.hupd.testing.FakeCloudFormation;
import dev.hupd.testing.FakeHttpProxy;
import dev.hupd.testing.FakeInstanceMetadata;
import dev.hupd.testing.LogCapture;
import dev.hupd.testing.ProxiedRequest;
import dev.hupd.testing.RecordedRequest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The field cases of ../shared/cases/field-cases.md that belong to the core, each driven through
 * the real components (config loader, SDK-backed source, retrying source, hook step, action runner)
 * against the loopback fakes. C04 and C05 need a real process: see DaemonProcessIT.
 */
class FieldCasesTest {

  static final String STACK_ARN =
      "arn:aws:cloudformation:eu-west-1:123456789012:stack/agents-stack/00000000-0000-0000-0000-000000000000";
  static final String INIT_V1 =
      "{\"AWS::CloudFormation::Init\":{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\"}}}}}";
  static final String INIT_V2 =
      "{\"AWS::CloudFormation::Init\":{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.1\"}}}}}";

  @TempDir Path dir;
  FakeCloudFormation cfn;
  Path actionsLog;
  List<Duration> sleeps = new ArrayList<>();

  @BeforeEach
  void start() {
    cfn = FakeCloudFormation.start().stack("agents-stack");
    actionsLog = dir.resolve("actions.log");
  }

  @AfterEach
  void stop() {
    cfn.close();
  }

  /** The common fixture of the field cases: hooks.d/reloader.conf, with a recording action. */
  Path fixtureConfig(String mainExtra) throws Exception {
    Path conf = dir.resolve("cfn");
    Files.createDirectories(conf.resolve("hooks.d"));
    Files.writeString(
        conf.resolve("cfn-hup.conf"),
        "[main]\nstack="
            + STACK_ARN
            + "\nregion=eu-west-1\nurl="
            + cfn.endpoint()
            + "\n"
            + mainExtra);
    Files.writeString(
        conf.resolve("hooks.d/reloader.conf"),
        "[reloader]\ntriggers=post.update\npath=Resources.AgentLT.Metadata.AWS::CloudFormation::Init\n"
            + "action=echo \"$CFN_OLD_METADATA => $CFN_NEW_METADATA\" >> "
            + actionsLog
            + "\nrunas=root\n");
    return conf;
  }

  HupdSettings settings(Optional<URI> imds, Optional<URI> proxy) {
    HupdSettings d = HupdSettings.defaults();
    return new HupdSettings(
        d.source(),
        dir.resolve("state"),
        d.pollInterval(),
        d.firstPollSplay(),
        d.actionTimeout(),
        d.stopTimeout(),
        d.maxFailures(),
        d.retryBudget(),
        proxy,
        imds,
        d.logFile(),
        Optional.empty(),
        d.file(),
        d.toolchains(),
        d.fleet(),
        d.bamboo(),
        d.statusListen());
  }

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    return env;
  }

  /** One pass of the real pipeline; backoff sleeps are recorded, not slept. */
  PassReport pass(CfnHupConfig config, MetadataSource raw, LogLimiter limiter) throws Exception {
    StateStore state = StateStore.open(dir.resolve("state"), Optional.empty());
    MetadataSource source =
        new RetryingSource(
            raw,
            Backoff.standard(Duration.ofMinutes(2)),
            d -> sleeps.add(d) || true,
            new Random(7));
    HooksStep hooks =
        new HooksStep(
            config.hooks(),
            new ActionRunner(env(), 022),
            Duration.ofSeconds(30),
            OptionalInt.empty(),
            limiter);
    return new Pipeline(source, state, List.of(hooks)).runPass(() -> false);
  }

  List<String> actions() throws Exception {
    return Files.exists(actionsLog) ? Files.readAllLines(actionsLog) : List.of();
  }

  CloudFormationSource cfnSource(CfnHupConfig config, Map<String, String> env)
      throws ConfigException {
    return CloudFormationSource.create(
        config.main(), settings(Optional.empty(), Optional.empty()), env, Map.of());
  }

  @Test
  void c01_onlyAChangeOfTheValueAtThePathFires_withOldAndNewMetadata() throws Exception {
    CfnHupConfig config = CfnHupConfig.load(fixtureConfig(""));
    cfn.resource("AgentLT").metadata(INIT_V1);
    LogLimiter limiter = new LogLimiter();
    try (CloudFormationSource source = cfnSource(config, env())) {
      pass(config, source, limiter);
      // (a) same value, newer LastUpdatedTimestamp: nothing
      cfn.resource("AgentLT").lastUpdated(Instant.now().plusSeconds(60));
      pass(config, source, limiter);
      // (c) same value, different key order: nothing
      cfn.resource("AgentLT")
          .metadata(
              "{\"AWS::CloudFormation::Init\":{\"config\":{\"files\":{\"/etc/tool.ver\":{\"content\":\"1.0\"}}}},\"x\":{}}");
      pass(config, source, limiter);
      assertThat(actions()).isEmpty();
      // (b) a different value: exactly one action with both variables
      cfn.resource("AgentLT").metadata(INIT_V2);
      pass(config, source, limiter);
      pass(config, source, limiter);
      assertThat(actions())
          .containsExactly(
              "{\"config\": {\"files\": {\"/etc/tool.ver\": {\"content\": \"1.0\"}}}} => {\"config\": {\"files\": {\"/etc/tool.ver\": {\"content\": \"1.1\"}}}}");
    }
  }

  @Test
  void c03_throttlingIsRetriedWithBackoff_threeWarnsNoErrorOneAction() throws Exception {
    CfnHupConfig config = CfnHupConfig.load(fixtureConfig(""));
    cfn.resource("AgentLT").metadata(INIT_V1);
    try (CloudFormationSource source = cfnSource(config, env())) {
      pass(config, source, new LogLimiter());
      cfn.resource("AgentLT").metadata(INIT_V2);
      cfn.throttleNext(3);
      cfn.clearRequests();
      try (LogCapture logs = new LogCapture()) {
        PassReport report = pass(config, source, new LogLimiter());
        assertThat(report.actionsRun()).isEqualTo(1);
        assertThat(logs.lines(Level.WARN)).hasSize(3).allMatch(l -> l.contains("code=Throttling"));
        assertThat(logs.lines(Level.ERROR)).isEmpty();
      }
      assertThat(cfn.describeCalls("AgentLT")).isEqualTo(4);
      assertThat(actions()).hasSize(1);
      // full jitter: every wait within its ceiling (1 s, 2 s, 4 s)
      assertThat(sleeps).hasSize(3);
      for (int i = 0; i < 3; i++) {
        assertThat(sleeps.get(i)).isLessThanOrEqualTo(Duration.ofSeconds(1L << i));
      }
    }
  }

  @Test
  void c03_outageLongerThanTheBudgetFiresNothingAndForgetsNothing() throws Exception {
    CfnHupConfig config = CfnHupConfig.load(fixtureConfig(""));
    cfn.resource("AgentLT").metadata(INIT_V1);
    try (CloudFormationSource source = cfnSource(config, env())) {
      pass(config, source, new LogLimiter());
      cfn.resource("AgentLT").metadata(INIT_V2);
      cfn.failNext(100, 503);
      PassReport report = pass(config, source, new LogLimiter());
      assertThat(report.readErrors()).isEqualTo(1);
      assertThat(cfn.describeCalls("AgentLT")).as("bounded: 1 + 8 attempts").isLessThanOrEqualTo(9);
      assertThat(actions()).isEmpty();
      cfn.reset();
      pass(config, source, new LogLimiter());
      assertThat(actions()).hasSize(1);
    }
  }

  @Test
  void c07_proxyFromEnvironmentCarriesCloudFormationButNeverInstanceMetadata() throws Exception {
    try (FakeHttpProxy proxy = FakeHttpProxy.start();
        FakeInstanceMetadata imds = FakeInstanceMetadata.start().region("eu-west-1")) {
      proxy.route("cloudformation.eu-west-1.amazonaws.com:80", cfn.endpoint());
      Path conf = fixtureConfig("");
      // no region=, a plain stack name, an http endpoint that only the proxy can reach
      Files.writeString(
          conf.resolve("cfn-hup.conf"),
          "[main]\nstack=agents-stack\nurl=http://cloudformation.eu-west-1.amazonaws.com\n");
      CfnHupConfig config = CfnHupConfig.load(conf);
      cfn.resource("AgentLT").metadata(INIT_V1);
      Map<String, String> env = env();
      env.remove("AWS_REGION");
      env.remove("AWS_DEFAULT_REGION");
      env.put("HTTP_PROXY", proxy.endpoint().toString());
      env.put("HTTPS_PROXY", proxy.endpoint().toString());
      env.remove("NO_PROXY");
      env.remove("no_proxy");
      try (CloudFormationSource source =
          CloudFormationSource.create(
              config.main(),
              settings(Optional.of(imds.endpoint()), Optional.empty()),
              env,
              Map.of())) {
        assertThat(source.description()).contains("region=eu-west-1");
        assertThat(source.describe("AgentLT").metadataText()).isPresent();
      }
      assertThat(imds.requests()).as("region came from IMDS, directly").isNotEmpty();
      assertThat(proxy.requests())
          .extracting(ProxiedRequest::targetHostPort)
          .containsOnly("cloudformation.eu-west-1.amazonaws.com:80");
      assertThat(cfn.requests()).hasSize(1);
    }
    // hook actions inherit the proxy variables
    Map<String, String> env = env();
    env.put("HTTPS_PROXY", "http://proxy:3128");
    Path out = dir.resolve("proxy-env");
    new ActionRunner(env, 022)
        .run(
            new dev.hupd.hooks.ActionRequest(
                "h",
                "echo $HTTPS_PROXY > " + out,
                Optional.empty(),
                Map.of(),
                Duration.ofSeconds(10)));
    assertThat(Files.readString(out).strip()).isEqualTo("http://proxy:3128");
  }

  @Test
  void c08_urlOverridesTheEndpointHostAndTimeoutsKeepTheDaemonRunning() throws Exception {
    try (FakeHttpProxy proxy = FakeHttpProxy.start()) {
      String vpce = "vpce-0abc-xyz.cloudformation.eu-west-1.vpce.amazonaws.com";
      proxy.route(vpce + ":80", cfn.endpoint());
      Path conf = fixtureConfig("");
      Files.writeString(
          conf.resolve("cfn-hup.conf"),
          "[main]\nstack=agents-stack\nregion=eu-west-1\nurl=http://"
              + vpce
              + "\nproxy="
              + proxy.endpoint()
              + "\n");
      CfnHupConfig config = CfnHupConfig.load(conf);
      cfn.resource("AgentLT").metadata(INIT_V1);
      try (CloudFormationSource source = cfnSource(config, env())) {
        source.describe("AgentLT");
        assertThat(proxy.requests())
            .extracting(ProxiedRequest::targetHostPort)
            .containsExactly(vpce + ":80");
        assertThat(cfn.requests()).hasSize(1);
        cfn.dropConnectionsNext(20);
        try (LogCapture logs = new LogCapture()) {
          PassReport r = pass(config, source, new LogLimiter());
          assertThat(r.readErrors()).isEqualTo(1);
          assertThat(actions()).isEmpty();
          assertThat(String.join("\n", logs.lines(Level.WARN))).contains(vpce);
        }
      }
    }
  }

  @Test
  void c09_regionFromTheStackArnWhenRegionIsMissing() throws Exception {
    Path conf = fixtureConfig("");
    Files.writeString(
        conf.resolve("cfn-hup.conf"),
        "[main]\nstack="
            + STACK_ARN.replace("00000000-0000-0000-0000-000000000000", "1111-2222")
            + "\n");
    Map<String, String> env = env();
    env.remove("AWS_REGION");
    env.put("AWS_DEFAULT_REGION", "us-west-1");
    try (CloudFormationSource source = cfnSource(CfnHupConfig.load(conf), env)) {
      assertThat(source.description())
          .contains("endpoint=https://cloudformation.eu-west-1.amazonaws.com");
    }
  }

  @Test
  void c12_accessDeniedIsOneErrorPerHourAtMostAndFiresNothing() throws Exception {
    CfnHupConfig config = CfnHupConfig.load(fixtureConfig(""));
    cfn.resource("AgentLT").metadata(INIT_V1);
    cfn.accessDenied(true);
    AtomicLong clock = new AtomicLong();
    LogLimiter limiter = new LogLimiter(clock::get);
    try (CloudFormationSource source = cfnSource(config, env());
        LogCapture logs = new LogCapture()) {
      for (int minute = 0; minute < 120; minute++) { // two hours at interval=1
        clock.set(Duration.ofMinutes(minute).toNanos());
        pass(config, source, limiter);
      }
      List<String> errors = logs.lines(Level.ERROR);
      assertThat(errors).hasSize(2);
      assertThat(errors.get(0))
          .contains("AccessDenied")
          .contains("DescribeStackResource")
          .contains(STACK_ARN);
      assertThat(logs.lines(Level.WARN)).isEmpty();
      assertThat(cfn.describeCalls("AgentLT")).as("not retried in a loop").isEqualTo(120);
    }
    assertThat(actions()).isEmpty();
  }

  @Test
  void c12_configuredRoleDisagreeingWithInstanceRoleWarnsAndUsesTheInstanceRole() throws Exception {
    try (FakeInstanceMetadata imds = FakeInstanceMetadata.start()) {
      imds.role(
          "AgentRole",
          "ASIAAGENTROLE",
          "role-secret-value",
          "role-session-token",
          Instant.now().plusSeconds(3600));
      Path conf = fixtureConfig("role=OldAgentRole\n");
      CfnHupConfig config = CfnHupConfig.load(conf);
      cfn.resource("AgentLT").metadata(INIT_V1);
      try (LogCapture logs = new LogCapture();
          CloudFormationSource source =
              CloudFormationSource.create(
                  config.main(),
                  settings(Optional.of(imds.endpoint()), Optional.empty()),
                  env(),
                  Map.of())) {
        source.describe("AgentLT");
        assertThat(logs.lines(Level.WARN))
            .anyMatch(l -> l.contains("role.mismatch") && l.contains("AgentRole"));
        assertThat(logs.all())
            .doesNotContain("role-secret-value")
            .doesNotContain("role-session-token");
      }
      assertThat(cfn.requests())
          .extracting(RecordedRequest::accessKeyId)
          .containsExactly("ASIAAGENTROLE");
      assertThat(imds.requests()).anyMatch(r -> r.method().equals("PUT")); // IMDSv2 token
    }
  }

  @Test
  void c12_groupReadableCredentialFileIsRefused() throws Exception {
    Path creds = dir.resolve("cfn-credentials");
    Files.writeString(creds, "AWSAccessKeyId=AKIDFILE\nAWSSecretKey=very-secret\n");
    Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-r--r--"));
    Path conf = fixtureConfig("credential-file=" + creds + "\n");
    // refused when the configuration is loaded, so "hupd check" reports it too, with its line
    assertThatThrownBy(() -> CfnHupConfig.load(conf))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cfn-hup.conf:5: [main] credential-file")
        .hasMessageContaining("group or other")
        .hasMessageNotContaining("very-secret");
  }

  @Test
  void c14_intervalIsWholeMinutesWithTenPercentJitter() throws Exception {
    CfnHupConfig one = CfnHupConfig.load(fixtureConfig("interval=1\n"));
    Schedule s = new Schedule(Duration.ofMinutes(one.main().intervalMinutes()), Duration.ZERO);
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      assertThat(s.nextDelay(random)).isBetween(Duration.ofSeconds(54), Duration.ofSeconds(66));
    }
    assertThat(CfnHupConfig.load(fixtureConfig("")).main().intervalMinutes()).isEqualTo(15);
    for (String bad : List.of("0", "abc")) {
      assertThatThrownBy(() -> CfnHupConfig.load(fixtureConfig("interval=" + bad + "\n")))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("cfn-hup.conf:5: [main] interval");
    }
  }

  @Test
  void c15_strippedPathStillFindsToolsAndMetadataIsCompactJson() throws Exception {
    CfnHupConfig config = CfnHupConfig.load(fixtureConfig(""));
    cfn.resource("AgentLT").metadata(INIT_V1);
    Path out = dir.resolve("path");
    Files.writeString(
        config.directory().resolve("hooks.d/reloader.conf"),
        "[reloader]\ntriggers=post.update\npath=Resources.AgentLT.Metadata.AWS::CloudFormation::Init\n"
            + "action=echo \"$PATH\" > "
            + out
            + " && echo \"$CFN_NEW_METADATA\" >> "
            + out
            + "\n");
    config = CfnHupConfig.load(config.directory());
    Map<String, String> env = env();
    env.put("PATH", "");
    StateStore state = StateStore.open(dir.resolve("state"), Optional.empty());
    try (CloudFormationSource source = cfnSource(config, env())) {
      HooksStep hooks =
          new HooksStep(
              config.hooks(),
              new ActionRunner(env, 022),
              Duration.ofSeconds(30),
              OptionalInt.empty(),
              new LogLimiter());
      Pipeline pipeline = new Pipeline(source, state, List.of(hooks));
      pipeline.runPass(() -> false);
      cfn.resource("AgentLT").metadata(INIT_V2);
      assertThat(pipeline.runPass(() -> false).clean()).isTrue();
    }
    assertThat(Files.readAllLines(out))
        .containsExactly(
            ActionRunner.DEFAULT_PATH,
            "{\"config\": {\"files\": {\"/etc/tool.ver\": {\"content\": \"1.1\"}}}}");
  }

  @Test
  void c16_aDayOfNoChangeCyclesWritesUnderOneKilobyteAtInfoAndNoSecrets() throws Exception {
    Path conf = fixtureConfig("");
    Path metadata = dir.resolve("metadata");
    Files.createDirectories(metadata);
    Files.writeString(metadata.resolve("AgentLT.json"), INIT_V1);
    CfnHupConfig config = CfnHupConfig.load(conf);
    try (LogCapture logs = new LogCapture();
        FileMetadataSource source = new FileMetadataSource(metadata)) {
      LogLimiter limiter = new LogLimiter();
      for (int cycle = 0; cycle < 1440; cycle++) {
        pass(config, source, limiter);
      }
      assertThat(logs.bytesAtInfoOrAbove()).isLessThan(1024);
    }
    // secrets from a credential file never reach the log, even at DEBUG
    Path creds = dir.resolve("creds");
    Files.writeString(
        creds, "AWSAccessKeyId=AKIDLOGTEST\nAWSSecretKey=secret-that-must-not-leak\n");
    Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(
        conf.resolve("cfn-hup.conf"),
        Files.readString(conf.resolve("cfn-hup.conf"))
            + "credential-file="
            + creds
            + "\nverbose=true\n");
    CfnHupConfig withCreds = CfnHupConfig.load(conf);
    cfn.resource("AgentLT").metadata(INIT_V1);
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    root.setLevel(Level.DEBUG);
    try (LogCapture logs = new LogCapture();
        CloudFormationSource source = cfnSource(withCreds, env())) {
      pass(withCreds, source, new LogLimiter());
      assertThat(logs.all())
          .doesNotContain("secret-that-must-not-leak")
          .contains("credential-file");
    } finally {
      root.setLevel(before);
    }
    assertThat(cfn.requests()).extracting(RecordedRequest::accessKeyId).contains("AKIDLOGTEST");
  }

  @Test
  void sdkSourceReportsInProgressAndDeletedAsUpstream() throws Exception {
    CfnHupConfig config = CfnHupConfig.load(fixtureConfig(""));
    cfn.resource("AgentLT").metadata(INIT_V1).status("UPDATE_IN_PROGRESS");
    try (CloudFormationSource source = cfnSource(config, env())) {
      assertThat(source.describe("AgentLT").inProgress()).isTrue();
      cfn.resource("AgentLT").status("DELETE_COMPLETE");
      assertThat(source.describe("AgentLT").deleted()).isTrue();
      assertThatThrownBy(() -> source.describe("Missing"))
          .isInstanceOf(dev.hupd.source.SourceException.class)
          .extracting(e -> ((dev.hupd.source.SourceException) e).kind())
          .isEqualTo(dev.hupd.source.SourceException.Kind.NOT_FOUND);
    }
  }
}
