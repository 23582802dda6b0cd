package dev.hupd.config;

import dev.hupd.metadata.Utf8;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
      Pattern.compile("(?<option>[^:=\\s][^:=]*)\\s*(?<vi>[:=])\\s*(?<value>.*)", Pattern.DOTALL);

  /** Larger files are refused rather than read into memory: no real configuration is this big. */
  static final long MAX_FILE_BYTES = 1 << 20;

  private final IniDocument document = new IniDocument();
  private final List<ConfigProblem> problems = new ArrayList<>();
  private final List<ConfigProblem> warnings = new ArrayList<>();

  /** The document built from every file read so far. */
  public IniDocument document() {
    return document;
  }

  /** Things read in a way the operator may not expect (encoding, byte-order mark). */
  public List<ConfigProblem> warnings() {
    return warnings;
  }

  /** Problems found so far; parsing continues past them. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /**
   * Reads one file into the document; I/O and syntax problems are recorded, not thrown. Lines are
   * split on {@code \n} only, as Python 2 does; a file that is not UTF-8 is read byte for byte
   * (ISO-8859-1), as Python 2 would, with a warning.
   */
  public void read(Path file) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        problems.add(
            new ConfigProblem(
                file, 0, "", "file is larger than 1 MiB", "a configuration file of normal size"));
        return;
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      problems.add(new ConfigProblem(file, 0, "", "cannot read file: " + e, "a readable file"));
      return;
    }
    String text;
    Optional<String> utf8 = Utf8.strict(bytes);
    if (utf8.isPresent()) {
      text = utf8.get();
    } else {
      text = new String(bytes, StandardCharsets.ISO_8859_1);
      warnings.add(
          new ConfigProblem(
              file,
              firstNonUtf8Line(bytes),
              "",
              "file is not valid UTF-8; read as ISO-8859-1",
              "UTF-8 text"));
    }
    read(file, text);
  }

  /**
   * Reads text already in memory (e.g. a file's content from a CloudFormation template) as if it
   * were {@code file}: same line splitting, byte-order mark and syntax rules.
   */
  public void read(Path file, String text) {
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
      warnings.add(
          new ConfigProblem(
              file, 1, "", "byte-order mark at the start of the file ignored", "plain UTF-8"));
    }
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    parse(file, lines);
  }

  private static int firstNonUtf8Line(byte[] bytes) {
    int line = 1;
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '\n') {
        if (Utf8.strict(bytes, start, i - start).isEmpty()) {
          return line;
        }
        line++;
        start = i + 1;
      }
    }
    return 0;
  }

  /** Python 2's {@code str.strip()}: ASCII whitespace only. */
  static String pyStrip(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && pySpace(s.charAt(b))) {
      b++;
    }
    while (e > b && pySpace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(b, e);
  }

  static boolean pySpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c;
  }

  void parse(Path file, List<String> lines) {
    IniDocument.Section current = null;
    String currentKey = null;
    List<String> currentValue = null;
    int currentLine = 0;
    for (int index = 0; index < lines.size(); index++) {
      String line = lines.get(index);
      int lineNo = index + 1;
      if (pyStrip(line).isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
        continue;
      }
      if (isRemComment(line)) {
        continue;
      }
      if (pySpace(line.charAt(0)) && current != null && currentKey != null) {
        String continued = pyStrip(line);
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
      currentKey = pyStrip(option.group("option")).toLowerCase(Locale.ROOT);
      String value = pyStrip(stripInlineComment(option.group("value")));
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
    return pySpace(before) ? value.substring(0, pos) : value;
  }
}
