package dev.hupd.aws;

import dev.hupd.config.MainConfig;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides the region: {@code region=}, the stack ARN's region (which wins, with a warning, when the
 * two disagree: calls to the wrong region can only fail), {@code AWS_REGION} / {@code
 * AWS_DEFAULT_REGION}, the instance metadata, and only then cfn-hup's default us-east-1.
 */
public final class RegionResolver {

  private static final Logger log = LoggerFactory.getLogger(RegionResolver.class);

  /** The region and where it came from. */
  public record Resolved(String region, String source) {}

  private RegionResolver() {}

  public static Resolved resolve(
      MainConfig main, Map<String, String> env, Supplier<Optional<String>> imdsRegion) {
    Optional<String> arnRegion = StackArn.region(main.stack());
    if (main.region().isPresent()) {
      String explicit = main.region().get();
      if (arnRegion.isPresent() && !arnRegion.get().equals(explicit)) {
        log.warn(
            "event=region.mismatch region={} stack_arn_region={} using={} reason=\"the stack lives in its ARN's region\"",
            explicit,
            arnRegion.get(),
            arnRegion.get());
        return new Resolved(arnRegion.get(), "stack ARN");
      }
      return new Resolved(explicit, "region= in cfn-hup.conf");
    }
    if (arnRegion.isPresent()) {
      return new Resolved(arnRegion.get(), "stack ARN");
    }
    for (String name : new String[] {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      String v = env.get(name);
      if (v != null && !v.isBlank()) {
        return new Resolved(v.strip(), name);
      }
    }
    Optional<String> fromImds = imdsRegion.get();
    if (fromImds.isPresent()) {
      return new Resolved(fromImds.get(), "instance metadata");
    }
    log.warn(
        "event=region.default region=us-east-1 reason=\"no region=, no region in the stack ARN, no AWS_REGION, no instance metadata\"");
    return new Resolved("us-east-1", "default");
  }

  /** Reads {@code placement/region} from IMDS, empty on any failure. */
  public static Supplier<Optional<String>> fromInstanceMetadata(InstanceMetadata imds) {
    return () -> {
      if (imds.disabled()) {
        return Optional.empty();
      }
      try {
        return imds.get("meta-data/placement/region").map(String::strip).filter(s -> !s.isEmpty());
      } catch (IOException e) {
        log.debug("event=region.imds-unavailable reason=\"{}\"", e.getMessage());
        return Optional.empty();
      }
    };
  }
}
