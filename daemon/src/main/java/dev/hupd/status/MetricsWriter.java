package dev.hupd.status;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the Prometheus text exposition format 0.0.4 by hand: one {@code # HELP} and one {@code #
 * TYPE} line per family, then its samples. Families may be declared once only and their samples
 * must follow the declaration, as the format requires; names are checked, label values and help
 * text escaped.
 */
public final class MetricsWriter {

  /** The content type of this format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** A family's metric type. */
  public enum Type {
    COUNTER,
    GAUGE,
    SUMMARY;

    String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final StringBuilder out = new StringBuilder();
  private final Set<String> declared = new HashSet<>();
  private String family;
  private Type type;

  /**
   * Declares a family; its samples follow. A counter's name must end in {@code _total}.
   *
   * @throws IllegalArgumentException for an invalid or repeated name
   */
  public MetricsWriter family(String name, Type type, String help) {
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a metric name: '" + name + "'");
    }
    if (type == Type.COUNTER && !name.endsWith("_total")) {
      throw new IllegalArgumentException("a counter's name ends in _total: '" + name + "'");
    }
    if (!declared.add(name)) {
      throw new IllegalArgumentException("family declared twice: '" + name + "'");
    }
    family = name;
    this.type = type;
    out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type.word()).append('\n');
    return this;
  }

  /** A sample of the current family without labels. */
  public MetricsWriter sample(double value) {
    return sample("", Map.of(), value);
  }

  /** A sample of the current family with labels (written in the map's iteration order). */
  public MetricsWriter sample(Map<String, String> labels, double value) {
    return sample("", labels, value);
  }

  /**
   * A sample named family + {@code suffix}: a summary's {@code _sum} and {@code _count}.
   *
   * @throws IllegalStateException before any family, or with a suffix outside a summary
   */
  public MetricsWriter sample(String suffix, Map<String, String> labels, double value) {
    if (family == null) {
      throw new IllegalStateException("a sample needs a family first");
    }
    if (!suffix.isEmpty() && !(type == Type.SUMMARY && suffix.matches("_sum|_count"))) {
      throw new IllegalStateException("suffix '" + suffix + "' on " + type.word() + " " + family);
    }
    out.append(family).append(suffix);
    if (!labels.isEmpty()) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, String> l : labels.entrySet()) {
        if (!LABEL_NAME.matcher(l.getKey()).matches() || l.getKey().startsWith("__")) {
          throw new IllegalArgumentException("not a label name: '" + l.getKey() + "'");
        }
        out.append(first ? "" : ",").append(l.getKey()).append("=\"");
        out.append(escapeLabelValue(l.getValue())).append('"');
        first = false;
      }
      out.append('}');
    }
    out.append(' ').append(number(value)).append('\n');
    return this;
  }

  /** The exposition so far. */
  public String text() {
    return out.toString();
  }

  /** Label values: backslash, double quote and line feed are escaped. */
  static String escapeLabelValue(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Help text: backslash and line feed are escaped. */
  static String escapeHelp(String help) {
    return help.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /** Go's ParseFloat forms: whole numbers without a fraction, NaN and ±Inf spelled as such. */
  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }
}
