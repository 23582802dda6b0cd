package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The ustar writer, checked by parsing its header and by GNU tar. */
class UstarWriterTest {

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 511, 512, 513, 5000})
  void archiveIsBlockAlignedWithContentAndEndMarker(int size) {
    byte[] content = new byte[size];
    Arrays.fill(content, (byte) 'a');

    byte[] tar = UstarWriter.singleFile("Dockerfile", content);

    int contentBlocks = (size + 511) / 512;
    assertThat(tar).hasSize(512 * (1 + contentBlocks + 2));
    assertThat(Arrays.copyOfRange(tar, 512, 512 + size)).isEqualTo(content);
    assertThat(Arrays.copyOfRange(tar, tar.length - 1024, tar.length)).containsOnly(0);
  }

  @Test
  void headerFieldsFollowUstar() {
    byte[] h = UstarWriter.header("Dockerfile", 1234);

    assertThat(field(h, 0, 100)).isEqualTo("Dockerfile");
    assertThat(field(h, 100, 8)).isEqualTo("0000644");
    assertThat(Long.parseLong(field(h, 124, 12), 8)).isEqualTo(1234);
    assertThat((char) h[156]).isEqualTo('0');
    assertThat(field(h, 257, 6)).isEqualTo("ustar");
    assertThat(field(h, 263, 2)).isEqualTo("00");
    assertThat(h[154]).isZero();
    assertThat((char) h[155]).isEqualTo(' ');
    long stored = Long.parseLong(field(h, 148, 6), 8);
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xff;
    }
    assertThat(stored).isEqualTo(sum);
  }

  @Test
  void gnuTarListsAndExtractsTheFile() throws Exception {
    byte[] content = "FROM hupd-test/busybox:1\nRUN true\n".getBytes(StandardCharsets.UTF_8);
    Path archive = dir.resolve("context.tar");
    Files.write(archive, UstarWriter.singleFile("Dockerfile", content));

    assertThat(run(dir, "tar", "tvf", archive.toString())).contains("Dockerfile", "34");
    run(dir, "tar", "xf", archive.toString());

    assertThat(Files.readAllBytes(dir.resolve("Dockerfile"))).isEqualTo(content);
  }

  @Test
  void namesThatDoNotFitAreRefused() {
    assertThatThrownBy(() -> UstarWriter.header("x".repeat(101), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UstarWriter.header("", 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UstarWriter.header("caf\u00e9", 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static String field(byte[] h, int offset, int length) {
    int end = offset;
    while (end < offset + length && h[end] != 0) {
      end++;
    }
    return new String(h, offset, end - offset, StandardCharsets.US_ASCII).strip();
  }

  static String run(Path cwd, String... command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
    return out;
  }
}
