package dev.hupd.apply;

import dev.hupd.metadata.StackResource;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A metadata source held in memory, with scripted failures and a call log. */
final class InMemorySource implements MetadataSource {

  private final Map<String, StackResource> resources = new ConcurrentHashMap<>();
  private final Deque<SourceException> failures = new ArrayDeque<>();
  final List<String> calls = new ArrayList<>();

  InMemorySource put(String id, String metadataJson) {
    return put(id, "UPDATE_COMPLETE", metadataJson);
  }

  InMemorySource put(String id, String status, String metadataJson) {
    resources.put(
        id,
        new StackResource(
            id,
            "AWS::EC2::LaunchTemplate",
            status,
            Optional.of("lt-0123"),
            Optional.of(Instant.now()),
            Optional.ofNullable(metadataJson)));
    return this;
  }

  InMemorySource failNext(SourceException e) {
    failures.add(e);
    return this;
  }

  @Override
  public synchronized StackResource describe(String logicalId) throws SourceException {
    calls.add(logicalId);
    if (!failures.isEmpty()) {
      throw failures.poll();
    }
    StackResource r = resources.get(logicalId);
    if (r == null) {
      throw new SourceException(SourceException.Kind.NOT_FOUND, "no resource " + logicalId);
    }
    return r;
  }

  @Override
  public String description() {
    return "memory";
  }
}
