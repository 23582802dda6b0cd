package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The INI rules of Python 2.7's {@code RawConfigParser}/{@code SafeConfigParser} that cfn-hup
 * configuration relies on. Every expected value was checked against Python 2.7.18.
 */
class IniParserTest {

  @TempDir Path dir;

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private IniParser parse(String text) throws IOException {
    IniParser parser = new IniParser();
    parser.read(write("test.conf", text));
    return parser;
  }

  private static String value(IniParser parser, String section, String key) throws ConfigException {
    return parser.document().get(section, key).orElseThrow();
  }

  @Test
  void hashAndSemicolonCommentOnlyInColumnZero() throws Exception {
    IniParser parser =
        parse(
            "# leading comment\n"
                + "; another\n"
                + "[s]\n"
                + "# k1=commented\n"
                + "; k2=commented\n"
                + "a=x # not a comment\n");

    assertThat(parser.problems()).isEmpty();
    assertThat(parser.document().section("s").orElseThrow().entries()).containsOnlyKeys("a");
    assertThat(value(parser, "s", "a")).isEqualTo("x # not a comment");
  }

  @Test
  void indentedHashLineContinuesTheValueInsteadOfBeingAComment() throws Exception {
    IniParser parser = parse("[s]\naction=one\n  # kept\n");

    assertThat(value(parser, "s", "action")).isEqualTo("one\n# kept");
  }

  @ParameterizedTest(name = "[{0}] is a comment")
  @ValueSource(strings = {"rem a comment", "REM loud comment", "Rem = 1", "rem"})
  void remLinesAreComments(String line) throws Exception {
    IniParser parser = parse("[s]\n" + line + "\nk=1\n");

    assertThat(parser.problems()).isEmpty();
    assertThat(parser.document().section("s").orElseThrow().entries()).containsOnlyKeys("k");
  }

  @Test
  void keysThatMerelyStartWithRemAreOptions() throws Exception {
    IniParser parser = parse("[s]\nremark=1\nrem=2\n");

    assertThat(value(parser, "s", "remark")).isEqualTo("1");
    assertThat(value(parser, "s", "rem")).isEqualTo("2");
  }

  @Test
  void equalsAndColonSeparatorsBothWork() throws Exception {
    IniParser parser = parse("[s]\na=1\nb: 2\nc = 3\nd : 4\ne=x=y\nf : v : w\ng=a:b\nh=\n");

    assertThat(parser.problems()).isEmpty();
    assertThat(value(parser, "s", "a")).isEqualTo("1");
    assertThat(value(parser, "s", "b")).isEqualTo("2");
    assertThat(value(parser, "s", "c")).isEqualTo("3");
    assertThat(value(parser, "s", "d")).isEqualTo("4");
    assertThat(value(parser, "s", "e")).isEqualTo("x=y");
    assertThat(value(parser, "s", "f")).isEqualTo("v : w");
    assertThat(value(parser, "s", "g")).isEqualTo("a:b");
    assertThat(value(parser, "s", "h")).isEmpty();
  }

  @Test
  void keysAreLowerCasedButSectionNamesAreCaseSensitive() throws Exception {
    IniParser parser = parse("[Hook]\nTriggers=post.add\n[hook]\nx=1\n[default]\ny=2\n");

    assertThat(parser.document().sections())
        .extracting(IniDocument.Section::name)
        .containsExactly("Hook", "hook", "default");
    assertThat(parser.document().section("Hook").orElseThrow().entries())
        .containsOnlyKeys("triggers");
    assertThat(parser.document().entry("hook", "triggers")).isEmpty();
    assertThat(parser.document().entry("hook", "y")).as("[default] is not [DEFAULT]").isEmpty();
  }

  static Stream<Arguments> inlineComments() {
    return Stream.of(
        Arguments.of("space before ;", "v ;comment", "v"),
        Arguments.of("tab before ;", "v\t;comment", "v"),
        Arguments.of("second command dropped", "a.sh ; b.sh", "a.sh"),
        Arguments.of("only first ; checked", "a;b ; c", "a;b ; c"),
        Arguments.of("several ; after space", "x ; y ; z", "x"),
        Arguments.of("; without space", "a;b", "a;b"),
        Arguments.of("; first, last char not space", ";foo", ";foo"),
        Arguments.of("; first, wraps to trailing space", ";foo ", ""));
  }

