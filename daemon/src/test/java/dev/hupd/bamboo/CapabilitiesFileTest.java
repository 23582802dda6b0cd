package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link CapabilitiesFile}: Bamboo's escaping, sorted and byte-identical (C21). */
class CapabilitiesFileTest {

  @TempDir Path dir;

  private static SortedMap<String, String> sorted(Map<String, String> m) {
    return new TreeMap<>(m);
  }

  @Test
  void c21_jdkCapability_isOneEscapedLine() {
    String text = CapabilitiesFile.render(sorted(Map.of("system.jdk.JDK 17", "/opt/jdk-17.0.10")));

    assertThat(text)
        .isEqualTo("# written by hupd; do not edit\nsystem.jdk.JDK\\ 17=/opt/jdk-17.0.10\n");
    assertThat(text.lines()).contains("system.jdk.JDK\\ 17=/opt/jdk-17.0.10");
  }

  @Test
  void render_isByteIdenticalWhateverTheInsertionOrderOrComparator() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("system.jdk.JDK 17", "/opt/jdk-17.0.10");
    a.put("hupd.toolchain.gcc", "registry/gcc@sha256:ab");
    a.put("system.docker.executable", "/usr/bin/docker");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("system.docker.executable", "/usr/bin/docker");
    b.put("system.jdk.JDK 17", "/opt/jdk-17.0.10");
    b.put("hupd.toolchain.gcc", "registry/gcc@sha256:ab");
    SortedMap<String, String> reversed = new TreeMap<>(Comparator.reverseOrder());
    reversed.putAll(b);

    String first = CapabilitiesFile.render(sorted(a));

    assertThat(CapabilitiesFile.render(sorted(b))).isEqualTo(first);
    assertThat(CapabilitiesFile.render(reversed)).isEqualTo(first);
    assertThat(first.lines().skip(1))
        .containsExactly(
            "hupd.toolchain.gcc=registry/gcc@sha256:ab",
            "system.docker.executable=/usr/bin/docker",
            "system.jdk.JDK\\ 17=/opt/jdk-17.0.10");
  }

  static Stream<Arguments> awkward() {
    return Stream.of(
        Arguments.of("space in key", "system.builder.mvn3.Maven 3", "/usr/share/maven"),
        Arguments.of("equals in key", "a=b", "c=d"),
        Arguments.of("colon in key", "a:b", "c:d"),
        Arguments.of("hash first", "#not-a-comment", "#value"),
        Arguments.of("bang first", "!not-a-comment", "!value"),
        Arguments.of("backslashes", "C:\\tools\\jdk", "C:\\Program Files\\Java\\"),
        Arguments.of("unicode", "label.héllo €", "värde ✓ \uD83D\uDE00"),
        Arguments.of("leading spaces", "  key", "  two leading spaces"),
        Arguments.of("trailing spaces", "key  ", "value  "),
        Arguments.of("dots", "system.builder.node.Node.js 18", "/opt/node-18.19.0/bin/node"),
        Arguments.of("line breaks and tabs", "k\tey", "line1\nline2\r\tend"),
        Arguments.of("form feed first", "\fk", "\fvalue"),
        Arguments.of("empty value", "os", ""),
        Arguments.of("separator first in value", "x", "=:value"),
        Arguments.of("control character", "bell\u0007", "nul\u0000"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("awkward")
  void roundTripThroughPropertiesLoad_givesTheExactEntry(String name, String key, String value)
      throws Exception {
    String text = CapabilitiesFile.render(sorted(Map.of(key, value)));

    assertThat(load(text)).containsExactly(Map.entry(key, value));
    assertThat(text.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c <= 0x7e))).isTrue();
  }

  @Test
  void roundTrip_ofTheWholeTable_givesBackTheExactMap() throws Exception {
    Map<String, String> all = new HashMap<>();
    awkward().forEach(a -> all.put((String) a.get()[1], (String) a.get()[2]));

    assertThat(load(CapabilitiesFile.render(sorted(all)))).isEqualTo(all);
  }

  @Test
  void nonAscii_isWrittenAsUnicodeEscapes() {
    assertThat(CapabilitiesFile.render(sorted(Map.of("é", "€")))).endsWith("\\u00E9=\\u20AC\n");
  }

  @Test
  void write_isAtomicMode0644_andReportsWhetherTheBytesChanged() throws Exception {
    Path file = dir.resolve("bin/bamboo-capabilities.properties");

    boolean first = CapabilitiesFile.write(file, sorted(Map.of("os", "linux")));
    boolean again = CapabilitiesFile.write(file, sorted(Map.of("os", "linux")));
    boolean changed = CapabilitiesFile.write(file, sorted(Map.of("os", "linux", "arch", "x86")));

    assertThat(first).isTrue();
    assertThat(again).isFalse();
    assertThat(changed).isTrue();
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(Files.readString(file, StandardCharsets.US_ASCII))
        .isEqualTo("# written by hupd; do not edit\narch=x86\nos=linux\n");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  private static Map<String, String> load(String text) throws Exception {
    Properties p = new Properties();
    p.load(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    Map<String, String> out = new HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    Properties viaReader = new Properties();
    viaReader.load(new StringReader(text));
    assertThat(viaReader).isEqualTo(p);
    return out;
  }
}
