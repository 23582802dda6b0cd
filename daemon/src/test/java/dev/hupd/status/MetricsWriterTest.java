package dev.hupd.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.status.MetricsWriter.Type;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The hand-written Prometheus text format 0.0.4. */
class MetricsWriterTest {

  @Test
  void familyWritesHelpAndTypeThenItsSamples() {
    String text =
        new MetricsWriter()
            .family("hupd_passes_total", Type.COUNTER, "Passes finished.")
            .sample(3)
            .family("hupd_up", Type.GAUGE, "Up.")
            .sample(1)
            .text();

    assertThat(text)
        .isEqualTo(
            "# HELP hupd_passes_total Passes finished.\n"
                + "# TYPE hupd_passes_total counter\n"
                + "hupd_passes_total 3\n"
                + "# HELP hupd_up Up.\n"
                + "# TYPE hupd_up gauge\n"
                + "hupd_up 1\n");
  }

  @Test
  void labelsAreWrittenInOrderWithTheirValuesEscaped() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("name", "a\\b \"c\"\nd");
    labels.put("kind", "plain");

    String text = new MetricsWriter().family("hupd_x", Type.GAUGE, "X.").sample(labels, 0.5).text();

    assertThat(text).endsWith("hupd_x{name=\"a\\\\b \\\"c\\\"\\nd\",kind=\"plain\"} 0.5\n");
  }

  @Test
  void helpEscapesBackslashAndLineFeedButNotQuotes() {
    String text =
        new MetricsWriter().family("hupd_x", Type.GAUGE, "a \\ b\n\"c\"").sample(1).text();

    assertThat(text).startsWith("# HELP hupd_x a \\\\ b\\n\"c\"\n");
  }

  @Test
  void summaryWritesSumAndCount() {
    String text =
        new MetricsWriter()
            .family("hupd_pass_duration_seconds", Type.SUMMARY, "Time passes took.")
            .sample("_sum", Map.of(), 1.25)
            .sample("_count", Map.of(), 2)
            .text();

    assertThat(text)
        .contains("# TYPE hupd_pass_duration_seconds summary\n")
        .contains("hupd_pass_duration_seconds_sum 1.25\n")
        .contains("hupd_pass_duration_seconds_count 2\n");
  }

  @Test
  void aFamilyIsDeclaredOnlyOnce() {
    MetricsWriter w = new MetricsWriter().family("hupd_up", Type.GAUGE, "Up.").sample(1);

    assertThatThrownBy(() -> w.family("hupd_up", Type.GAUGE, "Up again."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("declared twice");
  }

  @Test
  void aCounterMustEndInTotal() {
    assertThatThrownBy(() -> new MetricsWriter().family("hupd_passes", Type.COUNTER, "P."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("_total");
  }

  @Test
  void invalidNamesAreRefused() {
    assertThatThrownBy(() -> new MetricsWriter().family("hupd-up", Type.GAUGE, "Up."))
        .isInstanceOf(IllegalArgumentException.class);
    MetricsWriter w = new MetricsWriter().family("hupd_up", Type.GAUGE, "Up.");
    assertThatThrownBy(() -> w.sample(Map.of("bad-label", "x"), 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> w.sample(Map.of("__reserved", "x"), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSampleNeedsAFamilyAndSuffixesBelongToSummaries() {
    assertThatThrownBy(() -> new MetricsWriter().sample(1))
        .isInstanceOf(IllegalStateException.class);
    MetricsWriter gauge = new MetricsWriter().family("hupd_up", Type.GAUGE, "Up.");
    assertThatThrownBy(() -> gauge.sample("_sum", Map.of(), 1))
        .isInstanceOf(IllegalStateException.class);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "0, 0",
    "3, 3",
    "-2, -2",
    "0.25, 0.25",
    "1.7e9, 1700000000",
    "1.0E-4, 1.0E-4",
    "NaN, NaN",
    "Infinity, +Inf",
    "-Infinity, -Inf"
  })
  void numbersUseForms(double value, String expected) {
    assertThat(MetricsWriter.number(value)).isEqualTo(expected);
  }
}
