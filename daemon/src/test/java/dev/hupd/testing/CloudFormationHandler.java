package dev.hupd.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one HTTP exchange as CloudFormation's Query endpoint does: parameters from the query
 * string and/or a form body, {@code Action} picks the operation, {@code ContentType=JSON} picks
 * JSON over XML. Each request is recorded, then delayed and faulted as the switches say.
 */
final class CloudFormationHandler implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(CloudFormationHandler.class);

  private final FakeStack stack;
  private final FaultSwitches faults;
  private final Consumer<RecordedRequest> recorder;

  CloudFormationHandler(FakeStack stack, FaultSwitches faults, Consumer<RecordedRequest> recorder) {
    this.stack = stack;
    this.faults = faults;
    this.recorder = recorder;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      RecordedRequest request = record(exchange);
      if (!HttpExchanges.sleep(faults.delay()) || faults.takeDrop()) {
        HttpExchanges.dropConnection(exchange);
        return;
      }
      reply(exchange, request);
    } catch (RuntimeException | IOException e) {
      log.warn("fake CloudFormation failed to answer error={}", e.toString());
      throw e;
    }
  }

  private RecordedRequest record(HttpExchange exchange) throws IOException {
    String body = HttpExchanges.readBody(exchange);
    Map<String, String> params = new LinkedHashMap<>();
    HttpExchanges.decodeForm(exchange.getRequestURI().getRawQuery(), params);
    if (isForm(exchange)) {
      HttpExchanges.decodeForm(body, params);
    }
    RecordedRequest request =
        RecordedRequest.of(
            exchange.getRequestMethod(),
            exchange.getRequestURI().getPath(),
            params,
            HttpExchanges.lowerCaseHeaders(exchange.getRequestHeaders()),
            body);
    recorder.accept(request);
    return request;
  }

  private void reply(HttpExchange exchange, RecordedRequest request) throws IOException {
    CfnWireFormat format = CfnWireFormat.of(request.protocol());
    String requestId = UUID.randomUUID().toString();
    exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
    try {
      Optional<CfnServiceError> fault = faults.takeError(request.action(), stack.stackId());
      if (fault.isPresent()) {
        throw fault.get();
      }
      String body = answer(request, format, requestId);
      HttpExchanges.send(exchange, 200, format.contentType(), body);
    } catch (CfnServiceError error) {
      String body = format.error(error, requestId);
      HttpExchanges.send(exchange, error.httpStatus(), format.contentType(), body);
    }
  }

  private String answer(RecordedRequest request, CfnWireFormat format, String requestId) {
    String action = request.action();
    if (action == null) {
      throw CfnServiceError.missingAction();
    }
    switch (action) {
      case "DescribeStackResource":
        ResourceSnapshot resource =
            stack.describe(
                required(request, "StackName", "stackName"),
                required(request, "LogicalResourceId", "logicalResourceId"));
        return format.describeStackResource(resource, requestId);
      case "DescribeStackResources":
        List<ResourceSnapshot> resources =
            stack.describeAll(
                request.stackName(),
                request.params().get("PhysicalResourceId"),
                request.logicalId());
        return format.describeStackResources(resources, requestId);
      default:
        throw CfnServiceError.invalidAction(action);
    }
  }

  private static String required(RecordedRequest request, String param, String memberName) {
    String value = request.params().get(param);
    if (value == null || value.isEmpty()) {
      throw CfnServiceError.missingParameter(memberName);
    }
    return value;
  }

  private static boolean isForm(HttpExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    return type != null && type.startsWith("application/x-www-form-urlencoded");
  }
}
