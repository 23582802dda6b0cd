package dev.hupd.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.config.HookDefinition;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.StackResource;
import dev.hupd.rollout.Policy;
import dev.hupd.rollout.Publisher;
import dev.hupd.rollout.StoreException;
import dev.hupd.source.MetadataSource;
import dev.hupd.source.SourceException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers what this agent reads from its configured source (CloudFormation or a file) as the
 * fleet's next revision when it differs from the newest one (docs/rollout.md §3). Captures every
 * resource its hooks, its toolchain manifest and its rollout policy read, and skips a round while
 * any of them is {@code *_IN_PROGRESS}, as cfn-hup does.
 */
final class Registrar {

  private static final Logger log = LoggerFactory.getLogger(Registrar.class);

  private final MetadataSource source;
  private final Publisher publisher;
  private final Set<String> logicalIds;
  private final Optional<String> rolloutPath;
  private final boolean stamped;
  private String lastRefused = "";
  private String lastRegistered = "";

  Registrar(
      MetadataSource source,
      Publisher publisher,
      Configuration config,
      Optional<String> rolloutPath,
      boolean stamped) {
    this.source = source;
    this.publisher = publisher;
    this.rolloutPath = rolloutPath;
    this.stamped = stamped;
    Set<String> ids = new TreeSet<>();
    for (HookDefinition h : config.cfnHup().hooks()) {
      ids.add(h.path().logicalId());
    }
    config.settings().toolchains().ifPresent(t -> ids.add(t.manifestPath().logicalId()));
    config.settings().fleet().flatMap(f -> f.rolloutPath()).ifPresent(p -> ids.add(p.logicalId()));
    this.logicalIds = Set.copyOf(ids);
  }

  /** One round: read, compare, publish if new. Never throws for source or store trouble. */
  void run(String stackName) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("StackName", stackName);
    ObjectNode resources = doc.putObject("Resources");
    long stamp = 0;
    for (String id : logicalIds) {
      StackResource r;
      try {
        r = source.describe(id);
      } catch (SourceException e) {
        if (e.kind() == SourceException.Kind.NOT_FOUND) {
          continue;
        }
        log.debug("event=register.skipped reason=\"{}\"", e.getMessage());
        return;
      }
      if (r.inProgress()) {
        log.debug("event=register.skipped resource={} status={}", id, r.status());
        return;
      }
      ObjectNode n = resources.putObject(id);
      n.put("ResourceType", r.type());
      n.put("ResourceStatus", r.status());
      r.physicalId().ifPresent(p -> n.put("PhysicalResourceId", p));
      r.lastUpdated().ifPresent(t -> n.put("LastUpdatedTimestamp", t.toString()));
      if (r.metadataText().isPresent()) {
        try {
          n.set("Metadata", Json.parse(r.metadataText().get()));
        } catch (IllegalArgumentException e) {
          n.put("Metadata", r.metadataText().get());
        }
      }
      if (stamped && r.lastUpdated().isPresent()) {
        stamp = Math.max(stamp, r.lastUpdated().get().toEpochMilli());
      }
    }
    String text = Json.canonical(doc);
    String sha = Json.sha256(text);
    if (sha.equals(lastRegistered)) {
      return; // what this agent reads has not changed since the store last had it: no store call
    }
    Optional<Policy> policy;
    try {
      policy = Publisher.policyIn(Json.parse(text), rolloutPath);
    } catch (Policy.PolicyException e) {
      if (!sha.equals(lastRefused)) {
        lastRefused = sha;
        log.error(
            "event=register.refused reason=\"{}\" next=\"not registered; fix the metadata\"",
            e.getMessage());
      }
      return;
    }
    try {
      Publisher.Result r =
          publisher.publish(
              text,
              policy,
              stamped ? Math.max(stamp, 1) : 0,
              "registered from " + source.description());
      if (r.created() || r.note().equals("unchanged")) {
        lastRegistered = sha;
      }
      if (r.created()) {
        log.info(
            "event=register.published revision={} sha={} gated={} note=\"{}\"",
            r.revision(),
            r.sha().substring(0, 12),
            r.gated(),
            r.note());
      }
    } catch (StoreException e) {
      log.warn("event=register.failed reason=\"{}\" next=\"retried next round\"", e.getMessage());
    }
  }

  Set<String> logicalIds() {
    return logicalIds;
  }
}
