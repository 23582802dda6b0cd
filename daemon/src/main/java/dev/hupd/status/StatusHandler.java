package dev.hupd.status;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers one request per connection, then closes it: status clients poll, they do not stream. */
final class StatusHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger log = LoggerFactory.getLogger(StatusHandler.class);

  private final StatusPages pages;
  private final AtomicInteger open;
  private final int maxOpen;

  StatusHandler(StatusPages pages, AtomicInteger open, int maxOpen) {
    this.pages = pages;
    this.open = open;
    this.maxOpen = maxOpen;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (open.incrementAndGet() > maxOpen) {
      log.debug("event=status.refused reason=\"{} connections open\"", maxOpen);
      ctx.close();
      return;
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    open.decrementAndGet();
    super.channelInactive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    respond(ctx, answer(request));
  }

  private StatusPages.Page answer(FullHttpRequest request) {
    if (request.decoderResult().isFailure()) {
      return StatusPages.badRequest();
    }
    String path = new QueryStringDecoder(request.uri()).path();
    if (!StatusPages.known(path)) {
      return StatusPages.notFound();
    }
    if (!request.method().equals(HttpMethod.GET)) {
      return StatusPages.notAllowed();
    }
    try {
      return pages.get(path);
    } catch (RuntimeException e) {
      log.warn("event=status.render-failed path={} reason=\"{}\"", path, e.toString());
      return new StatusPages.Page(500, StatusPages.TEXT, "internal error\n");
    }
  }

  private static void respond(ChannelHandlerContext ctx, StatusPages.Page page) {
    byte[] body = page.body().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(page.status()),
            Unpooled.wrappedBuffer(body));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, page.contentType())
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (page.status() == 405) {
      response.headers().set(HttpHeaderNames.ALLOW, "GET");
    }
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Timeouts, resets and oversized requests end one connection; nothing for an operator to do.
    log.debug("event=status.connection-closed reason=\"{}\"", cause.toString());
    ctx.close();
  }
}
