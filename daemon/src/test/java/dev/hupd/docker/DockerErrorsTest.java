package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.docker.DockerException.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** dockerd's messages (as seen from 20.10 and CNCF distribution 2.8) mapped to kinds. */
class DockerErrorsTest {

  @ParameterizedTest(name = "pull, HTTP {0}: {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "500 | Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection"
            + " refused | REGISTRY_ERROR",
        "500 | Get \"https://r.example/v2/\": dial tcp: lookup r.example: no such host"
            + " | REGISTRY_ERROR",
        "500 | Get \"https://r:5000/v2/\": http: server gave HTTP response to HTTPS client"
            + " | REGISTRY_ERROR",
        "500 | received unexpected HTTP status: 503 Service Unavailable | REGISTRY_ERROR",
        "404 | manifest for 127.0.0.1:5000/x:1 not found: manifest unknown: manifest unknown"
            + " | NOT_FOUND",
        "404 | manifest for 127.0.0.1:5000/x@sha256:11 not found: manifest unknown | NOT_FOUND",
        "0 | manifest unknown | NOT_FOUND",
        "500 | Head \"http://r/v2/x/manifests/1\": unauthorized: authentication required"
            + " | UNAUTHORIZED",
        "0 | unauthorized: incorrect username or password | UNAUTHORIZED",
        "404 | pull access denied for x, repository does not exist or may require 'docker login'"
            + " | UNAUTHORIZED",
        "0 | write /var/lib/docker/tmp/GetImageBlob1: no space left on device | DISK_FULL",
        "0 | failed to register layer: Error processing tar file(exit status 1): write /x: no"
            + " space left on device | DISK_FULL",
        "0 | filesystem layer verification failed for digest sha256:aa | DIGEST_MISMATCH",
        "0 | manifest verification failed for digest sha256:aa | DIGEST_MISMATCH",
        "500 | something odd happened | OTHER",
        "409 | conflict | CONFLICT",
      })
  void pullMessagesDecide(int status, String message, Kind kind) {
    assertThat(DockerErrors.forPull(status, message)).isEqualTo(kind);
  }

  @ParameterizedTest(name = "HTTP {0}: {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "404 | No such container: abc | NOT_FOUND",
        "404 | no such image: x: No such image: x:latest | NOT_FOUND",
        "409 | conflict: unable to delete 2cb3 (must be forced) - image is being used | CONFLICT",
        "409 | Conflict. The container name \"/a\" is already in use | CONFLICT",
        "401 | unauthorized | UNAUTHORIZED",
        "500 | mkdir /var/lib/docker/x: no space left on device | DISK_FULL",
        "400 | OCI runtime create failed: exec: \"nope\": executable file not found in $PATH"
            + " | OTHER",
        "400 | client version 1.44 is too new. Maximum supported API version is 1.41 | OTHER",
        "500 | dial tcp 1.2.3.4:80: connection refused | OTHER",
      })
  void otherCallsGoByStatus(int status, String message, Kind kind) {
    assertThat(DockerErrors.forStatus(status, message)).isEqualTo(kind);
  }
}