  @ParameterizedTest(name = "{0}: ''{1}'' -> ''{2}''")
  @MethodSource("inlineComments")
  void inlineCommentFollowsPythonRules(String name, String raw, String expected) throws Exception {
    IniParser parser = parse("[s]\nk=" + raw + "\n");

    assertThat(value(parser, "s", "k")).isEqualTo(expected);
  }

  @Test
  void inlineCommentRuleAppliesAfterColonToo() throws Exception {
    IniParser parser = parse("[s]\nk: v ; comment\n");

    assertThat(value(parser, "s", "k")).isEqualTo("v");
  }

  @Test
  void semicolonOnAContinuationLineIsKept() throws Exception {
    IniParser parser = parse("[s]\naction=first\n  second ; not a comment\n");

    assertThat(value(parser, "s", "action")).isEqualTo("first\nsecond ; not a comment");
  }

  @Test
  void continuationLinesJoinWithNewlineSkippingBlankAndCommentLines() throws Exception {
    IniParser parser = parse("[s]\naction=one\n  two\n\n  three\n# c\n\tfour\nnext=1\n");

    assertThat(parser.problems()).isEmpty();
    assertThat(value(parser, "s", "action")).isEqualTo("one\ntwo\nthree\nfour");
    assertThat(value(parser, "s", "next")).isEqualTo("1");
  }

