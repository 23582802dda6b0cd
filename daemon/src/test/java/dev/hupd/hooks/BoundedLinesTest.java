package dev.hupd.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.io.StringReader;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BoundedLinesTest {

  @Test
  void aTwentyMegabyteLineWithoutNewlineIsCutNotBuffered() throws Exception {
    Reader endless =
        new Reader() {
          long left = 20_000_000L;

          @Override
          public int read(char[] buf, int off, int len) {
            if (left == 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(buf, off, off + n, 'a');
            left -= n;
            return n;
          }

          @Override
          public void close() {}
        };
    ActionRunner.BoundedLines lines = new ActionRunner.BoundedLines(endless, 8192);
    String first = lines.next();
    assertThat(first).startsWith("aaaa").endsWith("(line truncated)").hasSizeLessThan(8300);
    assertThat(lines.next()).isNull();
  }

  @Test
  void splitsOnNewlineAndDropsCarriageReturns() throws Exception {
    ActionRunner.BoundedLines lines =
        new ActionRunner.BoundedLines(new StringReader("a\r\nb\n\nlast"), 10);
    assertThat(lines.next()).isEqualTo("a");
    assertThat(lines.next()).isEqualTo("b");
    assertThat(lines.next()).isEmpty();
    assertThat(lines.next()).isEqualTo("last");
    assertThat(lines.next()).isNull();
  }

  @Test
  void controlCharactersAreEscapedForTheLog() {
    assertThat(ActionRunner.printable("a\u001b[31mred\u0000\tend\r"))
        .isEqualTo("a\\x1b[31mred\\x00\tend\\x0d");
    assertThat(ActionRunner.printable("plain")).isEqualTo("plain");
  }
}
