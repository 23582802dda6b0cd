package dev.hupd.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one stack {@link FakeCloudFormation} serves: its name, its resources and the clock that
 * stamps them. Every read and write holds this object's monitor, which the resources share.
 */
final class FakeStack {

  static final String DEFAULT_NAME = "agents-stack";

  /** Account and region of every fake stack ARN; they match the shared test inputs. */
  static final String ARN_PREFIX = "arn:aws:cloudformation:eu-west-1:123456789012:stack/";

  /** The unique part of the stack id; fixed so that ARNs in test inputs stay valid. */
  static final String STACK_UUID = "00000000-0000-0000-0000-000000000000";

  private final Map<String, FakeCloudFormation.Resource> resources = new LinkedHashMap<>();
  private String name = DEFAULT_NAME;
  private Clock clock = Clock.systemUTC();

  synchronized String name() {
    return name;
  }

  synchronized void name(String newName) {
    if (newName == null || newName.isBlank()) {
      throw new IllegalArgumentException("stack name must not be blank");
    }
    name = newName;
  }

  synchronized String stackId() {
    return ARN_PREFIX + name + "/" + STACK_UUID;
  }

  synchronized void clock(Clock newClock) {
    clock = Objects.requireNonNull(newClock, "clock");
  }

  /** Now, cut to milliseconds as the service stores it. */
  synchronized Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  synchronized FakeCloudFormation.Resource resource(String logicalId) {
    if (logicalId == null || logicalId.isBlank()) {
      throw new IllegalArgumentException("logical id must not be blank");
    }
    return resources.computeIfAbsent(
        logicalId, id -> new FakeCloudFormation.Resource(this, id, now()));
  }

  synchronized boolean remove(String logicalId) {
    return resources.remove(logicalId) != null;
  }

  /** DescribeStackResource: the stack may be named by its name or by its full stack id. */
  synchronized ResourceSnapshot describe(String stackRef, String logicalId) {
    requireStack(stackRef);
    FakeCloudFormation.Resource resource = resources.get(logicalId);
    if (resource == null) {
      throw CfnServiceError.resourceNotFound(logicalId, stackRef);
    }
    return resource.snapshot(name, stackId());
  }

  /**
   * DescribeStackResources: by stack (name or id) or by a resource's physical id, never both,
   * optionally filtered to one logical id. An unknown logical id gives an empty list here.
   */
  synchronized List<ResourceSnapshot> describeAll(
      String stackRef, String physicalId, String logicalId) {
    if (stackRef != null && physicalId != null) {
      throw CfnServiceError.validation("Cannot specify both StackName and PhysicalResourceId");
    }
    if (stackRef == null && physicalId == null) {
      throw CfnServiceError.validation("Either StackName or PhysicalResourceId must be specified");
    }
    if (stackRef != null) {
      requireStack(stackRef);
    } else if (!hasPhysicalId(physicalId)) {
      throw CfnServiceError.validation("Stack for " + physicalId + " does not exist");
    }
    List<ResourceSnapshot> result = new ArrayList<>();
    for (FakeCloudFormation.Resource resource : resources.values()) {
      if (logicalId == null || logicalId.equals(resource.logicalId())) {
        result.add(resource.snapshot(name, stackId()));
      }
    }
    return result;
  }

  private void requireStack(String stackRef) {
    if (!stackRef.equals(name) && !stackRef.equals(stackId())) {
      throw CfnServiceError.stackNotFound(stackRef);
    }
  }

  private boolean hasPhysicalId(String physicalId) {
    return resources.values().stream().anyMatch(r -> physicalId.equals(r.physicalId()));
  }
}
