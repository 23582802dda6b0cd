package dev.hupd.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed form of one or more INI files, with the lookup rules of Python 2.7's {@code
 * SafeConfigParser}: {@code [DEFAULT]} keys are visible in every section, and {@code %(key)s} /
 * {@code %%} interpolation is applied when a value is read. Every value remembers the file and line
 * it came from so errors can point at it.
 */
public final class IniDocument {

  /** A raw value as written, before interpolation. */
  public record Entry(String key, String rawValue, Path file, int line) {}

  /** A section in insertion order; a section repeated across files is merged into one. */
  public static final class Section {
    private final String name;
    private final Path file;
    private final int line;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    Section(String name, Path file, int line) {
      this.name = name;
      this.file = file;
      this.line = line;
    }

    public String name() {
      return name;
    }

    /** The file and line where the section header first appeared. */
    public Path file() {
      return file;
    }

    public int line() {
      return line;
    }

    public Map<String, Entry> entries() {
      return Collections.unmodifiableMap(entries);
    }

    void put(Entry entry) {
      entries.put(entry.key(), entry);
    }
  }

  static final String DEFAULT_SECTION = "DEFAULT";
  private static final int MAX_INTERPOLATION_DEPTH = 10;

  private final Section defaults = new Section(DEFAULT_SECTION, null, 0);
  private final Map<String, Section> sections = new LinkedHashMap<>();

  Section sectionForHeader(String name, Path file, int line) {
    if (name.equals(DEFAULT_SECTION)) {
      return defaults;
    }
    return sections.computeIfAbsent(name, n -> new Section(n, file, line));
  }

  /** Sections in the order they were first seen, without {@code [DEFAULT]}. */
  public List<Section> sections() {
    return new ArrayList<>(sections.values());
  }

  public Optional<Section> section(String name) {
    return Optional.ofNullable(sections.get(name));
  }

  public Section defaults() {
    return defaults;
  }

  /** The raw entry for a key in a section, falling back to {@code [DEFAULT]}. */
  public Optional<Entry> entry(String section, String key) {
    Section s = sections.get(section);
    Entry e = s == null ? null : s.entries.get(key);
    return Optional.ofNullable(e != null ? e : defaults.entries.get(key));
  }

  /**
   * Reads a value with interpolation applied.
   *
   * @throws ConfigException naming the file and line of the value when interpolation fails
   */
  public Optional<String> get(String section, String key) throws ConfigException {
    Optional<Entry> entry = entry(section, key);
    if (entry.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(interpolate(section, entry.get(), entry.get().rawValue(), 1));
  }

  private String interpolate(String section, Entry origin, String value, int depth)
      throws ConfigException {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw problem(
          origin,
          section,
          "interpolation nests deeper than " + MAX_INTERPOLATION_DEPTH + " levels",
          "a %(name)s chain that ends");
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < value.length()) {
      char c = value.charAt(i);
      if (c != '%') {
        out.append(c);
        i++;
        continue;
      }
      char next = i + 1 < value.length() ? value.charAt(i + 1) : '\0';
      if (next == '%') {
        out.append('%');
        i += 2;
      } else if (next == '(') {
        int close = value.indexOf(")s", i + 2);
        if (close < 0) {
          throw problem(
              origin,
              section,
              "bad interpolation variable reference '" + value.substring(i) + "'",
              "%(name)s, or %% for a literal percent sign");
        }
        String name = value.substring(i + 2, close).toLowerCase(java.util.Locale.ROOT);
        String replacement = lookupForInterpolation(section, name);
        if (replacement == null) {
          throw problem(
              origin,
              section,
              "%(" + name + ")s refers to a key that is not set in [" + section + "] or [DEFAULT]",
              "an existing key, or %% for a literal percent sign");
        }
        if (replacement.indexOf('%') >= 0) {
          Entry target = entry(section, name).orElse(origin);
          out.append(interpolate(section, target, replacement, depth + 1));
        } else {
          out.append(replacement);
        }
        i = close + 2;
      } else {
        throw problem(
            origin,
            section,
            "'%' must be followed by '%' or '(', found: '" + value.substring(i) + "'",
            "%% for a literal percent sign (e.g. date +%%s)");
      }
    }
    return out.toString();
  }

  private String lookupForInterpolation(String section, String name) {
    if (name.equals("__name__")) {
      return section;
    }
    return entry(section, name).map(Entry::rawValue).orElse(null);
  }

  private static ConfigException problem(
      Entry origin, String section, String message, String expected) {
    return new ConfigException(
        new ConfigProblem(
            origin.file(), origin.line(), "[" + section + "] " + origin.key(), message, expected));
  }
}
