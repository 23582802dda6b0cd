package dev.hupd.host;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The datagram socket to systemd's {@code NOTIFY_SOCKET}: JDK 17 has no Unix datagram sockets, so
 * this uses Netty's epoll domain datagram channel on one small event-loop thread. Loaded only when
 * {@code NOTIFY_SOCKET} is set, so a plain {@code hupd run} never loads the native library.
 */
final class NotifySocket implements SystemdNotify.Transport {

  private static final long SEND_TIMEOUT_MS = 2_000;

  private final EventLoopGroup group;
  private final Channel channel;
  private final DomainSocketAddress target;

  private NotifySocket(EventLoopGroup group, Channel channel, DomainSocketAddress target) {
    this.group = group;
    this.channel = channel;
    this.target = target;
  }

  /** {@code path} is a file path or {@code @name} for the abstract namespace. */
  static NotifySocket open(String path) throws SystemdNotify.UnavailableException {
    if (!Epoll.isAvailable()) {
      Throwable cause = Epoll.unavailabilityCause();
      throw new SystemdNotify.UnavailableException(
          "Netty's epoll transport did not load: "
              + (cause == null ? "unknown reason" : cause.toString()),
          "hupd ships Netty's native library for Linux on x86_64 and aarch64 (this machine: "
              + System.getProperty("os.arch")
              + "); Netty unpacks it into io.netty.native.workdir (default java.io.tmpdir),"
              + " which fails when that folder is noexec: under systemd the launcher uses the"
              + " unit's state directory; elsewhere set -Dio.netty.native.workdir=/var/lib/hupd in"
              + " HUPD_JAVA_OPTS and check that folder is writable");
    }
    if (!path.startsWith("/") && !path.startsWith("@")) {
      throw new SystemdNotify.UnavailableException(
          "NOTIFY_SOCKET=" + path + " is neither an absolute path nor an @abstract name",
          "NOTIFY_SOCKET is set by systemd for Type=notify units; unset it when not under systemd");
    }
    DomainSocketAddress target =
        new DomainSocketAddress(path.startsWith("@") ? "\0" + path.substring(1) : path);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ChannelFuture connected =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            // A few short datagrams a minute: no pooled arenas (their chunks would stay resident).
            .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(target)
            .awaitUninterruptibly();
    if (!connected.isSuccess()) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new SystemdNotify.UnavailableException(
          "cannot connect to NOTIFY_SOCKET=" + path + ": " + connected.cause(),
          "NOTIFY_SOCKET is set by systemd for Type=notify units; unset it when not under systemd");
    }
    return new NotifySocket(group, connected.channel(), target);
  }

  @Override
  public void send(String message) throws IOException {
    ChannelFuture sent =
        channel.writeAndFlush(
            new DomainDatagramPacket(
                Unpooled.copiedBuffer(message, StandardCharsets.UTF_8), target));
    if (!sent.awaitUninterruptibly(SEND_TIMEOUT_MS)) {
      throw new IOException("no send within " + SEND_TIMEOUT_MS + " ms");
    }
    if (!sent.isSuccess()) {
      throw new IOException(String.valueOf(sent.cause()), sent.cause());
    }
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(SEND_TIMEOUT_MS);
    group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(SEND_TIMEOUT_MS);
  }
}
