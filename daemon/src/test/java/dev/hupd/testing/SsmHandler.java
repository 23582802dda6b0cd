package dev.hupd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.hupd.testing.FakeSsmModel.Operation;
import dev.hupd.testing.FakeSsmModel.Parameter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one HTTP exchange as SSM's AWS JSON 1.1 endpoint does: {@code POST /} with the operation
 * in {@code X-Amz-Target: AmazonSSM.<Op>} and the request as a JSON body; errors are a 4xx/5xx
 * status with {@code {"__type":"<Code>","message":"…"}} and an {@code x-amzn-ErrorType} header. The
 * caller id given to the model is the access key id of the SigV4 credential scope.
 */
final class SsmHandler implements HttpHandler {

  static final String CONTENT_TYPE = "application/x-amz-json-1.1";
  static final String TARGET_PREFIX = "AmazonSSM.";

  private static final Logger log = LoggerFactory.getLogger(SsmHandler.class);

  private final FakeSsmModel model;
  private final Supplier<Duration> delay;
  private final Consumer<FakeSsm.Request> recorder;
  private final Set<String> putsInFlight = ConcurrentHashMap.newKeySet();

  SsmHandler(FakeSsmModel model, Supplier<Duration> delay, Consumer<FakeSsm.Request> recorder) {
    this.model = model;
    this.delay = delay;
    this.recorder = recorder;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      FakeSsm.Request request =
          FakeSsm.Request.of(
              exchange.getRequestMethod(),
              HttpExchanges.lowerCaseHeaders(exchange.getRequestHeaders()),
              HttpExchanges.readBody(exchange));
      recorder.accept(request);
      reply(exchange, request);
    } catch (RuntimeException | IOException e) {
      log.warn("fake SSM failed to answer error={}", e.toString());
      throw e;
    }
  }

  private void reply(HttpExchange exchange, FakeSsm.Request request) throws IOException {
    exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
    try {
      Operation op = checkEnvelope(request);
      JsonNode body = parse(request.body());
      Optional<String> answer = answerReserved(op, request.accessKeyId(), body);
      if (answer.isEmpty()) {
        HttpExchanges.dropConnection(exchange);
        return;
      }
      HttpExchanges.send(exchange, 200, CONTENT_TYPE, answer.get());
    } catch (SsmServiceError error) {
      sendError(exchange, error);
    }
  }

  /**
   * Waits out the delay and answers, holding a PutParameter's name for the whole time, and
   * releasing it before the answer goes out (else the caller's next write could race the release).
   * Empty when interrupted, i.e. the server is stopping.
   */
  private Optional<String> answerReserved(Operation op, String caller, JsonNode body) {
    String reserved = op == Operation.PUT_PARAMETER ? reserve(text(body, "Name")) : null;
    try {
      if (!HttpExchanges.sleep(delay.get())) {
        return Optional.empty();
      }
      return Optional.of(JsonTexts.write(answer(op, caller, body)));
    } finally {
      if (reserved != null) {
        putsInFlight.remove(reserved);
      }
    }
  }

  /** POST, a known AmazonSSM target and a SigV4 signature, or the service's error for each. */
  private static Operation checkEnvelope(FakeSsm.Request request) {
    if (!"POST".equals(request.method())) {
      throw SsmServiceError.client("UnknownOperationException", null);
    }
    String target = request.target();
    Optional<Operation> op =
        target == null || !target.startsWith(TARGET_PREFIX)
            ? Optional.empty()
            : Operation.ofWireName(target.substring(TARGET_PREFIX.length()));
    if (op.isEmpty()) {
      throw SsmServiceError.client("UnknownOperationException", null);
    }
    if (request.accessKeyId() == null) {
      throw SsmServiceError.client(
          "MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    return op.get();
  }

  /** Two writes of one name at once: the later one is refused, as the service does. */
  private String reserve(String name) {
    if (name == null) {
      return null;
    }
    if (!putsInFlight.add(name)) {
      throw SsmServiceError.tooManyUpdates();
    }
    return name;
  }

  private JsonNode answer(Operation op, String caller, JsonNode body) {
    return switch (op) {
      case GET_PARAMETER -> getParameter(caller, body);
      case GET_PARAMETERS -> getParameters(caller, body);
      case GET_PARAMETERS_BY_PATH -> getParametersByPath(caller, body);
      case PUT_PARAMETER -> putParameter(caller, body);
      case DELETE_PARAMETER -> deleteParameter(caller, body);
      case DELETE_PARAMETERS -> deleteParameters(caller, body);
      case LABEL_PARAMETER_VERSION -> labelParameterVersion(caller, body);
      case GET_PARAMETER_HISTORY -> getParameterHistory(caller, body);
    };
  }

  private JsonNode getParameter(String caller, JsonNode body) {
    Parameter p = model.getParameter(caller, required(body, "Name"));
    ObjectNode out = JsonTexts.object();
    out.set("Parameter", parameter(p, decrypt(body)));
    return out;
  }

  private JsonNode getParameters(String caller, JsonNode body) {
    FakeSsmModel.Fetched fetched = model.getParameters(caller, strings(body, "Names"));
    ObjectNode out = JsonTexts.object();
    ArrayNode found = out.putArray("Parameters");
    fetched.parameters().forEach(p -> found.add(parameter(p, decrypt(body))));
    ArrayNode invalid = out.putArray("InvalidParameters");
    fetched.invalidParameters().forEach(invalid::add);
    return out;
  }

  private JsonNode getParametersByPath(String caller, JsonNode body) {
    JsonNode filters = body.get("ParameterFilters");
    if (filters != null && filters.size() > 0) {
      throw SsmServiceError.validation("the fake SSM does not model ParameterFilters");
    }
    FakeSsmModel.Page page =
        model.getParametersByPath(
            caller,
            required(body, "Path"),
            body.path("Recursive").asBoolean(false),
            integer(body, "MaxResults"),
            text(body, "NextToken"));
    return page(page, "Parameters", p -> parameter(p, decrypt(body)));
  }

  private JsonNode putParameter(String caller, JsonNode body) {
    JsonNode overwrite = body.get("Overwrite");
    FakeSsmModel.Written written =
        model.putParameter(
            caller,
            new FakeSsmModel.PutRequest(
                required(body, "Name"),
                required(body, "Value"),
                text(body, "Type"),
                overwrite == null || overwrite.isNull() ? null : overwrite.asBoolean(),
                text(body, "Tier"),
                text(body, "DataType")));
    ObjectNode out = JsonTexts.object();
    out.put("Version", written.version());
    out.put("Tier", written.tier());
    return out;
  }

  private JsonNode deleteParameter(String caller, JsonNode body) {
    model.deleteParameter(caller, required(body, "Name"));
    return JsonTexts.object();
  }

  private JsonNode deleteParameters(String caller, JsonNode body) {
    FakeSsmModel.Deleted deleted = model.deleteParameters(caller, strings(body, "Names"));
    ObjectNode out = JsonTexts.object();
    ArrayNode done = out.putArray("DeletedParameters");
    deleted.deletedParameters().forEach(done::add);
    ArrayNode invalid = out.putArray("InvalidParameters");
    deleted.invalidParameters().forEach(invalid::add);
    return out;
  }

  private JsonNode labelParameterVersion(String caller, JsonNode body) {
    JsonNode version = body.get("ParameterVersion");
    FakeSsmModel.Labelled labelled =
        model.labelParameterVersion(
            caller,
            required(body, "Name"),
            version == null || version.isNull() ? null : version.asLong(),
            strings(body, "Labels"));
    ObjectNode out = JsonTexts.object();
    ArrayNode invalid = out.putArray("InvalidLabels");
    labelled.invalidLabels().forEach(invalid::add);
    out.put("ParameterVersion", labelled.parameterVersion());
    return out;
  }

  private JsonNode getParameterHistory(String caller, JsonNode body) {
    FakeSsmModel.Page page =
        model.getParameterHistory(
            caller, required(body, "Name"), integer(body, "MaxResults"), text(body, "NextToken"));
    return page(page, "Parameters", p -> history(p, decrypt(body)));
  }

  // ---- answer shapes

  private static ObjectNode page(
      FakeSsmModel.Page page,
      String field,
      java.util.function.Function<Parameter, ObjectNode> shape) {
    ObjectNode out = JsonTexts.object();
    ArrayNode items = out.putArray(field);
    page.parameters().forEach(p -> items.add(shape.apply(p)));
    page.nextToken().ifPresent(token -> out.put("NextToken", token));
    return out;
  }

  /** The Parameter shape; LastModifiedDate is epoch seconds with a fraction, as SSM sends it. */
  private ObjectNode parameter(Parameter p, boolean decrypt) {
    ObjectNode node = JsonTexts.object();
    node.put("Name", p.name());
    node.put("Type", p.type());
    node.put("Value", value(p, decrypt));
    node.put("Version", p.version());
    p.selector().ifPresent(s -> node.put("Selector", s));
    node.put("LastModifiedDate", p.modifiedMs() / 1000.0);
    node.put("ARN", p.arn());
    node.put("DataType", p.dataType());
    return node;
  }

  private ObjectNode history(Parameter p, boolean decrypt) {
    ObjectNode node = JsonTexts.object();
    node.put("Name", p.name());
    node.put("Type", p.type());
    node.put("LastModifiedDate", p.modifiedMs() / 1000.0);
    node.put("Value", value(p, decrypt));
    node.put("Version", p.version());
    ArrayNode labels = node.putArray("Labels");
    p.labels().forEach(labels::add);
    node.put("Tier", p.tier());
    node.putArray("Policies");
    node.put("DataType", p.dataType());
    return node;
  }

  /** {@code WithDecryption}, false when absent, as in the service. */
  private static boolean decrypt(JsonNode body) {
    return body.path("WithDecryption").asBoolean(false);
  }

  /**
   * A SecureString read without WithDecryption shows a ciphertext, as the service's base64 KMS blob
   * does: stable per version, and never containing the value.
   */
  static String value(Parameter p, boolean decrypt) {
    if (decrypt || !p.type().equals("SecureString")) {
      return p.value();
    }
    String blob = "fake-kms:" + p.arn() + ":" + p.version();
    return "AQICAHj"
        + java.util.Base64.getEncoder()
            .encodeToString(blob.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static void sendError(HttpExchange exchange, SsmServiceError error) throws IOException {
    ObjectNode body = JsonTexts.object();
    body.put("__type", error.code());
    if (error.getMessage() != null) {
      body.put("message", error.getMessage());
    }
    exchange.getResponseHeaders().set("x-amzn-ErrorType", error.code());
    HttpExchanges.send(exchange, error.httpStatus(), CONTENT_TYPE, JsonTexts.write(body));
  }

  // ---- request fields

  private static JsonNode parse(String body) {
    if (body.isBlank()) {
      return JsonTexts.object();
    }
    try {
      JsonNode node = JsonTexts.parse(body);
      if (!node.isObject()) {
        throw new IllegalArgumentException("not an object");
      }
      return node;
    } catch (IllegalArgumentException e) {
      throw SsmServiceError.client("SerializationException", "Start of structure or map found");
    }
  }

  private static String required(JsonNode body, String field) {
    String value = text(body, field);
    if (value == null) {
      throw SsmServiceError.validation(
          "1 validation error detected: Value null at '"
              + Character.toLowerCase(field.charAt(0))
              + field.substring(1)
              + "' failed to satisfy constraint: Member must not be null");
    }
    return value;
  }

  private static String text(JsonNode body, String field) {
    JsonNode node = body.get(field);
    return node == null || node.isNull() ? null : node.asText();
  }

  private static Integer integer(JsonNode body, String field) {
    JsonNode node = body.get(field);
    return node == null || node.isNull() ? null : node.asInt();
  }

  private static List<String> strings(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || !node.isArray()) {
      return List.of();
    }
    List<String> values = new ArrayList<>();
    node.forEach(item -> values.add(item.asText()));
    return values;
  }
}
