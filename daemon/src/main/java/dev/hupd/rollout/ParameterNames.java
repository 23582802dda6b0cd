package dev.hupd.rollout;

import dev.hupd.rollout.StoreException.Kind;
import java.util.regex.Pattern;

/**
 * SSM Parameter Store's rules for names and values, checked before any store call so that a name
 * the folder store accepts is one SSM accepts too.
 */
public final class ParameterNames {

  /** Longest name SSM accepts, in characters. */
  public static final int MAX_LENGTH = 1011;

  /** Most {@code /}-separated levels SSM accepts. */
  public static final int MAX_LEVELS = 15;

  private static final Pattern ALLOWED = Pattern.compile("[a-zA-Z0-9_.\\-/]*");
  private static final String FORM =
      "expected /segment/segment… of letters, digits and _ . -, at most "
          + MAX_LEVELS
          + " levels and "
          + MAX_LENGTH
          + " characters";

  private ParameterNames() {}

  /** Checks a full parameter name such as {@code /hupd/demo/rev/8/meta}. */
  public static void checkName(String name) throws StoreException {
    if (name == null || name.isEmpty()) {
      throw invalid(name, "it is empty");
    }
    if (name.length() > MAX_LENGTH) {
      throw invalid(name, "it is " + name.length() + " characters");
    }
    if (!name.startsWith("/")) {
      throw invalid(name, "it does not start with /");
    }
    if (!ALLOWED.matcher(name).matches()) {
      throw invalid(name, "it contains " + firstBadChar(name));
    }
    String[] segments = name.substring(1).split("/", -1);
    if (segments.length > MAX_LEVELS) {
      throw invalid(name, "it has " + segments.length + " levels");
    }
    for (String segment : segments) {
      checkSegment(name, segment);
    }
  }

  /**
   * Checks the path of a listing: {@code /} or a name, optionally with one trailing {@code /}.
   *
   * @return the path without a trailing {@code /}; {@code ""} for the root
   */
  public static String checkPath(String path) throws StoreException {
    if ("/".equals(path)) {
      return "";
    }
    String trimmed =
        path != null && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    checkName(trimmed);
    return trimmed;
  }

  /** Checks a value: at most {@link RolloutStore#MAX_VALUE} characters and not empty (SSM's). */
  public static void checkValue(String name, String value) throws StoreException {
    if (value == null || value.isEmpty()) {
      throw new StoreException(
          Kind.INVALID, "value of " + name + " is empty; a parameter needs at least 1 character");
    }
    if (value.length() > RolloutStore.MAX_VALUE) {
      throw new StoreException(
          Kind.INVALID,
          "value of "
              + name
              + " is "
              + value.length()
              + " characters; a parameter holds at most "
              + RolloutStore.MAX_VALUE);
    }
  }

  private static void checkSegment(String name, String segment) throws StoreException {
    if (segment.isEmpty()) {
      throw invalid(name, "it has an empty segment (// or a trailing /)");
    }
    if (segment.equals(".") || segment.equals("..")) {
      throw invalid(name, "it has a segment '" + segment + "'");
    }
  }

  private static String firstBadChar(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (!ALLOWED.matcher(name.substring(i, i + 1)).matches()) {
        return String.format("'%s' (U+%04X) at index %d", name.charAt(i), (int) name.charAt(i), i);
      }
    }
    return "no bad character";
  }

  private static StoreException invalid(String name, String why) {
    String shown = name == null ? "null" : '"' + abbreviate(name) + '"';
    return new StoreException(
        Kind.INVALID, "parameter name " + shown + " is not valid: " + why + "; " + FORM);
  }

  private static String abbreviate(String name) {
    return name.length() <= 200 ? name : name.substring(0, 200) + "…(" + name.length() + " chars)";
  }
}
