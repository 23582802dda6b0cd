package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hupd.metadata.MetadataPath;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Loading {@code /etc/cfn}: cfn-hup.conf's {@code [main]}, hooks.conf and hooks.d. */
class CfnHupConfigTest {

  private static final String STACK = "agents-stack";
  private static final String PATH = "Resources.AgentLT.Metadata.AWS::CloudFormation::Init";
  private static final String RELOADER =
      "[reloader]\ntriggers=post.update\npath=" + PATH + "\naction=/opt/aws/bin/cfn-init\n";

  @TempDir Path dir;

  @BeforeEach
  void hooksFolder() throws IOException {
    Files.createDirectories(dir.resolve("hooks.d"));
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private Path main(String extraLines) throws IOException {
    return write("cfn-hup.conf", "[main]\nstack=" + STACK + "\n" + extraLines);
  }

  private CfnHupConfig loadWithReloader(String mainExtra) throws Exception {
    main(mainExtra);
    write("hooks.d/reloader.conf", RELOADER);
    return CfnHupConfig.load(dir);
  }

  private List<ConfigProblem> problems() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> CfnHupConfig.load(dir));
    assertThat(e).as("load must fail").isNotNull();
    return e.problems();
  }

  // ---- [main] ----

  @Test
  void defaultsMatchCfnHup() throws Exception {
    MainConfig main = loadWithReloader("").main();

    assertThat(main.stack()).isEqualTo(STACK);
    assertThat(main.intervalMinutes()).isEqualTo(15);
    assertThat(main.umask()).isEqualTo(022).isEqualTo(18);
    assertThat(main.verbose()).isFalse();
    assertThat(main.region()).isEmpty();
    assertThat(main.url()).isEmpty();
    assertThat(main.credentialFile()).isEmpty();
    assertThat(main.role()).isEmpty();
    assertThat(main.proxy()).isEmpty();
    assertThat(main.file()).isEqualTo(dir.resolve("cfn-hup.conf"));
  }

  @Test
  void everyMainKeyIsRead() throws Exception {
    CfnHupConfig config =
        loadWithReloader(
            "region=eu-west-1\n"
                + "url=https://vpce-0abc.cloudformation.eu-west-1.vpce.amazonaws.com\n"
                + "credential-file=/etc/cfn/cfn-credentials\n"
                + "role=AgentRole\n"
                + "interval=5\n"
                + "verbose=true\n"
                + "umask=027\n"
                + "multi-threaded=false\n"
                + "sqs_url=https://sqs.eu-west-1.amazonaws.com\n"
                + "proxy=http://proxy:3128\n");
    MainConfig main = config.main();

    assertThat(main.region()).contains("eu-west-1");
    assertThat(main.url())
        .contains(URI.create("https://vpce-0abc.cloudformation.eu-west-1.vpce.amazonaws.com"));
    assertThat(main.credentialFile()).contains(Path.of("/etc/cfn/cfn-credentials"));
    assertThat(main.role()).contains("AgentRole");
    assertThat(main.intervalMinutes()).isEqualTo(5);
    assertThat(main.verbose()).isTrue();
    assertThat(main.umask()).isEqualTo(027);
    assertThat(main.proxy()).contains(URI.create("http://proxy:3128"));
    assertThat(config.warnings()).as("all keys are known").isEmpty();
  }

  @Test
  void mainKeysAreCaseInsensitiveAndAcceptColons() throws Exception {
    write("cfn-hup.conf", "[main]\nSTACK: " + STACK + "\nInterval = 2\n");
    write("hooks.conf", RELOADER);

    MainConfig main = CfnHupConfig.load(dir).main();

    assertThat(main.stack()).isEqualTo(STACK);
    assertThat(main.intervalMinutes()).isEqualTo(2);
  }

  @Test
  void unknownMainKeyIsOnlyAWarning() throws Exception {
    CfnHupConfig config = loadWithReloader("colour=blue\n");

    assertThat(config.warnings())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.key()).isEqualTo("[main] colour");
              assertThat(w.line()).isEqualTo(3);
            });
  }

  @ParameterizedTest(name = "interval={0}")
  @ValueSource(strings = {"0", "-1", "1.5", "abc", "", "15m"})
  void invalidIntervalIsAProblemNamingKeyAndLine(String interval) throws Exception {
    main("region=eu-west-1\ninterval=" + interval + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[main] interval");
              assertThat(p.line()).isEqualTo(4);
              assertThat(p.file()).isEqualTo(dir.resolve("cfn-hup.conf"));
            });
  }

  @ParameterizedTest(name = "interval={0} -> {1} min")
  @CsvSource({"1, 1", "60, 60", "' 5 ', 5", "5 ; five minutes, 5"})
  void validIntervalIsInMinutes(String interval, int minutes) throws Exception {
    assertThat(loadWithReloader("interval=" + interval + "\n").main().intervalMinutes())
        .isEqualTo(minutes);
  }

  @ParameterizedTest(name = "umask={0} -> {1}")
  @CsvSource({"22, 18", "022, 18", "0022, 18", "'', 0", "0, 0", "777, 511", "077, 63"})
  void umaskIsReadAsOctalWithALeadingZeroAdded(String umask, int expected) throws Exception {
    assertThat(loadWithReloader("umask=" + umask + "\n").main().umask()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "umask={0}")
  @ValueSource(strings = {"0o22", "8", "1000", "-1", "abc", "0x12"})
  void umaskThatPythonRejectsIsAProblem(String umask) throws Exception {
    main("umask=" + umask + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[main] umask");
              assertThat(p.line()).isEqualTo(3);
            });
  }

  @ParameterizedTest(name = "verbose={0} -> {1}")
  @CsvSource({
    "1, true",
    "yes, true",
    "true, true",
    "on, true",
    "TRUE, true",
    "Yes, true",
    "0, false",
    "no, false",
    "false, false",
    "off, false",
    "OFF, false"
  })
  void verboseAcceptsPythonBooleans(String text, boolean expected) throws Exception {
    assertThat(loadWithReloader("verbose=" + text + "\n").main().verbose()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "verbose={0}")
  @ValueSource(strings = {"maybe", "y", "", "2"})
  void verboseThatPythonRejectsIsAProblem(String text) throws Exception {
    main("verbose=" + text + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems())
        .singleElement()
        .extracting(ConfigProblem::key)
        .isEqualTo("[main] verbose");
  }

  @Test
  void missingStackIsAProblem() throws Exception {
    write("cfn-hup.conf", "[main]\nregion=eu-west-1\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[main] stack");
              assertThat(p.file()).isEqualTo(dir.resolve("cfn-hup.conf"));
            });
  }

  @Test
  void badInterpolationInStackIsOneProblemNotAlsoAMissingKey() throws Exception {
    write("cfn-hup.conf", "[main]\nstack=%(name)s-stack\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[main] stack");
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.message()).doesNotContain("missing key").contains("name");
            });
  }

  @ParameterizedTest(name = "url={0}")
  @ValueSource(
      strings = {"cloudformation.eu-west-1.amazonaws.com", "ftp://example.com/", "http://"})
  void urlThatIsNotHttpIsAProblem(String url) throws Exception {
    main("url=" + url + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems()).singleElement().extracting(ConfigProblem::key).isEqualTo("[main] url");
  }

  @Test
  void mainSectionMustBeLowerCase() throws Exception {
    write("cfn-hup.conf", "[Main]\nstack=" + STACK + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems()).singleElement().extracting(ConfigProblem::key).isEqualTo("[main]");
  }

  @Test
  void missingCfnHupConfIsAProblemNamingIt() throws Exception {
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(dir.resolve("cfn-hup.conf"));
              assertThat(p.message()).contains("not found");
            });
  }

  @Test
  void cfnHupConfWithoutSectionHeaderIsAProblem() throws Exception {
    write("cfn-hup.conf", "stack=" + STACK + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    assertThat(problems()).singleElement().extracting(ConfigProblem::line).isEqualTo(1);
  }

  @Test
  void defaultSectionOfCfnHupConfDoesNotReachTheHooks() throws Exception {
    write("cfn-hup.conf", "[DEFAULT]\nrunas=root\n[main]\nstack=" + STACK + "\n");
    write("hooks.d/reloader.conf", RELOADER);

    HookDefinition hook = CfnHupConfig.load(dir).hooks().get(0);

    assertThat(hook.runas()).isEmpty();
  }

  // ---- hooks ----

  @Test
  void hookIsReadWithEveryField() throws Exception {
    main("");
    Path file =
        write(
            "hooks.d/reloader.conf",
            "\n[reloader]\ntriggers=post.add, post.update\npath= "
                + PATH
                + " \naction=/opt/aws/bin/cfn-init -v\n  --stack agents-stack\nrunas= root \n");

    CfnHupConfig config = CfnHupConfig.load(dir);

    assertThat(config.hooks())
        .singleElement()
        .satisfies(
            h -> {
              assertThat(h.name()).isEqualTo("reloader");
              assertThat(h.triggers())
                  .containsExactlyInAnyOrder(Trigger.POST_ADD, Trigger.POST_UPDATE);
              assertThat(h.path().text()).isEqualTo(PATH);
              assertThat(h.path().target()).isEqualTo(MetadataPath.Target.METADATA);
              assertThat(h.action()).isEqualTo("/opt/aws/bin/cfn-init -v\n--stack agents-stack");
              assertThat(h.runas()).contains("root");
              assertThat(h.timeout()).isEmpty();
              assertThat(h.maxFailures()).isEmpty();
              assertThat(h.file()).isEqualTo(file);
              assertThat(h.line()).isEqualTo(2);
            });
    assertThat(config.warnings()).isEmpty();
  }

  @Test
  void stateKeyIsNameBarPathAsWritten() throws Exception {
    main("");
    write(
        "hooks.conf",
        "[reloader]\ntriggers=post.update\npath=  resources.AgentLT.METADATA.a\\.b  \naction=x\n");

    HookDefinition hook = CfnHupConfig.load(dir).hooks().get(0);

    assertThat(hook.stateKey()).isEqualTo("reloader|resources.AgentLT.METADATA.a\\.b");
  }

  @Test
  void inlineSemicolonTruncatesTheActionAsInCfnHup() throws Exception {
    main("");
    write("hooks.conf", "[h]\ntriggers=post.add\npath=Resources.X\naction=a.sh ; b.sh\n");

    assertThat(CfnHupConfig.load(dir).hooks().get(0).action()).isEqualTo("a.sh");
  }

  @Test
  void defaultSectionOfTheHookFilesIsInherited() throws Exception {
    main("");
    write("hooks.conf", "[DEFAULT]\nrunas=bamboo\ntriggers=post.update\n");
    write("hooks.d/a.conf", "[a]\npath=Resources.A\naction=x\n");
    write("hooks.d/b.conf", "[b]\npath=Resources.B\naction=x\nrunas=root\n");

    List<HookDefinition> hooks = CfnHupConfig.load(dir).hooks();

    assertThat(hooks).extracting(HookDefinition::name).containsExactly("a", "b");
    assertThat(hooks.get(0).runas()).contains("bamboo");
    assertThat(hooks.get(0).triggers()).containsExactly(Trigger.POST_UPDATE);
    assertThat(hooks.get(1).runas()).contains("root");
  }

  @Test
  void hooksConfFirstThenHooksDInSortedOrder() throws Exception {
    main("");
    write("hooks.conf", "[first]\ntriggers=post.add\npath=Resources.F\naction=x\n");
    write("hooks.d/b.conf", "[b]\ntriggers=post.add\npath=Resources.B\naction=x\n");
    write("hooks.d/a.conf", "[a]\ntriggers=post.add\npath=Resources.A\naction=x\n");
    write("hooks.d/misc.txt", "[c]\ntriggers=post.add\npath=Resources.C\naction=x\n");
    Files.createDirectories(dir.resolve("hooks.d/subfolder"));
    write("hooks.d/subfolder/d.conf", "[d]\ntriggers=post.add\npath=Resources.D\naction=x\n");

    CfnHupConfig config = CfnHupConfig.load(dir);

    assertThat(config.hooks())
        .extracting(HookDefinition::name)
        .containsExactly("first", "a", "b", "c");
    assertThat(config.warnings()).isEmpty();
  }

  @Test
  void sameSectionInALaterFileMergesAndLaterKeysWin() throws Exception {
    main("");
    write("hooks.conf", "[h]\ntriggers=post.add\npath=Resources.X\naction=old\n");
    write("hooks.d/override.conf", "[h]\naction=new\n");

    assertThat(CfnHupConfig.load(dir).hooks())
        .singleElement()
        .satisfies(
            h -> {
              assertThat(h.action()).isEqualTo("new");
              assertThat(h.file()).isEqualTo(dir.resolve("hooks.conf"));
            });
  }

  @Test
  void symlinkToAHookFileCounts() throws Exception {
    main("");
    Path target = write("elsewhere/linked.conf", RELOADER);
    Files.createSymbolicLink(dir.resolve("hooks.d/linked.conf"), target);

    assertThat(CfnHupConfig.load(dir).hooks())
        .extracting(HookDefinition::name)
        .containsExactly("reloader");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "reloader.conf~",
        ".reloader.conf",
        "reloader.conf.rpmnew",
        "reloader.conf.bak",
        "reloader.conf.dpkg-old",
        "reloader.conf.swp"
      })
  void backupAndHiddenFilesAreSkippedWithAWarning(String name) throws Exception {
    main("");
    write("hooks.d/good.conf", RELOADER);
    write("hooks.d/" + name, "[broken]\ntriggers=post.add\n");

    CfnHupConfig config = CfnHupConfig.load(dir);

    assertThat(config.hooks()).extracting(HookDefinition::name).containsExactly("reloader");
    assertThat(config.warnings())
        .singleElement()
        .extracting(ConfigProblem::file)
        .isEqualTo(dir.resolve("hooks.d").resolve(name));
  }

  @Test
  void noHookFileAtAllIsAProblem() throws Exception {
    main("");

    assertThat(problems())
        .singleElement()
        .extracting(ConfigProblem::message)
        .asString()
        .contains("no hook configuration");
  }

  @ParameterizedTest(name = "without {0}")
  @ValueSource(strings = {"triggers", "path", "action"})
  void hookMissingARequiredKeyIsAProblemNamingFileLineAndKey(String missing) throws Exception {
    main("");
    StringBuilder hook = new StringBuilder("# leading comment\n[reloader]\n");
    if (!missing.equals("triggers")) {
      hook.append("triggers=post.update\n");
    }
    if (!missing.equals("path")) {
      hook.append("path=").append(PATH).append('\n');
    }
    if (!missing.equals("action")) {
      hook.append("action=/opt/aws/bin/cfn-init\n");
    }
    Path file = write("hooks.d/reloader.conf", hook.toString());

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(file);
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.key()).isEqualTo("[reloader] " + missing);
              assertThat(p.toString()).startsWith(file + ":2: [reloader] " + missing);
            });
  }

  @ParameterizedTest(name = "triggers={0}")
  @ValueSource(strings = {"post.udpate", "Post.Add", "post.add,post.delete"})
  void unknownTriggerIsAProblemNamingIt(String triggers) throws Exception {
    main("");
    write("hooks.conf", "[h]\npath=Resources.X\ntriggers=" + triggers + "\naction=x\n");

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[h] triggers");
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.message()).contains("unknown trigger");
            });
  }

  @Test
  void commandHookIsSkippedWithAWarning() throws Exception {
    main("");
    write("hooks.d/cmd.conf", "[cmd]\ntriggers=on.command\npath=restart\naction=x\n");
    write("hooks.d/reloader.conf", RELOADER);

    CfnHupConfig config = CfnHupConfig.load(dir);

    assertThat(config.hooks()).extracting(HookDefinition::name).containsExactly("reloader");
    assertThat(config.warnings())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.key()).isEqualTo("[cmd] triggers");
              assertThat(w.line()).isEqualTo(2);
              assertThat(w.message()).contains("on.command");
            });
  }

  @Test
  void onlyACommandHookMeansNoValidHooks() throws Exception {
    main("");
    write("hooks.d/cmd.conf", "[cmd]\ntriggers=on.command\npath=restart\naction=x\n");

    assertThat(problems())
        .singleElement()
        .extracting(ConfigProblem::message)
        .asString()
        .contains("no hooks");
  }

  /** cfn-hup only fails at the first poll; hupd reports a bad path when loading. */
  @ParameterizedTest(name = "path={0}")
  @ValueSource(strings = {"Outputs.Foo", "Resources.X.Properties.Foo", "Resources", "Foo"})
  void unsupportedPathIsAProblemAtLoad(String path) throws Exception {
    main("");
    write("hooks.conf", "[h]\ntriggers=post.add\naction=x\npath=" + path + "\n");

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[h] path");
              assertThat(p.line()).isEqualTo(4);
              assertThat(p.message()).contains(path);
            });
  }

  @Test
  void percentInActionIsAProblemSuggestingDoublePercent() throws Exception {
    main("");
    write("hooks.conf", "[h]\ntriggers=post.add\npath=Resources.X\naction=date +%s\n");

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[h] action");
              assertThat(p.line()).isEqualTo(4);
              assertThat(p.expected()).contains("%%");
            });
  }

  static Stream<Arguments> timeouts() {
    return Stream.of(
        Arguments.of("90", Duration.ofSeconds(90)),
        Arguments.of("90s", Duration.ofSeconds(90)),
        Arguments.of("500ms", Duration.ofMillis(500)),
        Arguments.of("5m", Duration.ofMinutes(5)),
        Arguments.of("2h", Duration.ofHours(2)));
  }

  @ParameterizedTest(name = "timeout={0}")
  @MethodSource("timeouts")
  void timeoutExtensionKeyIsADuration(String text, Duration expected) throws Exception {
    main("");
    write("hooks.conf", RELOADER + "timeout=" + text + "\n");

    assertThat(CfnHupConfig.load(dir).hooks().get(0).timeout()).contains(expected);
  }

  @ParameterizedTest(name = "timeout={0}")
  @ValueSource(strings = {"0", "abc", "-5", "1.5s", "10d"})
  void badTimeoutIsAProblem(String text) throws Exception {
    main("");
    write("hooks.conf", RELOADER + "timeout=" + text + "\n");

    assertThat(problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("[reloader] timeout");
              assertThat(p.line()).isEqualTo(5);
            });
  }

  @Test
  void maxFailuresExtensionKeyIsAPositiveNumber() throws Exception {
    main("");
    write("hooks.conf", RELOADER + "max-failures=3\n");

    assertThat(CfnHupConfig.load(dir).hooks().get(0).maxFailures()).hasValue(3);
  }

  @ParameterizedTest(name = "max-failures={0}")
  @ValueSource(strings = {"0", "-1", "three", "1.5"})
  void badMaxFailuresIsAProblem(String text) throws Exception {
    main("");
    write("hooks.conf", RELOADER + "max-failures=" + text + "\n");

    assertThat(problems())
        .singleElement()
        .extracting(ConfigProblem::key)
        .isEqualTo("[reloader] max-failures");
  }

  @Test
  void everyProblemIsReportedTogether() throws Exception {
    main("interval=abc\n");
    write("hooks.d/a.conf", "[a]\ntriggers=post.add\npath=Resources.A\n");
    write("hooks.d/b.conf", "[b]\ntriggers=post.add\npath=Outputs.B\naction=x\n");
    write("hooks.d/c.conf", RELOADER);

    List<ConfigProblem> problems = problems();

    assertThat(problems)
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("[main] interval", "[a] action", "[b] path");
    assertThat(problems)
        .extracting(ConfigProblem::file)
        .containsExactlyInAnyOrder(
            dir.resolve("cfn-hup.conf"),
            dir.resolve("hooks.d/a.conf"),
            dir.resolve("hooks.d/b.conf"));
  }

  @Test
  void loadedConfigKeepsItsDirectoryAndImmutableLists() throws Exception {
    CfnHupConfig config = loadWithReloader("");

    assertThat(config.directory()).isEqualTo(dir);
    assertThat(config.hooks()).isUnmodifiable();
    assertThat(config.hooks().get(0).stateKey()).isEqualTo("reloader|" + PATH);
  }
}
