package dev.hupd.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link Utf8}: malformed input is reported, never replaced. */
class Utf8Test {

  @Test
  void validTextIsDecoded() {
    assertThat(Utf8.strict("café ✓\n".getBytes(StandardCharsets.UTF_8))).contains("café ✓\n");
    assertThat(Utf8.strict(new byte[0])).contains("");
  }

  @Test
  void malformedOrTruncatedInputIsEmpty() {
    assertThat(Utf8.strict(new byte[] {'a', (byte) 0xff, 'b'})).isEmpty();
    assertThat(Utf8.strict(new byte[] {'a', (byte) 0xc3})).isEmpty();
    assertThat(Utf8.strict(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})).isEmpty();
  }

  @Test
  void aSliceIsJudgedAlone() {
    byte[] bytes = {'o', 'k', '\n', (byte) 0xe9, '\n'};
    assertThat(Utf8.strict(bytes, 0, 2)).contains("ok");
    assertThat(Utf8.strict(bytes, 3, 1)).isEmpty();
  }
}
