package dev.hupd.testing;

import java.util.Map;

/**
 * One request as {@link FakeInstanceMetadata} received it.
 *
 * @param method {@code GET} for data, {@code PUT} for a session token
 * @param path the request path, e.g. {@code /latest/meta-data/instance-id}
 * @param headers request headers, names lower-cased
 */
public record ImdsRequest(String method, String path, Map<String, String> headers) {

  public ImdsRequest {
    headers = Map.copyOf(headers);
  }

  /** The IMDSv2 session token the caller sent, or null (an IMDSv1 call). */
  public String token() {
    return headers.get(FakeInstanceMetadata.TOKEN_HEADER);
  }
}