  @Test
  void continuedValueKeepsTheLineOfItsKey() throws Exception {
    IniParser parser = parse("[s]\n\naction=one\n  two\n");

    assertThat(parser.document().entry("s", "action").orElseThrow().line()).isEqualTo(3);
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"k=\"\"", "k = \"\" ", "k: \"\""})
  void twoDoubleQuotesMeanEmpty(String line) throws Exception {
    IniParser parser = parse("[s]\n" + line + "\n");

    assertThat(value(parser, "s", "k")).isEmpty();
  }

  @Test
  void otherQuotesAreKept() throws Exception {
    IniParser parser = parse("[s]\nk=\"x\"\n");

    assertThat(value(parser, "s", "k")).isEqualTo("\"x\"");
  }

  @Test
  void defaultSectionIsInheritedByEverySection() throws Exception {
    IniParser parser = parse("[a]\nx=1\n[b]\nrunas=bob\n[DEFAULT]\nrunas=root\n");

    assertThat(parser.document().sections())
        .extracting(IniDocument.Section::name)
        .containsExactly("a", "b");
    assertThat(value(parser, "a", "runas")).isEqualTo("root");
    assertThat(value(parser, "b", "runas")).isEqualTo("bob");
  }

  @Test
  void sectionsMergeAcrossFilesAndLaterKeysWin() throws Exception {
    Path first = write("hooks.conf", "[h]\na=1\nb=1\n[g]\nz=0\n");
    Path second = write("more.conf", "[h]\nb=2\nc=2\n");
    IniParser parser = new IniParser();

    parser.read(first);
    parser.read(second);

    assertThat(parser.problems()).isEmpty();
    assertThat(parser.document().sections())
        .extracting(IniDocument.Section::name)
        .containsExactly("h", "g");
    assertThat(value(parser, "h", "a")).isEqualTo("1");
    assertThat(value(parser, "h", "b")).isEqualTo("2");
    assertThat(value(parser, "h", "c")).isEqualTo("2");
    IniDocument.Entry b = parser.document().entry("h", "b").orElseThrow();
    assertThat(b.file()).isEqualTo(second);
    assertThat(b.line()).isEqualTo(2);
  }

  @Test
  void eachFileNeedsItsOwnSectionHeader() throws Exception {
    Path first = write("a.conf", "[h]\nk=1\n");
    Path second = write("b.conf", "  continued\n");
    IniParser parser = new IniParser();

    parser.read(first);
    parser.read(second);

    assertThat(parser.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(second);
              assertThat(p.line()).isEqualTo(1);
            });
    assertThat(value(parser, "h", "k")).isEqualTo("1");
  }

  @Test
  void missingSectionHeaderIsAProblemWithFileAndLine() throws Exception {
    Path file = write("cfn-hup.conf", "# rendered by hand\nstack=agents-stack\n[main]\n");
    IniParser parser = new IniParser();

    parser.read(file);

    assertThat(parser.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(file);
              assertThat(p.line()).isEqualTo(2);
              assertThat(p.message()).contains("section header").contains("stack=agents-stack");
              assertThat(p.toString()).startsWith(file + ":2: ");
            });
  }

  @Test
  void unparsableLineIsAProblemWithItsLineAndParsingContinues() throws Exception {
    IniParser parser = parse("[s]\na=1\nthis is not an option\nb=2\n");

    assertThat(parser.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.key()).isEqualTo("[s]");
              assertThat(p.message()).contains("this is not an option");
            });
    assertThat(value(parser, "s", "b")).isEqualTo("2");
  }

  @Test
  void indentedLineRightAfterASectionHeaderIsUnparsable() throws Exception {
    IniParser parser = parse("[s]\n  k=v\n");

    assertThat(parser.problems()).singleElement().extracting(ConfigProblem::line).isEqualTo(2);
  }

  @Test
  void everyUnparsableLineIsReported() throws Exception {
    IniParser parser = parse("[s]\nbad one\nk=1\nbad two\n");

    assertThat(parser.problems()).extracting(ConfigProblem::line).containsExactly(2, 4);
  }

  @Test
  void interpolationReadsTheSameSectionAndDefaults() throws Exception {
    IniParser parser =
        parse(
            "[DEFAULT]\nuser=root\n"
                + "[s]\nbin=/opt/aws/bin\n"
                + "action=%(bin)s/cfn-init as %(USER)s in %(__name__)s\n");

    assertThat(value(parser, "s", "action")).isEqualTo("/opt/aws/bin/cfn-init as root in s");
  }

  @Test
  void doublePercentIsALiteralPercent() throws Exception {
    IniParser parser = parse("[s]\naction=date +%%s\nv=50%%\nref=%(v)s\n");

    assertThat(value(parser, "s", "action")).isEqualTo("date +%s");
    assertThat(value(parser, "s", "ref")).isEqualTo("50%");
  }

  @Test
  void rawValueIsKeptWithoutInterpolation() throws Exception {
    IniParser parser = parse("[s]\naction=date +%s\n");

    assertThat(parser.problems()).as("only reading the value interpolates").isEmpty();
    assertThat(parser.document().entry("s", "action").orElseThrow().rawValue())
        .isEqualTo("date +%s");
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"date +%s", "100%", "%(a)x", "%()s"})
  void badPercentNamesFileLineAndKeyAndSuggestsDoublePercent(String raw) throws Exception {
    Path file = write("hooks.conf", "[reloader]\ntriggers=post.add\naction=" + raw + "\n");
    IniParser parser = new IniParser();
    parser.read(file);

    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> parser.document().get("reloader", "action"));

    assertThat(e).isNotNull();
    assertThat(e.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(file);
              assertThat(p.line()).isEqualTo(3);
              assertThat(p.key()).isEqualTo("[reloader] action");
              assertThat(p.expected()).contains("%%");
            });
    assertThat(e.getMessage()).contains("hooks.conf:3").contains("action");
  }

  @Test
  void missingReferenceNamesTheMissingKey() throws Exception {
    IniParser parser = parse("[s]\nk=%(missing)s\n");

    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> parser.document().get("s", "k"));

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("missing").contains(":2");
  }

  @Test
  void selfReferenceFailsWithADepthError() throws Exception {
    IniParser parser = parse("[s]\na=%(a)s\n");

    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> parser.document().get("s", "a"));

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("deeper");
  }

  /** Python 2.7 resolves k1 -> ... -> k11 = end; a chain of 12 raises InterpolationDepthError. */
  @Test
  void interpolationChainOfElevenKeysResolvesAsInPython() throws Exception {
    IniParser parser = parse(chain(11));

    assertThat(value(parser, "s", "k1")).isEqualTo("end");
  }

  @Test
  void interpolationChainOfTwelveKeysIsTooDeepAsInPython() throws Exception {
    IniParser parser = parse(chain(12));

    assertThat(catchThrowableOfType(ConfigException.class, () -> parser.document().get("s", "k1")))
        .isNotNull();
  }

  private static String chain(int keys) {
    StringBuilder text = new StringBuilder("[s]\n");
    for (int i = 1; i < keys; i++) {
      text.append("k").append(i).append("=%(k").append(i + 1).append(")s\n");
    }
    return text.append("k").append(keys).append("=end\n").toString();
  }

  @Test
  void unreadableFileIsAProblemNamingIt() {
    Path missing = dir.resolve("nope.conf");
    IniParser parser = new IniParser();

    parser.read(missing);

    assertThat(parser.problems())
        .singleElement()
        .extracting(ConfigProblem::file)
        .isEqualTo(missing);
  }
}
