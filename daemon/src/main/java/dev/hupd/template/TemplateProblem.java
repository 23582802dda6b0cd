package dev.hupd.template;

/**
 * One finding of {@code hupd check --template}, located by its path in the template and, for a
 * file's content, the line inside that file.
 *
 * @param severity how much it matters
 * @param where the template path, e.g. {@code
 *     Resources.LT.Metadata.AWS::CloudFormation::Init.config.files./etc/cfn/cfn-hup.conf}
 * @param line 1-based line inside the file's content, or 0
 * @param key the section/key or field concerned, or empty
 * @param message what is wrong
 * @param expected the accepted form, or empty
 */
public record TemplateProblem(
    Severity severity, String where, int line, String key, String message, String expected) {

  /** Errors fail the check (exit 78); warnings and notes do not. */
  public enum Severity {
    ERROR,
    WARNING,
    /** A value known only at deploy time, so not checked. */
    NOTE
  }

  public TemplateProblem {
    key = key == null ? "" : key;
    expected = expected == null ? "" : expected;
  }

  static TemplateProblem error(String where, String message, String expected) {
    return new TemplateProblem(Severity.ERROR, where, 0, "", message, expected);
  }

  static TemplateProblem warning(String where, String message, String expected) {
    return new TemplateProblem(Severity.WARNING, where, 0, "", message, expected);
  }

  static TemplateProblem note(String where, String message) {
    return new TemplateProblem(Severity.NOTE, where, 0, "", message, "");
  }

  /** {@code where[:line]: key: message (expected: …)}, as {@code hupd check} prints problems. */
  @Override
  public String toString() {
    return dev.hupd.config.ConfigProblem.format(where, line, key, message, expected);
  }
}
