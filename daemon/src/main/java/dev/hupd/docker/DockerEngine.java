package dev.hupd.docker;

import static dev.hupd.docker.ApiPaths.containerId;
import static dev.hupd.docker.ApiPaths.filters;
import static dev.hupd.docker.ApiPaths.flag;
import static dev.hupd.docker.ApiPaths.imageName;
import static dev.hupd.docker.ApiPaths.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.docker.DockerException.Kind;
import dev.hupd.docker.UnixHttpClient.Body;
import dev.hupd.docker.UnixHttpClient.Request;
import dev.hupd.docker.UnixHttpClient.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Docker Engine API calls hupd needs to manage toolchain images and run verify containers, over
 * dockerd's Unix socket. Each call opens its own connection with its own deadline, so calls may run
 * concurrently and a stuck daemon costs a caller at most its timeout: a daemon that is down or
 * restarts mid-call gives {@link Kind#DAEMON_UNAVAILABLE}, a silent one {@link Kind#TIMEOUT}.
 *
 * <p>Paths are pinned to the API version agreed by {@link #negotiate()} (at most {@value
 * #MAX_API_VERSION}, what Debian 12's dockerd 20.10 speaks; newer daemons accept older versions,
 * older daemons refuse newer ones with HTTP 400). Any call negotiates first if needed.
 */
public final class DockerEngine implements AutoCloseable {

  public static final Path DEFAULT_SOCKET = Path.of("/var/run/docker.sock");

  /** The newest API version this client is written against. */
  public static final String MAX_API_VERSION = "1.41";

  /** The oldest that has everything used here ({@code NanoCpus}, JSON filters). */
  static final String MIN_API_VERSION = "1.25";

  private static final Logger log = LoggerFactory.getLogger(DockerEngine.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern VERSION = Pattern.compile("\\d+\\.\\d+");
  private static final int MAX_JSON_BYTES = 64 << 20;

  private final UnixHttpClient http;
  private final Duration requestTimeout;
  private volatile String apiPrefix;
  private volatile boolean closed;

  /**
   * @param socket dockerd's socket, usually {@link #DEFAULT_SOCKET}
   * @param requestTimeout deadline of every call that has no timeout parameter
   */
  public DockerEngine(Path socket, Duration requestTimeout) {
    this.http = new UnixHttpClient(socket);
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  public Path socket() {
    return http.socket();
  }

  /**
   * Asks dockerd for its API version ({@code GET /version}) and uses the lower of it and {@value
   * #MAX_API_VERSION} from now on.
   *
   * @return the version in use, e.g. {@code 1.41}
   */
  public String negotiate() throws DockerException {
    Call call = Call.of("read dockerd version", "GET", "/version", requestTimeout).unversioned();
    JsonNode version = exchange(call, DockerEngine::json);
    String server = version.path("ApiVersion").asText("");
    if (!VERSION.matcher(server).matches()) {
      throw new DockerException(
          Kind.OTHER, 200, "", "dockerd at " + socket() + " reported no API version: " + version);
    }
    String chosen = compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    if (compareVersions(chosen, MIN_API_VERSION) < 0) {
      throw new DockerException(
          Kind.OTHER,
          200,
          "",
          "dockerd at "
              + socket()
              + " speaks API "
              + server
              + "; at least "
              + MIN_API_VERSION
              + " is needed");
    }
    apiPrefix = "/v" + chosen;
    log.info(
        "event=docker.connected socket={} api={} engine={}",
        socket(),
        chosen,
        version.path("Version").asText("?"));
    return chosen;
  }

  /** {@code GET /images/{ref}/json}; empty when there is no such image. */
  public Optional<ImageInfo> inspectImage(String ref) throws DockerException {
    String path = "/images/" + imageName(ref) + "/json";
    try {
      JsonNode image =
          exchange(
              Call.of("inspect image " + ref, "GET", path, requestTimeout), DockerEngine::json);
      return Optional.of(ApiObjects.imageInfo(image, image.path("Config").path("Labels")));
    } catch (DockerException e) {
      if (e.status() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Pulls {@code ref} ({@code POST /images/create}) and returns the image as dockerd then has it.
   * With a digest, the digest is pulled (dockerd verifies the content against it) and the tag, if
   * any, is only informational, as with {@code docker pull}; the result is checked to carry the
   * digest. Progress is logged at DEBUG, the outcome at INFO.
   *
   * @param auth credentials for the registry, sent as {@code X-Registry-Auth} (never logged)
   * @param timeout deadline for the whole pull
   * @throws DockerException {@link Kind#NOT_FOUND} (no such repository, tag or manifest), {@link
   *     Kind#UNAUTHORIZED}, {@link Kind#REGISTRY_ERROR} (registry unreachable or failing), {@link
   *     Kind#DIGEST_MISMATCH}, {@link Kind#DISK_FULL}, {@link Kind#TIMEOUT}, ...
   */
  public ImageInfo pull(ImageRef ref, Optional<RegistryAuth> auth, Duration timeout)
      throws DockerException {
    return pull(ref, auth, timeout, () -> {});
  }

  /**
   * {@link #pull(ImageRef, Optional, Duration)}, calling {@code progress} for each progress line
   * the daemon streams.
   */
  public ImageInfo pull(
      ImageRef ref, Optional<RegistryAuth> auth, Duration timeout, Runnable progress)
      throws DockerException {
    String action = "pull " + ref;
    long started = System.nanoTime();
    String path = "/images/create" + query("fromImage", ref.fromImage(), "tag", ref.tagOrDigest());
    Map<String, String> headers =
        auth.map(a -> Map.of("X-Registry-Auth", a.header())).orElse(Map.of());
    Call call = Call.of(action, "POST", path, timeout).withHeaders(headers).forPull();

    Optional<String> error = progressCall(call, progress, this::logPull);
    if (error.isPresent()) {
      String message = error.get();
      throw new DockerException(
          DockerErrors.forPull(0, message), 0, message, action + ": " + message);
    }

    ImageInfo image = pulledImage(ref, action);
    log.info(
        "event=docker.pull image={} id={} digest={} duration={}ms",
        ref,
        image.id(),
        digestOf(image, ref).orElse("none"),
        Duration.ofNanos(System.nanoTime() - started).toMillis());
    return image;
  }

  private ImageInfo pulledImage(ImageRef ref, String action) throws DockerException {
    Optional<ImageInfo> image = inspectImage(ref.pinned());
    Kind missing = ref.digest().isPresent() ? Kind.DIGEST_MISMATCH : Kind.OTHER;
    if (image.isEmpty()) {
      throw new DockerException(
          missing, 0, "", action + ": dockerd reported success but has no image " + ref.pinned());
    }
    String wanted = ref.fromImage() + "@" + ref.digest().orElse("");
    if (ref.digest().isPresent() && !image.get().repoDigests().contains(wanted)) {
      throw new DockerException(
          Kind.DIGEST_MISMATCH,
          0,
          "",
          action
              + ": image "
              + image.get().id()
              + " has digests "
              + image.get().repoDigests()
              + ", expected "
              + wanted);
    }
    return image.get();
  }

  /** A call answered with a progress stream: each line to {@code each}, after {@code progress}. */
  private Optional<String> progressCall(
      Call call, Runnable progress, java.util.function.Consumer<JsonNode> each)
      throws DockerException {
    return exchange(
        call,
        r ->
            ProgressStream.read(
                r.body(),
                line -> {
                  progress.run();
                  each.accept(line);
                }));
  }

  private void logPull(JsonNode line) {
    String status = line.path("status").asText("");
    if (log.isDebugEnabled() && !status.equals("Downloading") && !status.equals("Extracting")) {
      log.debug(
          "event=docker.pull.progress status=\"{}\" layer={}", status, line.path("id").asText("-"));
    }
  }

  private static Optional<String> digestOf(ImageInfo image, ImageRef ref) {
    String prefix = ref.fromImage() + "@";
    return image.repoDigests().stream()
        .filter(d -> d.startsWith(prefix))
        .map(d -> d.substring(prefix.length()))
        .findFirst();
  }

  /**
   * Builds an image from {@code dockerfile} alone ({@code POST /build}; the context is a tar with
   * only the Dockerfile, so {@code COPY}/{@code ADD} of local files cannot work) and tags it.
   * Intermediate containers are removed even when a step fails.
   *
   * @param tag {@code repo:tag} to give the result
   * @return the new image's id, {@code sha256:…}
   */
  public String build(String dockerfile, String tag, Duration timeout) throws DockerException {
    return build(dockerfile, tag, timeout, () -> {});
  }

  /** {@link #build(String, String, Duration)}, calling {@code progress} for each build line. */
  public String build(String dockerfile, String tag, Duration timeout, Runnable progress)
      throws DockerException {
    String action = "build " + tag;
    long started = System.nanoTime();
    byte[] context =
        UstarWriter.singleFile("Dockerfile", dockerfile.getBytes(StandardCharsets.UTF_8));
    String path = "/build" + query("t", imageName(tag), "rm", "1", "forcerm", "1");
    Call call =
        Call.of(action, "POST", path, timeout).withBody(Body.bytes("application/x-tar", context));

    String[] id = {null};
    Optional<String> error = progressCall(call, progress, line -> buildLine(line, tag, id));
    if (error.isPresent()) {
      String message = error.get();
      throw new DockerException(
          DockerErrors.forStatus(0, message), 0, message, action + ": " + message);
    }

    String imageId = id[0] != null ? id[0] : builtImageId(tag, action);
    log.info(
        "event=docker.build tag={} id={} duration={}ms",
        tag,
        imageId,
        Duration.ofNanos(System.nanoTime() - started).toMillis());
    return imageId;
  }

  private static void buildLine(JsonNode line, String tag, String[] id) {
    String aux = line.path("aux").path("ID").asText("");
    if (!aux.isEmpty()) {
      id[0] = aux;
    }
    String text = line.path("stream").asText("").strip();
    if (!text.isEmpty()) {
      log.debug("event=docker.build.output tag={} line=\"{}\"", tag, text);
    }
  }

  /** Daemons before API 1.30 send no {@code aux} id line: ask for the tag instead. */
  private String builtImageId(String tag, String action) throws DockerException {
    return inspectImage(tag)
        .map(ImageInfo::id)
        .orElseThrow(
            () ->
                new DockerException(
                    Kind.OTHER, 0, "", action + ": dockerd reported success but has no " + tag));
  }

  /**
   * Creates (does not start) a container ({@code POST /containers/create}).
   *
   * @return the container id
   * @throws DockerException {@link Kind#NOT_FOUND} when the image is not local (nothing is pulled
   *     here), {@link Kind#CONFLICT} when the name is taken
   */
  public String createContainer(ContainerSpec spec) throws DockerException {
    String path = "/containers/create" + (spec.name().isEmpty() ? "" : query("name", spec.name()));
    byte[] body = ApiObjects.containerConfig(spec).toString().getBytes(StandardCharsets.UTF_8);
    Call call =
        Call.of("create container from " + spec.image(), "POST", path, requestTimeout)
            .withBody(Body.bytes("application/json", body));

    JsonNode created = exchange(call, DockerEngine::json);

    String id = created.path("Id").asText("");
    for (JsonNode warning : created.path("Warnings")) {
      log.warn("event=docker.container.warning container={} warning=\"{}\"", id, warning.asText());
    }
    log.debug("event=docker.container.created container={} image={}", id, spec.image());
    return id;
  }

  /** {@code POST /containers/{id}/start}; starting a running container is not an error. */
  public void start(String id) throws DockerException {
    String path = "/containers/" + containerId(id) + "/start";
    exchange(Call.of("start container " + id, "POST", path, requestTimeout), r -> null);
    log.debug("event=docker.container.started container={}", id);
  }

  /**
   * Waits until the container stops ({@code POST /containers/{id}/wait}).
   *
   * @return its exit code, or empty when {@code timeout} passed first (the container keeps running;
   *     kill it if it must stop). A dockerd that does not answer at all also ends in empty here;
   *     the kill that follows then fails with {@link Kind#TIMEOUT}.
   */
  public OptionalInt waitExit(String id, Duration timeout) throws DockerException {
    String path = "/containers/" + containerId(id) + "/wait";
    try {
      JsonNode result =
          exchange(Call.of("wait for container " + id, "POST", path, timeout), DockerEngine::json);
      String error = result.path("Error").path("Message").asText("");
      if (!error.isEmpty()) {
        throw new DockerException(
            Kind.OTHER, 200, error, "wait for container " + id + ": " + error);
      }
      return OptionalInt.of(result.path("StatusCode").asInt());
    } catch (DockerException e) {
      if (e.kind() == Kind.TIMEOUT) {
        return OptionalInt.empty();
      }
      throw e;
    }
  }

  /**
   * The container's stdout and stderr so far, interleaved, at most {@code maxBytes} bytes (the
   * first ones).
   */
  public String logs(String id, int maxBytes) throws DockerException {
    String path = "/containers/" + containerId(id) + "/logs" + query("stdout", "1", "stderr", "1");
    return exchange(
        Call.of("read logs of container " + id, "GET", path, requestTimeout),
        r -> LogFrames.read(r.body(), maxBytes));
  }

  /**
   * Sends SIGKILL ({@code POST /containers/{id}/kill}); a container that is not running is fine.
   */
  public void kill(String id) throws DockerException {
    String path = "/containers/" + containerId(id) + "/kill";
    try {
      exchange(Call.of("kill container " + id, "POST", path, requestTimeout), r -> null);
      log.debug("event=docker.container.killed container={}", id);
    } catch (DockerException e) {
      if (e.status() != 409 || !e.daemonMessage().contains("is not running")) {
        throw e;
      }
    }
  }

  /**
   * Removes a container and its anonymous volumes ({@code DELETE /containers/{id}}); one that is
   * already gone is fine.
   *
   * @param force kill it first if it is running
   */
  public void removeContainer(String id, boolean force) throws DockerException {
    String path = "/containers/" + containerId(id) + query("force", flag(force), "v", "1");
    try {
      exchange(Call.of("remove container " + id, "DELETE", path, requestTimeout), r -> null);
      log.debug("event=docker.container.removed container={}", id);
    } catch (DockerException e) {
      if (e.status() != 404) {
        throw e;
      }
    }
  }

  /**
   * Containers ({@code GET /containers/json}).
   *
   * @param all include stopped ones
   * @param labelFilter labels they must all carry; an empty value matches any value
   */
  public List<ContainerSummary> containers(boolean all, Map<String, String> labelFilter)
      throws DockerException {
    String path =
        "/containers/json" + query("all", flag(all), "filters", filters(labelFilter, null));
    JsonNode list =
        exchange(Call.of("list containers", "GET", path, requestTimeout), DockerEngine::json);
    List<ContainerSummary> result = new ArrayList<>();
    for (JsonNode c : list) {
      result.add(ApiObjects.containerSummary(c));
    }
    return result;
  }

  /**
   * Local images ({@code GET /images/json}), intermediate build layers left out.
   *
   * @param labelFilter labels they must all carry; an empty value matches any value
   * @param referenceFilter a name pattern such as {@code 127.0.0.1:5000/tools/*}; null or empty for
   *     all
   */
  public List<ImageInfo> images(Map<String, String> labelFilter, String referenceFilter)
      throws DockerException {
    String path = "/images/json" + query("filters", filters(labelFilter, referenceFilter));
    JsonNode list =
        exchange(Call.of("list images", "GET", path, requestTimeout), DockerEngine::json);
    List<ImageInfo> result = new ArrayList<>();
    for (JsonNode image : list) {
      result.add(ApiObjects.imageInfo(image, image.path("Labels")));
    }
    return result;
  }

  /** Gives an image another name ({@code POST /images/{image}/tag}). */
  public void tag(String imageIdOrRef, String repo, String tag) throws DockerException {
    String path =
        "/images/" + imageName(imageIdOrRef) + "/tag" + query("repo", imageName(repo), "tag", tag);
    exchange(
        Call.of("tag " + imageIdOrRef + " as " + repo + ":" + tag, "POST", path, requestTimeout),
        r -> null);
    log.info("event=docker.tag image={} name={}:{}", imageIdOrRef, repo, tag);
  }

  /**
   * Removes an image or one of its names ({@code DELETE /images/{ref}}); one that is already gone
   * is fine.
   *
   * @param force also when containers use it or it has several names
   * @param noprune keep untagged parent layers
   * @throws DockerException {@link Kind#CONFLICT} when it is in use and not forced
   */
  public void removeImage(String ref, boolean force, boolean noprune) throws DockerException {
    String path =
        "/images/" + imageName(ref) + query("force", flag(force), "noprune", flag(noprune));
    try {
      exchange(Call.of("remove image " + ref, "DELETE", path, requestTimeout), r -> null);
      log.info("event=docker.image.removed image={}", ref);
    } catch (DockerException e) {
      if (e.status() != 404) {
        throw e;
      }
    }
  }

  /** Makes later calls fail; there is no connection to release (each call has its own). */
  @Override
  public void close() {
    closed = true;
  }

  // ---- one exchange ----

  /** Reads a successful response's body. */
  @FunctionalInterface
  private interface BodyReader<T> {
    T read(Response response) throws IOException;
  }

  private <T> T exchange(Call call, BodyReader<T> reader) throws DockerException {
    if (closed) {
      throw new IllegalStateException("DockerEngine for " + socket() + " is closed");
    }
    String prefix = call.versioned ? prefix() : "";
    Request request = new Request(call.method, prefix + call.path, call.headers, call.body);
    try (Response response = http.send(request, call.timeout)) {
      if (response.status() >= 400) {
        throw DockerErrors.fromAnswer(call.action, call.pull, response);
      }
      return reader.read(response);
    } catch (IOException e) {
      throw DockerErrors.fromTransport(call.action, socket(), call.timeout, e);
    }
  }

  private String prefix() throws DockerException {
    String prefix = apiPrefix;
    if (prefix == null) {
      negotiate();
      prefix = apiPrefix;
    }
    return prefix;
  }

  private static JsonNode json(Response response) throws IOException {
    return JSON.readTree(response.readBody(MAX_JSON_BYTES));
  }

  /** What one API call needs besides the engine's state. */
  private record Call(
      String action,
      String method,
      String path,
      Body body,
      Map<String, String> headers,
      Duration timeout,
      boolean versioned,
      boolean pull) {

    static Call of(String action, String method, String path, Duration timeout) {
      return new Call(action, method, path, Body.empty(), Map.of(), timeout, true, false);
    }

    Call withBody(Body b) {
      return new Call(action, method, path, b, headers, timeout, versioned, pull);
    }

    Call withHeaders(Map<String, String> h) {
      return new Call(action, method, path, body, h, timeout, versioned, pull);
    }

    Call unversioned() {
      return new Call(action, method, path, body, headers, timeout, false, pull);
    }

    Call forPull() {
      return new Call(action, method, path, body, headers, timeout, versioned, true);
    }
  }

  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    int major = Integer.compare(Integer.parseInt(x[0]), Integer.parseInt(y[0]));
    return major != 0 ? major : Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1]));
  }
}
