package dev.hupd.aws;

import java.net.URI;
import java.util.Optional;

/** The CloudFormation endpoint: {@code url=} exactly as written, else derived from the region. */
public final class Endpoints {

  private Endpoints() {}

  public static URI cloudFormation(String region, Optional<URI> url) {
    if (url.isPresent()) {
      return url.get();
    }
    return URI.create("https://cloudformation." + region + "." + dnsSuffix(region));
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
