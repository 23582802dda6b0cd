package dev.hupd.aws;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which proxy, if any, AWS calls go through: hupd's {@code proxy} setting, then {@code proxy=} in
 * cfn-hup.conf, then {@code HTTPS_PROXY}/{@code HTTP_PROXY} (by the endpoint's scheme, either
 * case), then the JVM's proxy properties, unless the endpoint's host matches {@code NO_PROXY}.
 * Instance metadata never uses a proxy (see {@link InstanceMetadata}).
 */
public final class ProxySelection {

  private ProxySelection() {}

  public static Optional<URI> choose(
      URI endpoint,
      Optional<URI> fromSettings,
      Optional<URI> fromCfnHup,
      Map<String, String> env,
      Map<String, String> jvmProperties) {
    String host = endpoint.getHost() == null ? "" : endpoint.getHost().toLowerCase(Locale.ROOT);
    if (bypassed(host, firstOf(env, "NO_PROXY", "no_proxy"))) {
      return Optional.empty();
    }
    if (fromSettings.isPresent()) {
      return fromSettings;
    }
    if (fromCfnHup.isPresent()) {
      return fromCfnHup;
    }
    boolean https = "https".equalsIgnoreCase(endpoint.getScheme());
    String fromEnv =
        https
            ? firstOf(env, "HTTPS_PROXY", "https_proxy")
            : firstOf(env, "HTTP_PROXY", "http_proxy");
    if (fromEnv != null && !fromEnv.isBlank()) {
      String v = fromEnv.strip();
      return Optional.of(URI.create(v.contains("://") ? v : "http://" + v));
    }
    String prefix = https ? "https." : "http.";
    String proxyHost = jvmProperties.get(prefix + "proxyHost");
    if (proxyHost != null && !proxyHost.isBlank()) {
      if (bypassed(host, jvmProperties.getOrDefault("http.nonProxyHosts", "").replace('|', ','))) {
        return Optional.empty();
      }
      String port = jvmProperties.getOrDefault(prefix + "proxyPort", https ? "443" : "80");
      return Optional.of(URI.create("http://" + proxyHost + ":" + port));
    }
    return Optional.empty();
  }

  private static String firstOf(Map<String, String> env, String upper, String lower) {
    String v = env.get(upper);
    return v != null ? v : env.get(lower);
  }

  /**
   * NO_PROXY rules: {@code *}, exact host, or a domain suffix ({@code .example.com} or {@code
   * example.com}).
   */
  static boolean bypassed(String host, String noProxy) {
    if (noProxy == null || noProxy.isBlank() || host.isEmpty()) {
      return false;
    }
    for (String raw : noProxy.split(",")) {
      String rule = raw.strip().toLowerCase(Locale.ROOT);
      if (rule.isEmpty()) {
        continue;
      }
      if (rule.equals("*")) {
        return true;
      }
      int colon = rule.lastIndexOf(':');
      if (colon > 0 && rule.indexOf(':') == colon) {
        rule = rule.substring(0, colon); // drop a port
      }
      if (rule.startsWith("*.")) {
        rule = rule.substring(1);
      }
      String bare = rule.startsWith(".") ? rule.substring(1) : rule;
      if (host.equals(bare) || host.endsWith("." + bare)) {
        return true;
      }
    }
    return false;
  }

  /** For logs: the proxy without any user:password part. */
  public static String redacted(URI proxy) {
    return proxy.getScheme()
        + "://"
        + (proxy.getUserInfo() == null ? "" : "****@")
        + proxy.getHost()
        + (proxy.getPort() < 0 ? "" : ":" + proxy.getPort());
  }
}
