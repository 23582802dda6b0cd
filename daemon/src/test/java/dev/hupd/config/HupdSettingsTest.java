package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** hupd's own settings file: strict keys, defaults, relative paths. */
class HupdSettingsTest {

  @TempDir Path dir;

  private Path settings(String body) throws IOException {
    Path file = dir.resolve("etc/hupd.conf");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "[hupd]\n" + body, StandardCharsets.UTF_8);
    return file;
  }

  private List<ConfigProblem> problems(Path file) {
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> HupdSettings.load(file, true));
    assertThat(e).as("load must fail").isNotNull();
    return e.problems();
  }

  @Test
  void missingDefaultFileGivesDefaults() throws Exception {
    HupdSettings s = HupdSettings.load(dir.resolve("absent.conf"), false);

    assertThat(s).isEqualTo(HupdSettings.defaults());
    assertThat(s.source()).isInstanceOf(HupdSettings.Source.CloudFormation.class);
    assertThat(s.stateDir()).isEqualTo(HupdSettings.DEFAULT_STATE_DIR);
    assertThat(s.pollInterval()).isEmpty();
    assertThat(s.firstPollSplay()).isEmpty();
    assertThat(s.actionTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(s.stopTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.maxFailures()).isEmpty();
    assertThat(s.retryBudget()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.cfnHupState()).contains(HupdSettings.DEFAULT_CFN_HUP_STATE);
    assertThat(s.file()).isEmpty();
  }

  @Test
  void explicitMissingFileIsAProblemNamingIt() {
    Path missing = dir.resolve("absent.conf");

    assertThat(problems(missing))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(missing);
              assertThat(p.message()).contains("not found");
            });
  }

  @Test
  void emptySectionGivesDefaultsAndRemembersTheFile() throws Exception {
    Path file = settings("");

    HupdSettings s = HupdSettings.load(file, true);

    assertThat(s.source()).isInstanceOf(HupdSettings.Source.CloudFormation.class);
    assertThat(s.file()).contains(file);
  }

  @Test
  void unknownKeyIsRejectedListingTheKnownKeys() throws Exception {
    Path file = settings("poll-interval=60\n");

    assertThat(problems(file))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] poll-interval");
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.expected())
                  .contains(
                      "action-timeout",
                      "first-poll-splay",
                      "import-cfn-hup-state",
                      "imds-endpoint",
                      "log-file",
                      "max-failures",
                      "poll-seconds",
                      "proxy",
                      "retry-budget",
                      "source",
                      "state-dir",
                      "stop-timeout");
            });
  }

  @Test
  void unknownSectionIsRejected() throws Exception {
    Path file = settings("source=cloudformation\n[main]\nstack=x\n");

    assertThat(problems(file)).singleElement().extracting(ConfigProblem::key).isEqualTo("[main]");
  }

  @Test
  void everyKeyIsRead() throws Exception {
    Path file =
        settings(
            "source=CloudFormation\n"
                + "state-dir=/var/lib/hupd-test\n"
                + "poll-seconds=30\n"
                + "first-poll-splay=2m\n"
                + "action-timeout=45m\n"
                + "stop-timeout=0\n"
                + "max-failures=4\n"
                + "retry-budget=90s\n"
                + "proxy=http://proxy:3128\n"
                + "imds-endpoint=http://127.0.0.1:1338\n"
                + "log-file=/var/log/hupd.log\n"
                + "import-cfn-hup-state=none\n");

    HupdSettings s = HupdSettings.load(file, true);

    assertThat(s.source()).isInstanceOf(HupdSettings.Source.CloudFormation.class);
    assertThat(s.stateDir()).isEqualTo(Path.of("/var/lib/hupd-test"));
    assertThat(s.pollInterval()).contains(Duration.ofSeconds(30));
    assertThat(s.firstPollSplay()).contains(Duration.ofMinutes(2));
    assertThat(s.actionTimeout()).isEqualTo(Duration.ofMinutes(45));
    assertThat(s.stopTimeout()).isEqualTo(Duration.ZERO);
    assertThat(s.maxFailures()).hasValue(4);
    assertThat(s.retryBudget()).isEqualTo(Duration.ofSeconds(90));
    assertThat(s.proxy()).contains(URI.create("http://proxy:3128"));
    assertThat(s.imdsEndpoint()).contains(URI.create("http://127.0.0.1:1338"));
    assertThat(s.logFile()).contains(Path.of("/var/log/hupd.log"));
    assertThat(s.cfnHupState()).isEmpty();
  }

  @Test
  void relativePathsResolveAgainstTheSettingsFolder() throws Exception {
    Path file =
        settings(
            "source=file:metadata\n"
                + "state-dir=../state\n"
                + "log-file=logs/hupd.log\n"
                + "import-cfn-hup-state=old/metadata_db.json\n");
    Path folder = file.getParent().toAbsolutePath();

    HupdSettings s = HupdSettings.load(file, true);

    assertThat(s.source()).isEqualTo(new HupdSettings.Source.LocalFile(folder.resolve("metadata")));
    assertThat(s.stateDir()).isEqualTo(dir.toAbsolutePath().resolve("state"));
    assertThat(s.logFile()).contains(folder.resolve("logs/hupd.log"));
    assertThat(s.cfnHupState()).contains(folder.resolve("old/metadata_db.json"));
  }

  @Test
  void absoluteFileSourceIsKept() throws Exception {
    Path file = settings("source=file:/srv/metadata/stack.json\n");

    assertThat(HupdSettings.load(file, true).source())
        .isEqualTo(new HupdSettings.Source.LocalFile(Path.of("/srv/metadata/stack.json")));
  }

  @ParameterizedTest(name = "source={0}")
  @ValueSource(strings = {"file:", "s3://bucket/x", "cfn"})
  void unknownSourceIsAProblem(String source) throws Exception {
    Path file = settings("source=" + source + "\n");

    assertThat(problems(file))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] source");
              assertThat(p.line()).isEqualTo(2);
            });
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "action-timeout, 0",
    "action-timeout, abc",
    "action-timeout, 1.5m",
    "stop-timeout, -1",
    "retry-budget, 2 days",
    "first-poll-splay, 5x",
    "poll-seconds, 0",
    "poll-seconds, 1m",
    "max-failures, 0"
  })
  void badValueIsAProblemNamingKeyAndLine(String key, String value) throws Exception {
    Path file = settings("\n" + key + "=" + value + "\n");

    assertThat(problems(file))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[hupd] " + key);
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.file()).isEqualTo(file);
            });
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({"proxy, proxy:3128", "imds-endpoint, ftp://x", "proxy, http://"})
  void nonHttpUrlIsAProblem(String key, String value) throws Exception {
    Path file = settings(key + "=" + value + "\n");

    assertThat(problems(file))
        .singleElement()
        .extracting(ConfigProblem::key)
        .isEqualTo("[hupd] " + key);
  }

  @Test
  void everyProblemIsReportedTogether() throws Exception {
    Path file = settings("action-timeout=soon\nmax-failures=-2\ncolour=blue\n");

    assertThat(problems(file))
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("[hupd] action-timeout", "[hupd] max-failures", "[hupd] colour");
  }
}
