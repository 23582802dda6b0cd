package dev.hupd.bamboo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The agent's {@code bin/bamboo-capabilities.properties} as hupd writes it (docs/bamboo.md §7.3): a
 * fixed header, one {@code key=value} per line in {@code String} order, LF, ASCII only, no
 * timestamp, so equal capability sets give byte-identical files and an unchanged set never restarts
 * the agent. The escaping is what {@link java.util.Properties#load} reads back exactly; dots stay
 * unescaped, as in Bamboo's own examples ({@code system.jdk.JDK\ 17}).
 */
public final class CapabilitiesFile {

  public static final String HEADER = "# written by hupd; do not edit";

  private CapabilitiesFile() {}

  /** The file's text for {@code capabilities} (sorted again by natural order whatever given). */
  public static String render(SortedMap<String, String> capabilities) {
    StringBuilder out = new StringBuilder(HEADER).append('\n');
    for (Map.Entry<String, String> e : new TreeMap<>(Map.copyOf(capabilities)).entrySet()) {
      key(e.getKey(), out);
      out.append('=');
      value(e.getValue(), out);
      out.append('\n');
    }
    return out.toString();
  }

  /**
   * Writes the rendered file atomically with mode 0644 (the agent's account reads it).
   *
   * @return whether the bytes changed (a differing mode alone is corrected, not reported)
   */
  public static boolean write(Path file, SortedMap<String, String> capabilities)
      throws IOException {
    return AtomicFiles.write(
        file,
        render(capabilities).getBytes(StandardCharsets.US_ASCII),
        PosixFilePermissions.fromString("rw-r--r--"));
  }

  private static void key(String key, StringBuilder out) {
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      switch (c) {
        case ' ', '=', ':', '#', '!', '\\' -> out.append('\\').append(c);
        default -> common(c, out);
      }
    }
  }

  /** Only a leading blank is escaped: the loader skips blanks before a value, not inside it. */
  private static void value(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\\' || (i == 0 && c == ' ')) {
        out.append('\\').append(c);
      } else {
        common(c, out);
      }
    }
  }

  private static void common(char c, StringBuilder out) {
    switch (c) {
      case '\n' -> out.append("\\n");
      case '\r' -> out.append("\\r");
      case '\t' -> out.append("\\t");
      case '\f' -> out.append("\\f");
      default -> {
        if (c < 0x20 || c > 0x7e) {
          out.append(String.format("\\u%04X", (int) c));
        } else {
          out.append(c);
        }
      }
    }
  }
}
