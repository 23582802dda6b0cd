package dev.hupd.aws;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A small client for the EC2 instance metadata service: IMDSv2 (session token) always, IMDSv1 only
 * when the token call is answered 403/404/405. Never goes through a proxy. The endpoint is
 * configurable ({@code imds-endpoint}, else {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}) so tests
 * point it at a loopback fake; {@code AWS_EC2_METADATA_DISABLED=true} turns it off.
 */
public final class InstanceMetadata {

  public static final URI DEFAULT_ENDPOINT = URI.create("http://169.254.169.254");
  private static final int TRIES = 3;

  private final URI endpoint;
  private final boolean disabled;
  private final Duration timeout;
  private volatile HttpClient http;
  private volatile String token;
  private volatile long tokenExpiresNanos;
  private volatile boolean v1Only;

  public InstanceMetadata(URI endpoint, boolean disabled, Duration timeout) {
    String e = endpoint.toString();
    this.endpoint = URI.create(e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
    this.disabled = disabled;
    this.timeout = timeout;
  }

  /** Endpoint from the setting, else the SDK's environment variables, else the EC2 address. */
  public static InstanceMetadata fromSettings(Optional<URI> configured, Map<String, String> env) {
    URI endpoint =
        configured.orElseGet(
            () -> {
              String fromEnv = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
              return fromEnv == null || fromEnv.isBlank()
                  ? DEFAULT_ENDPOINT
                  : URI.create(fromEnv.strip());
            });
    boolean disabled =
        configured.isEmpty()
            && "true".equalsIgnoreCase(env.getOrDefault("AWS_EC2_METADATA_DISABLED", "").strip());
    return new InstanceMetadata(endpoint, disabled, Duration.ofSeconds(2));
  }

  public URI endpoint() {
    return endpoint;
  }

  public boolean disabled() {
    return disabled;
  }

  /**
   * Reads a metadata path such as {@code meta-data/placement/region}.
   *
   * @return the body, or empty when the path does not exist (404)
   * @throws IOException when the service cannot be reached; the message says what to check
   */
  public Optional<String> get(String path) throws IOException {
    if (disabled) {
      throw new IOException("instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)");
    }
    IOException last = null;
    for (int attempt = 1; attempt <= TRIES; attempt++) {
      try {
        HttpRequest.Builder req =
            HttpRequest.newBuilder(URI.create(endpoint + "/latest/" + path)).timeout(timeout).GET();
        String t = token();
        if (t != null) {
          req.header("X-aws-ec2-metadata-token", t);
        }
        HttpResponse<String> resp =
            client().send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() == 200) {
          return Optional.of(resp.body());
        }
        if (resp.statusCode() == 404) {
          return Optional.empty();
        }
        if (resp.statusCode() == 401) {
          token = null; // expired or rejected: fetch a new one
        }
        last = new IOException("instance metadata " + path + " answered HTTP " + resp.statusCode());
      } catch (HttpTimeoutException e) {
        last = new IOException("instance metadata request timed out at " + endpoint, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  private String token() throws IOException, InterruptedException {
    if (v1Only) {
      return null;
    }
    if (token != null && System.nanoTime() - tokenExpiresNanos < 0) {
      return token;
    }
    IOException last = null;
    for (int attempt = 1; attempt <= TRIES; attempt++) {
      try {
        HttpRequest req =
            HttpRequest.newBuilder(URI.create(endpoint + "/latest/api/token"))
                .timeout(timeout)
                .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> resp = client().send(req, HttpResponse.BodyHandlers.ofString());
        int status = resp.statusCode();
        if (status == 200) {
          token = resp.body().strip();
          tokenExpiresNanos = System.nanoTime() + Duration.ofHours(5).toNanos();
          return token;
        }
        if (status == 403 || status == 404 || status == 405) {
          v1Only = true;
          return null;
        }
        last = new IOException("IMDS token request answered HTTP " + status);
      } catch (HttpTimeoutException e) {
        last =
            new IOException(
                "IMDS token request timed out at "
                    + endpoint
                    + "; in a container set the instance's metadata hop limit to 2 or use host"
                    + " networking",
                e);
      }
    }
    throw last;
  }

  private HttpClient client() {
    HttpClient c = http;
    if (c == null) {
      synchronized (this) {
        if (http == null) {
          http =
              HttpClient.newBuilder()
                  .proxy(HttpClient.Builder.NO_PROXY)
                  .connectTimeout(timeout)
                  .version(HttpClient.Version.HTTP_1_1)
                  .build();
        }
        c = http;
      }
    }
    return c;
  }
}
