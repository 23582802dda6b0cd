package dev.hupd.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The HTTP client every AWS SDK client of hupd uses: the JDK's URLConnection (no Apache or Netty on
 * the agent), bounded timeouts, and exactly the proxy {@link ProxySelection} chose; the SDK never
 * reads proxy settings from system properties or the environment on its own.
 */
public final class HttpClients {

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);

  private HttpClients() {}

  /** A client that goes through {@code proxy} ({@code http://[user[:pass]@]host[:port]}) if set. */
  public static SdkHttpClient urlConnection(Optional<URI> proxy) {
    return UrlConnectionHttpClient.builder()
        .connectionTimeout(CONNECT_TIMEOUT)
        .socketTimeout(SOCKET_TIMEOUT)
        .proxyConfiguration(proxyConfiguration(proxy))
        .build();
  }

  static ProxyConfiguration proxyConfiguration(Optional<URI> proxy) {
    ProxyConfiguration.Builder config =
        ProxyConfiguration.builder()
            .useSystemPropertyValues(false)
            .useEnvironmentVariablesValues(false);
    if (proxy.isEmpty()) {
      return config.build();
    }
    URI p = proxy.get();
    config.endpoint(
        URI.create("http://" + p.getHost() + ":" + (p.getPort() < 0 ? 80 : p.getPort())));
    if (p.getUserInfo() != null) {
      String[] userPass = p.getUserInfo().split(":", 2);
      config.username(userPass[0]);
      if (userPass.length > 1) {
        config.password(userPass[1]);
      }
    }
    return config.build();
  }
}
