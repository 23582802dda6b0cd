package dev.hupd.aws;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A small client for the EC2 instance metadata service: IMDSv2 (session token) always, IMDSv1 only
 * when the token call is answered 403/404/405. Never goes through a proxy. The endpoint is
 * configurable ({@code imds-endpoint}, else {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}) so tests
 * point it at a loopback fake; {@code AWS_EC2_METADATA_DISABLED=true} turns it off.
 *
 * <p>On the JDK's {@link HttpURLConnection}, one request at a time on the caller's thread: connect
 * and read timeouts of {@code timeout} each, no redirects, no caches, no credentials from a
 * JVM-wide {@link Authenticator}, and each connection closed after its answer (no JDK keep-alive
 * thread). The token PUT goes in fixed-length streaming mode ({@code Content-Length: 0}), so the
 * JDK never sends it a second time on its own; this class's own attempts are the only retries.
 */
public final class InstanceMetadata {

  public static final URI DEFAULT_ENDPOINT = URI.create("http://169.254.169.254");
  private static final int TRIES = 3;
  private static final String TOKEN = "X-aws-ec2-metadata-token";
  private static final String TOKEN_TTL = "X-aws-ec2-metadata-token-ttl-seconds";

  private final URI endpoint;
  private final boolean disabled;
  private final Duration timeout;
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
        String t = token();
        Answer resp = send("GET", "/latest/" + path, t == null ? null : TOKEN, t);
        if (resp.status() == 200) {
          return Optional.of(resp.body());
        }
        if (resp.status() == 404) {
          return Optional.empty();
        }
        if (resp.status() == 401) {
          token = null; // expired or rejected: fetch a new one
        }
        last = new IOException("instance metadata " + path + " answered HTTP " + resp.status());
      } catch (SocketTimeoutException e) {
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
        Answer resp = send("PUT", "/latest/api/token", TOKEN_TTL, "21600");
        int status = resp.status();
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
      } catch (SocketTimeoutException e) {
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

  /**
   * One request, never through a proxy; the body is read only for a 200 (a token, a region, a
   * credentials document). Not interruptible once sent, so an interrupt is honoured before sending;
   * the timeouts bound the rest.
   */
  private Answer send(String method, String path, String header, String value)
      throws IOException, InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    HttpURLConnection c =
        (HttpURLConnection) URI.create(endpoint + path).toURL().openConnection(Proxy.NO_PROXY);
    try {
      c.setAuthenticator(new Authenticator() {}); // no credentials; never a pooled connection
      c.setUseCaches(false);
      c.setInstanceFollowRedirects(false);
      int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
      c.setConnectTimeout(millis);
      c.setReadTimeout(millis);
      c.setRequestMethod(method);
      c.setRequestProperty("Connection", "close");
      if (header != null) {
        c.setRequestProperty(header, value);
      }
      if (method.equals("PUT")) {
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(0);
        try (OutputStream out = c.getOutputStream()) {
          // no body: Content-Length: 0
        }
      }
      int status = c.getResponseCode();
      if (status != 200) {
        return new Answer(status, "");
      }
      try (InputStream in = c.getInputStream()) {
        return new Answer(status, readBounded(in, System.nanoTime() + timeout.toNanos()));
      }
    } finally {
      c.disconnect();
    }
  }

  /** The largest answer read: a token, a region or a credentials document is well under 4 KiB. */
  static final int MAX_ANSWER = 64 * 1024;

  /**
   * The body, refused beyond {@link #MAX_ANSWER} and beyond the request's timeout as a whole (the
   * read timeout alone bounds only each read, so a body trickling a byte at a time would not end).
   */
  static String readBounded(InputStream in, long deadlineNanos) throws IOException {
    return dev.hupd.bamboo.BoundedBody.read(
        in,
        -1,
        MAX_ANSWER,
        () -> {
          if (System.nanoTime() - deadlineNanos > 0) {
            throw new java.net.SocketTimeoutException(
                "instance metadata answer not complete in time");
          }
        });
  }

  private record Answer(int status, String body) {}
}
