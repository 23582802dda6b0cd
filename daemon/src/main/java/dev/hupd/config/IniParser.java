package dev.hupd.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads INI files the way Python 2.7's {@code RawConfigParser._read} does, because cfn-hup
 * configuration in the field was written against exactly that parser:
 *
 * <ul>
 *   <li>lines starting with {@code #} or {@code ;} in column 0, blank lines, and lines starting
 *       with {@code rem} are comments;
 *   <li>{@code key=value} and {@code key: value}; keys are lower-cased;
 *   <li>on a value's first line, the first {@code ;} that follows whitespace starts a comment;
 *   <li>an indented line continues the previous value (joined with a newline);
 *   <li>a value written as {@code ""} is empty;
 *   <li>a section seen again (in this or a later file) is merged, later keys win.
 * </ul>
 *
 * Unlike Python, every problem is collected with its file and line instead of stopping at the first
 * traceback.
 */
public final class IniParser {

  private static final Pattern SECTION = Pattern.compile("\\[(?<header>[^\\]]+)\\]");
  private static final Pattern OPTION =
      Pattern.compile("(?<option>[^:=\\s][^:=]*)\\s*(?<vi>[:=])\\s*(?<value>.*)");

  private final IniDocument document = new IniDocument();
  private final List<ConfigProblem> problems = new ArrayList<>();

  /** The document built from every file read so far. */
  public IniDocument document() {
    return document;
  }

  /** Problems found so far; parsing continues past them. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /** Reads one file into the document; I/O and syntax problems are recorded, not thrown. */
  public void read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      problems.add(new ConfigProblem(file, 0, "", "file is not valid UTF-8", "UTF-8 text"));
      return;
    } catch (IOException e) {
      problems.add(new ConfigProblem(file, 0, "", "cannot read file: " + e, "a readable file"));
      return;
    }
    parse(file, lines);
  }

  void parse(Path file, List<String> lines) {
    IniDocument.Section current = null;
    String currentKey = null;
    List<String> currentValue = null;
    int currentLine = 0;
    for (int index = 0; index < lines.size(); index++) {
      String line = lines.get(index);
      int lineNo = index + 1;
      if (line.isBlank() || line.charAt(0) == '#' || line.charAt(0) == ';') {
        continue;
      }
      if (isRemComment(line)) {
        continue;
      }
      if (Character.isWhitespace(line.charAt(0)) && current != null && currentKey != null) {
        String continued = line.strip();
        if (!continued.isEmpty()) {
          currentValue.add(continued);
          current.put(
              new IniDocument.Entry(
                  currentKey, String.join("\n", currentValue), file, currentLine));
        }
        continue;
      }
      Matcher section = SECTION.matcher(line);
      if (section.lookingAt()) {
        current = document.sectionForHeader(section.group("header"), file, lineNo);
        currentKey = null;
        continue;
      }
      if (current == null) {
        problems.add(
            new ConfigProblem(
                file,
                lineNo,
                "",
                "file contains no section header before '" + line.strip() + "'",
                "a section header such as [main] or [hookname] first"));
        return;
      }
      Matcher option = OPTION.matcher(line);
      if (!option.matches()) {
        problems.add(
            new ConfigProblem(
                file,
                lineNo,
                "[" + current.name() + "]",
                "cannot parse line '" + line.strip() + "'",
                "key=value, key: value, or an indented continuation line"));
        currentKey = null;
        continue;
      }
      currentKey = option.group("option").stripTrailing().toLowerCase(Locale.ROOT);
      String value = stripInlineComment(option.group("value")).strip();
      if (value.equals("\"\"")) {
        value = "";
      }
      currentValue = new ArrayList<>(List.of(value));
      currentLine = lineNo;
      current.put(new IniDocument.Entry(currentKey, value, file, lineNo));
    }
  }

  /** Python: {@code line.split(None, 1)[0].lower() == 'rem' and line[0] in "rR"}. */
  private static boolean isRemComment(String line) {
    if (line.charAt(0) != 'r' && line.charAt(0) != 'R') {
      return false;
    }
    String firstWord = line.strip().split("\\s+", 2)[0];
    return firstWord.equalsIgnoreCase("rem");
  }

  /**
   * Only the first {@code ;} on the line is considered, and only if whitespace precedes it (with
   * Python's index -1 wrap-around when it is the first character).
   */
  private static String stripInlineComment(String value) {
    int pos = value.indexOf(';');
    if (pos < 0) {
      return value;
    }
    char before = pos == 0 ? value.charAt(value.length() - 1) : value.charAt(pos - 1);
    return Character.isWhitespace(before) ? value.substring(0, pos) : value;
  }
}
