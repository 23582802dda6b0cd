package dev.hupd.status;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The local status server: {@code /healthz}, {@code /status} and {@code /metrics} over HTTP/1.1 on
 * one NIO event-loop thread. It only reads the latest {@link StatusSnapshot}, so a slow or hostile
 * client can never hold up the daemon loop; requests, headers, connections and idle time are all
 * bounded.
 */
public final class StatusServer implements AutoCloseable {

  /** Longest request line; the paths served are short. */
  static final int MAX_LINE = 1024;

  /** Largest header block. */
  static final int MAX_HEADERS = 8192;

  /** Largest request body (a GET has none). */
  static final int MAX_BODY = 1024;

  /** Open connections at once; more are closed on accept. */
  static final int MAX_CONNECTIONS = 32;

  /** A connection that sends nothing for this long is closed. */
  static final int IDLE_SECONDS = 10;

  private final EventLoopGroup group;
  private final Channel channel;

  private StatusServer(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /**
   * Binds {@code at} (port 0 = any free port) and serves {@code snapshots}.
   *
   * @throws IOException when the address cannot be bound (in use, not local, no permission)
   */
  public static StatusServer start(
      InetSocketAddress at,
      Supplier<StatusSnapshot> snapshots,
      Clock clock,
      Supplier<OptionalLong> residentBytes)
      throws IOException {
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("hupd-status", true), NioIoHandler.newFactory());
    // Unpooled heap buffers: a few small responses a minute do not need Netty's pooled arenas.
    ByteBufAllocator buffers = new UnpooledByteBufAllocator(false);
    AtomicInteger open = new AtomicInteger();
    StatusPages pages = new StatusPages(snapshots, clock, residentBytes);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.ALLOCATOR, buffers)
            .option(ChannelOption.SO_BACKLOG, MAX_CONNECTIONS)
            .childOption(ChannelOption.ALLOCATOR, buffers)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS))
                        .addLast(new HttpServerCodec(decoderConfig()))
                        .addLast(new ClosingAggregator(MAX_BODY))
                        .addLast(new StatusHandler(pages, open, MAX_CONNECTIONS));
                  }
                });
    ChannelFuture bound = bootstrap.bind(at).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      Throwable cause = bound.cause();
      throw new IOException(
          "cannot listen on " + at + ": " + (cause == null ? "bind failed" : cause.getMessage()),
          cause);
    }
    return new StatusServer(group, bound.channel());
  }

  /** Answers 413 to an oversized request and closes, instead of reading on to the next one. */
  private static final class ClosingAggregator extends HttpObjectAggregator {
    ClosingAggregator(int maxContentLength) {
      super(maxContentLength);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      FullHttpResponse tooLarge =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
      tooLarge
          .headers()
          .setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(tooLarge).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static HttpDecoderConfig decoderConfig() {
    return new HttpDecoderConfig()
        .setMaxInitialLineLength(MAX_LINE)
        .setMaxHeaderSize(MAX_HEADERS)
        .setMaxChunkSize(MAX_BODY);
  }

  /** The bound address (with the port chosen when 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** Stops listening and ends the event-loop thread, waiting at most a few seconds. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
