package dev.hupd.aws;

import java.net.URI;
import java.util.Optional;

/** Service endpoints: an override exactly as written, else derived from the region. */
public final class Endpoints {

  private Endpoints() {}

  public static URI cloudFormation(String region, Optional<URI> url) {
    if (url.isPresent()) {
      return url.get();
    }
    return URI.create("https://cloudformation." + region + "." + dnsSuffix(region));
  }

  /** SSM's endpoint, {@code https://ssm.<region>.amazonaws.com} unless overridden. */
  public static URI ssm(String region, Optional<URI> override) {
    if (override.isPresent()) {
      return override.get();
    }
    return URI.create("https://ssm." + region + "." + dnsSuffix(region));
  }

  static String dnsSuffix(String region) {
    if (region.startsWith("cn-")) {
      return "amazonaws.com.cn";
    }
    if (region.startsWith("us-isob-")) {
      return "sc2s.sgov.gov";
    }
    if (region.startsWith("us-iso-")) {
      return "c2s.ic.gov";
    }
    return "amazonaws.com";
  }
}
