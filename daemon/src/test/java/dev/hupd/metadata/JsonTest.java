package dev.hupd.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JSON as cfn-hup sees it. Every {@code forEnvironment} expectation is the output of Python 2.7's
 * {@code json.dumps(json.loads(input))} (object key order aside, which Python 2 does not keep).
 */
class JsonTest {

  @Test
  void environmentFormUsesPythonSeparators() {
    assertThat(Json.forEnvironment(Json.parse("{\"a\":1,\"b\":[1,2]}")))
        .isEqualTo("{\"a\": 1, \"b\": [1, 2]}");
  }

  @Test
  void environmentFormOfEmptyAndLiteralValues() {
    assertThat(
            Json.forEnvironment(
                Json.parse("{\"a\":{},\"b\":[],\"c\":null,\"d\":true,\"e\":false}")))
        .isEqualTo("{\"a\": {}, \"b\": [], \"c\": null, \"d\": true, \"e\": false}");
  }

  @Test
  void environmentFormEscapesNonAsciiInsideJson() {
    assertThat(
            Json.forEnvironment(
                Json.parse("[\"\u00e9\", \"caf\u00e9\", \"\u20ac\", \"\uD83D\uDE00\"]")))
        .isEqualTo("[\"\\u00e9\", \"caf\\u00e9\", \"\\u20ac\", \"\\ud83d\\ude00\"]");
    assertThat(Json.forEnvironment(Json.parse("{\"k\u00e9y\":\"v\"}")))
        .isEqualTo("{\"k\\u00e9y\": \"v\"}");
  }

  @Test
  void environmentFormEscapesControlCharactersLikePython() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    String raw = "tab\tnl\ncr\rq\"bs\\ bell\u0007 del\u007f / \u001f";

    assertThat(Json.forEnvironment(f.arrayNode().add(raw)))
        .isEqualTo("[\"tab\\tnl\\ncr\\rq\\\"bs\\\\ bell\\u0007 del\\u007f / \\u001f\"]");
  }

  @Test
  void topLevelStringIsPassedRaw() {
    assertThat(Json.forEnvironment(TextNode.valueOf("caf\u00e9 \"x\"\n")))
        .isEqualTo("caf\u00e9 \"x\"\n");
    assertThat(Json.forEnvironment(TextNode.valueOf("2023-11-14T22:13:20")))
        .isEqualTo("2023-11-14T22:13:20");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "1.0 | 1.0",
        "1e16 | 1e+16",
        "1e-05 | 1e-05",
        "0.00001 | 1e-05",
        "1E2 | 100.0",
        "123.456 | 123.456",
        "0.1 | 0.1",
        "-2.5 | -2.5",
        "2.5e-7 | 2.5e-07",
        "1e22 | 1e+22",
        "0.0001 | 0.0001",
        "0.0005 | 0.0005",
        "5e-4 | 0.0005",
        "0.00012 | 0.00012",
        "0.001 | 0.001",
        "1e7 | 10000000.0",
        "1.5e7 | 15000000.0",
        "1234567.0 | 1234567.0",
        "1e15 | 1000000000000000.0",
        "9999999999999998.0 | 9999999999999998.0",
        "12345678901234567890 | 12345678901234567890",
        "-0 | 0",
        "42 | 42"
      })
  void numbersAreFormattedLikePythonRepr(String json, String python) {
    assertThat(Json.forEnvironment(Json.parse(json))).isEqualTo(python);
  }

  /** Python's repr picks the shortest digits that round-trip; JDK 17's Double.toString may not. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"6.949479796024919e+16", "2.549094512998157e+18"})
  void largeFloatsUseTheShortestRoundTripDigits(String python) {
    assertThat(Json.forEnvironment(Json.parse(python))).isEqualTo(python);
  }

  @ParameterizedTest(name = "{0} is falsy")
  @ValueSource(strings = {"null", "{}", "[]", "\"\"", "0", "0.0", "-0", "false"})
  void pythonFalsyValues(String json) {
    assertThat(Json.truthy(Json.parse(json))).isFalse();
  }

  @ParameterizedTest(name = "{0} is truthy")
  @ValueSource(
      strings = {"{\"a\":null}", "[null]", "\" \"", "\"0\"", "\"false\"", "1", "-1", "0.5", "true"})
  void pythonTruthyValues(String json) {
    assertThat(Json.truthy(Json.parse(json))).isTrue();
  }

  @Test
  void javaNullAndMissingAreFalsy() {
    assertThat(Json.truthy(null)).isFalse();
    assertThat(Json.truthy(NullNode.getInstance())).isFalse();
    assertThat(Json.truthy(Json.parse("{}").path("nope"))).isFalse();
  }

  @ParameterizedTest(name = "{0} == {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"a\":1,\"b\":2} | {\"b\":2,\"a\":1}",
        "1 | 1.0",
        "[100] | [1e2]",
        "{\"x\":[1.50]} | {\"x\":[1.5]}",
        "0 | 0.0"
      })
  void sameIgnoresKeyOrderAndNumberSpelling(String a, String b) {
    assertThat(Json.same(Json.parse(a), Json.parse(b))).isTrue();
    assertThat(Json.canonical(Json.parse(a))).isEqualTo(Json.canonical(Json.parse(b)));
  }

  @ParameterizedTest(name = "{0} != {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "[1,2] | [2,1]",
        "\"1\" | 1",
        "{\"a\":1} | {\"a\":1,\"b\":null}",
        "\"A\" | \"a\"",
        "null | {}",
        "1.5 | 1.51"
      })
  void sameSeesRealDifferences(String a, String b) {
    assertThat(Json.same(Json.parse(a), Json.parse(b))).isFalse();
  }

  @Test
  void parseErrorNamesLineAndColumn() {
    IllegalArgumentException e =
        catchThrowableOfType(
            IllegalArgumentException.class, () -> Json.parse("{\n  \"a\": 1,\n  oops\n}"));

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("line 3").contains("column");
  }

  /** Python's json.loads raises on all of these (no JSON object / extra data). */
  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "  \n", "{\"a\":1}}", "{\"a\":1} xyz", "[1] [2]", "{\"a\":"})
  void parseRejectsWhatPythonRejects(String text) {
    assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> Json.parse(text)))
        .as("Json.parse(%s) must fail", text)
        .isNotNull();
  }
}
