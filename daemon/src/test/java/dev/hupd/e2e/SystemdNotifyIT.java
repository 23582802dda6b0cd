package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.testing.HupdProcess;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hupd run} under a fake systemd: a Netty epoll datagram socket stands in for NOTIFY_SOCKET
 * and records READY/STATUS/WATCHDOG/RELOADING/STOPPING in arrival order.
 */
class SystemdNotifyIT {

  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path work;
  final List<String> received = new ArrayList<>();
  EventLoopGroup group;
  Channel server;

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close().awaitUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully().awaitUninterruptibly();
    }
  }

  Path fakeSystemd() throws InterruptedException {
    Path socket = work.resolve("notify.sock");
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    server =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                    synchronized (received) {
                      received.add(p.content().toString(StandardCharsets.UTF_8));
                      received.notifyAll();
                    }
                  }
                })
            .bind(new DomainSocketAddress(socket.toString()))
            .sync()
            .channel();
    return socket;
  }

  List<String> messages() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  void awaitMessages(Predicate<String> match, int n) throws InterruptedException {
    long end = System.nanoTime() + WAIT.toNanos();
    synchronized (received) {
      while (received.stream().filter(match).count() < n) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("fewer than " + n + " matching datagrams in " + received);
        }
        received.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  HupdProcess start(Path socket) throws Exception {
    return start(socket, Map.of());
  }

  HupdProcess start(Path socket, Map<String, String> extraEnv) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("NOTIFY_SOCKET", socket.toString());
    env.put("WATCHDOG_USEC", "400000");
    env.putAll(extraEnv);
    return DaemonProcessIT.runExample(work, env);
  }

  @Test
  void readyAfterTheFirstPassThenWatchdogReloadAndStop() throws Exception {
    Path socket = fakeSystemd();
    try (HupdProcess hupd = start(socket)) {
      awaitMessages(m -> m.startsWith("READY=1"), 1);
      assertThat(hupd.lines())
          .as("READY=1 only after event=daemon.ready")
          .anyMatch(l -> l.contains("event=daemon.ready"));
      assertThat(messages()).anyMatch(m -> m.startsWith("READY=1\nSTATUS="));

      awaitMessages("WATCHDOG=1"::equals, 5);

      int before = messages().size();
      hupd.signal("HUP");
      awaitMessages(m -> m.startsWith("RELOADING=1\nMONOTONIC_USEC="), 1);
      awaitMessages(m -> m.startsWith("READY=1"), 2);
      List<String> afterHup = messages().subList(before, messages().size());
      assertThat(afterHup.stream().filter(m -> !m.equals("WATCHDOG=1")).toList())
          .first()
          .asString()
          .startsWith("RELOADING=1");

      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
      awaitMessages(m -> m.startsWith("STOPPING=1"), 1);
    }
  }

  @Test
  void withoutEpollItFailsFastWithTheWorkdirHintInsteadOfNeverBecomingReady() throws Exception {
    Path socket = fakeSystemd();
    // An unwritable workdir stands in for a noexec /tmp: the native library cannot be unpacked.
    Map<String, String> noNative = Map.of("JAVA_TOOL_OPTIONS", "-Dio.netty.native.workdir=/proc");
    try (HupdProcess hupd = start(socket, noNative)) {
      assertThat(hupd.awaitExit(WAIT)).isEqualTo(78);
      assertThat(hupd.lines())
          .anyMatch(
              l ->
                  l.contains("ERROR")
                      && l.contains("event=systemd.notify-unavailable")
                      && l.contains("io.netty.native.workdir"));
    }
    assertThat(messages()).isEmpty();
  }
}
