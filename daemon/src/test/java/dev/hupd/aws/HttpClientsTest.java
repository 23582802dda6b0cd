package dev.hupd.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;

/** The proxy settings every SDK client of hupd gets from {@link HttpClients}. */
class HttpClientsTest {

  @Test
  void proxyWithCredentials_isUsedAsGiven_portDefaultingTo80() {
    ProxyConfiguration config =
        HttpClients.proxyConfiguration(Optional.of(URI.create("http://user:p%40ss@proxy.corp")));

    assertThat(config.host()).isEqualTo("proxy.corp");
    assertThat(config.port()).isEqualTo(80);
    assertThat(config.username()).isEqualTo("user");
    assertThat(config.password()).isEqualTo("p@ss");
  }

  @Test
  void noProxy_ignoresSystemPropertiesAndEnvironment() {
    String before = System.getProperty("http.proxyHost");
    System.setProperty("http.proxyHost", "should-be-ignored.example");
    try {
      ProxyConfiguration config = HttpClients.proxyConfiguration(Optional.empty());

      assertThat(config.host()).isNull();
    } finally {
      if (before == null) {
        System.clearProperty("http.proxyHost");
      } else {
        System.setProperty("http.proxyHost", before);
      }
    }
  }
}
