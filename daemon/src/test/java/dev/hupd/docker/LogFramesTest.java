package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Demultiplexing container output. */
class LogFramesTest {

  static byte[] frames(Object... streamAndText) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < streamAndText.length; i += 2) {
      byte[] payload = ((String) streamAndText[i + 1]).getBytes(StandardCharsets.UTF_8);
      int n = payload.length;
      out.write((Integer) streamAndText[i]);
      out.writeBytes(
          new byte[] {0, 0, 0, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  /** Hands out at most 3 bytes per read, as a slow chunked stream would. */
  static InputStream trickle(byte[] bytes) {
    return new ByteArrayInputStream(bytes) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 3));
      }
    };
  }

  @Test
  void stdoutAndStderrFramesAreJoinedInOrder() throws IOException {
    byte[] stream = frames(1, "hello\n", 2, "oops\n", 1, "done\n");

    assertThat(LogFrames.read(trickle(stream), 1000)).isEqualTo("hello\noops\ndone\n");
  }

  @Test
  void outputIsCutAtTheCapEvenInsideAFrame() throws IOException {
    byte[] stream = frames(1, "0123456789", 1, "abcdef");

    assertThat(LogFrames.read(new ByteArrayInputStream(stream), 4)).isEqualTo("0123");
    assertThat(LogFrames.read(new ByteArrayInputStream(stream), 12)).isEqualTo("0123456789ab");
  }

  @Test
  void rawTtyStreamIsReturnedAsIs() throws IOException {
    byte[] raw = "plain tty output\r\n".getBytes(StandardCharsets.UTF_8);

    assertThat(LogFrames.read(trickle(raw), 1000)).isEqualTo("plain tty output\r\n");
    assertThat(LogFrames.read(new ByteArrayInputStream(raw), 5)).isEqualTo("plain");
    assertThat(LogFrames.read(new ByteArrayInputStream("hi".getBytes()), 5)).isEqualTo("hi");
  }

  @Test
  void emptyLogIsEmpty() throws IOException {
    assertThat(LogFrames.read(InputStream.nullInputStream(), 10)).isEmpty();
  }

  @Test
  void streamEndingInsideAFrameIsAnError() {
    byte[] stream = frames(1, "hello");
    byte[] cut = java.util.Arrays.copyOf(stream, stream.length - 2);

    assertThatThrownBy(() -> LogFrames.read(new ByteArrayInputStream(cut), 100))
        .isInstanceOf(ProtocolException.class);
  }
}
