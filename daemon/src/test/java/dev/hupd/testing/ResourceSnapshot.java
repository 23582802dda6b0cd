package dev.hupd.testing;

import java.time.Instant;

/** An immutable copy of one stack resource, taken under the stack's lock, for rendering. */
record ResourceSnapshot(
    String stackName,
    String stackId,
    String logicalId,
    String physicalId,
    String type,
    String status,
    String metadata,
    Instant lastUpdated) {}
