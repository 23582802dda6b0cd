package dev.hupd.docker;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One connection to a Unix domain socket whose every read and write gives up at a single deadline.
 * The JDK offers no read timeout on Unix-socket channels ({@code socket()} is not supported for
 * them), so the channel is non-blocking and waits in a selector: a daemon that stops answering
 * costs at most the deadline, never a hung thread.
 */
final class DeadlineChannel implements Closeable {

  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private final Path socket;
  private final long deadlineNanos;
  private final Duration timeout;

  private DeadlineChannel(
      SocketChannel channel, Selector selector, Path socket, long deadlineNanos, Duration timeout)
      throws IOException {
    this.channel = channel;
    this.selector = selector;
    this.key = channel.register(selector, 0);
    this.socket = socket;
    this.deadlineNanos = deadlineNanos;
    this.timeout = timeout;
  }

  /**
   * Connects to {@code socket}.
   *
   * @throws ConnectException when nothing listens there (missing file, refused, no permission); the
   *     message names the socket
   * @throws SocketTimeoutException when the deadline passes first
   */
  static DeadlineChannel connect(Path socket, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    Selector selector = null;
    try {
      channel.configureBlocking(false);
      selector = Selector.open();
      DeadlineChannel result = new DeadlineChannel(channel, selector, socket, deadline, timeout);
      result.finishConnect();
      return result;
    } catch (IOException | RuntimeException e) {
      closeQuietly(selector);
      closeQuietly(channel);
      throw e;
    }
  }

  private void finishConnect() throws IOException {
    try {
      if (channel.connect(UnixDomainSocketAddress.of(socket))) {
        return;
      }
      while (!channel.finishConnect()) {
        await(SelectionKey.OP_CONNECT);
      }
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      ConnectException failure =
          new ConnectException("cannot connect to " + socket + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  /** Reads at least one byte, or returns -1 at end of stream. */
  int read(ByteBuffer into) throws IOException {
    while (true) {
      int n = channel.read(into);
      if (n != 0 || !into.hasRemaining()) {
        return n;
      }
      await(SelectionKey.OP_READ);
    }
  }

  /** Writes all remaining bytes of {@code from}. */
  void write(ByteBuffer from) throws IOException {
    while (from.hasRemaining()) {
      if (channel.write(from) == 0) {
        await(SelectionKey.OP_WRITE);
      }
    }
  }

  Path socket() {
    return socket;
  }

  private void await(int ops) throws IOException {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException(
          "no answer from " + socket + " within " + timeout.toMillis() + " ms");
    }
    key.interestOps(ops);
    selector.selectedKeys().clear();
    selector.select(Math.max(1, Duration.ofNanos(left).toMillis()));
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while talking to " + socket);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException e) {
      // nothing more to release
    }
  }
}
