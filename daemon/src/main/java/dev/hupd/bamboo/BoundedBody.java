package dev.hupd.bamboo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An answer body read as UTF-8 text up to a limit: a larger one (a misconfigured URL serving a
 * download, a hostile server) ends the request instead of filling hupd's small heap.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<String> {

  /** The answer was larger than the limit. */
  static final class TooLarge extends IOException {
    TooLarge(int limit) {
      super("the answer is larger than " + (limit >> 20) + " MiB");
    }
  }

  private final int limit;
  private final CompletableFuture<String> result = new CompletableFuture<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private Flow.Subscription subscription;

  BoundedBody(int limit) {
    this.limit = limit;
  }

  @Override
  public CompletionStage<String> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      if (out.size() + (long) b.remaining() > limit) {
        subscription.cancel();
        result.completeExceptionally(new TooLarge(limit));
        return;
      }
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      out.write(bytes, 0, bytes.length);
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(out.toString(StandardCharsets.UTF_8));
  }
}
