package dev.hupd.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Credentials for one registry, sent to dockerd as the {@code X-Registry-Auth} header of a pull.
 * {@link #toString()} masks the password, so a record logged by mistake leaks nothing.
 *
 * @param serverAddress the registry as dockerd should see it, e.g. {@code 127.0.0.1:5000}
 */
public record RegistryAuth(String username, String password, String serverAddress) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public RegistryAuth {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(serverAddress, "serverAddress");
  }

  /** The {@code X-Registry-Auth} value: URL-safe base64 of a JSON object, as dockerd decodes it. */
  public String header() {
    ObjectNode auth = JSON.createObjectNode();
    auth.put("username", username);
    auth.put("password", password);
    auth.put("serveraddress", serverAddress);
    return Base64.getUrlEncoder().encodeToString(auth.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The credentials that a Docker CLI {@code config.json} holds for {@code registry} under {@code
   * auths}, either as {@code auth} (base64 of {@code user:password}) or as {@code username} and
   * {@code password}. Keys are matched on host[:port], so {@code https://host/v1/} counts.
   * Credential helpers ({@code credsStore}, {@code credHelpers}) and identity tokens are not
   * supported: such entries give no credentials.
   *
   * @return empty when the file does not exist or has no usable entry for the registry
   * @throws IOException when the file cannot be read or is not the expected JSON; the message names
   *     the file and the key
   */
  public static Optional<RegistryAuth> fromDockerConfig(Path configJson, String registry)
      throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(configJson));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IOException(configJson + ": not readable as JSON: " + e.getMessage(), e);
    }
    JsonNode auths = root == null ? null : root.get("auths");
    if (auths == null || !auths.isObject()) {
      return Optional.empty();
    }
    String wanted = host(registry);
    for (Map.Entry<String, JsonNode> entry : auths.properties()) {
      if (host(entry.getKey()).equals(wanted)) {
        return fromEntry(configJson, entry.getKey(), entry.getValue(), registry);
      }
    }
    return Optional.empty();
  }

  private static Optional<RegistryAuth> fromEntry(
      Path file, String key, JsonNode entry, String registry) throws IOException {
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String pair;
      try {
        pair = new String(Base64.getMimeDecoder().decode(auth), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        pair = "";
      }
      int colon = pair.indexOf(':');
      if (colon <= 0) {
        throw new IOException(
            file + ": auths.\"" + key + "\".auth is not base64 of \"user:password\"");
      }
      return Optional.of(
          new RegistryAuth(pair.substring(0, colon), pair.substring(colon + 1), registry));
    }
    String user = entry.path("username").asText("");
    String password = entry.path("password").asText("");
    if (user.isEmpty() || password.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new RegistryAuth(user, password, registry));
  }

  /** host[:port] of a config key or registry name, lowercased; Docker Hub's aliases folded. */
  static String host(String keyOrRegistry) {
    String s = keyOrRegistry.strip().toLowerCase(Locale.ROOT);
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      s = s.substring(scheme + 3);
    }
    int slash = s.indexOf('/');
    if (slash >= 0) {
      s = s.substring(0, slash);
    }
    return switch (s) {
      case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> "docker.io";
      default -> s;
    };
  }

  @Override
  public String toString() {
    return "RegistryAuth[username="
        + username
        + ", password=****, serverAddress="
        + serverAddress
        + "]";
  }
}
