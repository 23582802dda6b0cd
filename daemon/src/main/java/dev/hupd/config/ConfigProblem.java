package dev.hupd.config;

import java.nio.file.Path;

/**
 * One thing wrong with a configuration file, located precisely enough that an operator can fix it
 * without reading code: the file, the line, the key and the form that was expected.
 *
 * @param file the file that holds the problem
 * @param line 1-based line number, or 0 when the problem is about the file as a whole
 * @param key the section/key concerned (e.g. {@code [main] interval}), or empty
 * @param message what is wrong
 * @param expected the accepted form, or empty when there is nothing useful to suggest
 */
public record ConfigProblem(Path file, int line, String key, String message, String expected) {

  public ConfigProblem {
    key = key == null ? "" : key;
    expected = expected == null ? "" : expected;
  }

  /**
   * Renders as {@code file:line: key: message (expected: ...)}, the form {@code hupd check} prints.
   */
  @Override
  public String toString() {
    return format(file.toString(), line, key, message, expected);
  }

  /** {@code where[:line]: key: message (expected: …)}: how every problem hupd finds is printed. */
  public static String format(String where, int line, String key, String message, String expected) {
    StringBuilder out = new StringBuilder(where);
    if (line > 0) {
      out.append(':').append(line);
    }
    out.append(": ");
    if (!key.isEmpty()) {
      out.append(key).append(": ");
    }
    out.append(message);
    if (!expected.isEmpty()) {
      out.append(" (expected: ").append(expected).append(')');
    }
    return out.toString();
  }
}
