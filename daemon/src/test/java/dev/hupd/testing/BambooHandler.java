package dev.hupd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.hupd.testing.FakeBambooModel.Access;
import dev.hupd.testing.FakeBambooModel.Agent;
import dev.hupd.testing.FakeBambooModel.Capability;
import dev.hupd.testing.FakeBambooModel.Connect;
import dev.hupd.testing.FakeBambooModel.Connected;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one HTTP exchange for {@link FakeBamboo}: the REST API under {@code
 * /bamboo/rest/api/latest}, the agent-side and test-control endpoints under {@code /bamboo/_fake},
 * and a login page. Routes are path templates; the template is also the normalised path of the
 * request log.
 */
final class BambooHandler implements HttpHandler {

  static final String CONTEXT = "/bamboo";
  static final String REST_PREFIX = "/rest/api/";
  static final String FAKE_PREFIX = "/_fake";
  static final String LOGIN_PAGE = CONTEXT + "/userlogin.action";
  static final String JSON = "application/json";

  private static final Logger log = LoggerFactory.getLogger(BambooHandler.class);

  /** One request, its path split into percent-decoded segments below the API root. */
  private record Request(
      String method,
      List<String> segments,
      Map<String, String> query,
      Map<String, String> headers,
      String body,
      Map<String, String> vars) {

    long id() {
      String text = vars.get("id");
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw BambooServiceError.badRequest("agent id must be a number, got '" + text + "'");
      }
    }

    Optional<Boolean> flag(String name) {
      String value = query.get(name);
      return value == null || value.isEmpty()
          ? Optional.empty()
          : Optional.of(Boolean.parseBoolean(value));
    }

    JsonNode json() {
      if (body.isBlank()) {
        return JsonTexts.object();
      }
      String type = headers.getOrDefault("content-type", "");
      if (!type.toLowerCase(java.util.Locale.ROOT).startsWith(JSON)) {
        throw new BambooServiceError(415, "Content-Type must be application/json, got " + type);
      }
      try {
        return JsonTexts.parse(body);
      } catch (IllegalArgumentException e) {
        throw BambooServiceError.badRequest("request body is not JSON");
      }
    }
  }

  /** An answer: a status with an optional JSON body, a redirect, or a dropped connection. */
  private record Reply(int status, String contentType, String body, String location) {
    static final Reply DROP = new Reply(0, null, "", null);

    static Reply json(int status, Object node) {
      return new Reply(status, JSON, JsonTexts.write(node), null);
    }

    static Reply empty(int status) {
      return new Reply(status, null, "", null);
    }
  }

  private record Route(
      String method, String template, Access access, Function<Request, Reply> action) {

    List<String> parts() {
      return List.of(template.substring(1).split("/"));
    }
  }

  private final FakeBambooModel model;
  private final FakeBambooControl control;
  private final List<Route> rest;
  private final List<Route> fake;

  BambooHandler(FakeBambooModel model) {
    this.model = model;
    this.control = new FakeBambooControl(model);
    this.rest = restRoutes();
    this.fake = fakeRoutes();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String rawPath = exchange.getRequestURI().getRawPath();
      String rawQuery = exchange.getRequestURI().getRawQuery();
      Map<String, String> headers = HttpExchanges.lowerCaseHeaders(exchange.getRequestHeaders());
      String body = HttpExchanges.readBody(exchange);
      Map<String, String> query = new LinkedHashMap<>();
      HttpExchanges.decodeForm(rawQuery, query);

      String[] logged = {exchange.getRequestMethod(), rawPath};
      Reply reply = answer(exchange.getRequestMethod(), rawPath, query, headers, body, logged);
      send(exchange, reply);
      if (logged[1] != null) {
        String below = rawPath.startsWith(CONTEXT) ? rawPath.substring(CONTEXT.length()) : rawPath;
        String withQuery = rawQuery == null ? below : below + "?" + rawQuery;
        model.record(
            new FakeBambooModel.Call(logged[0], logged[1], withQuery, reply.status(), headers));
      }
    } catch (RuntimeException | IOException e) {
      log.warn("fake Bamboo failed to answer error={}", e.toString());
      throw e;
    }
  }

  /**
   * Routes and answers; sets {@code logged[1]} to the normalised path, or to null for test-control
   * calls, which stay out of the request log.
   */
  private Reply answer(
      String method,
      String rawPath,
      Map<String, String> query,
      Map<String, String> headers,
      String body,
      String[] logged) {
    if (rawPath.equals(LOGIN_PAGE)) {
      return new Reply(200, "text/html", "<html><body>Log in to Bamboo</body></html>", null);
    }
    if (!rawPath.startsWith(CONTEXT + "/")) {
      return error(404, "no resource at " + rawPath + " (the context path is " + CONTEXT + ")");
    }
    String path = rawPath.substring(CONTEXT.length());
    if (path.startsWith(FAKE_PREFIX + "/")) {
      return fake(method, path, query, headers, body, logged);
    }
    Optional<String> api = restPath(path);
    if (api.isEmpty()) {
      logged[1] = path;
      return error(404, "no resource at " + rawPath);
    }
    return restCall(method, api.get(), query, headers, body, logged);
  }

  /** {@code /rest/api/latest/agent/1.json} → {@code /agent/1}; a version number works too. */
  private static Optional<String> restPath(String path) {
    if (!path.startsWith(REST_PREFIX)) {
      return Optional.empty();
    }
    String rest = path.substring(REST_PREFIX.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    String version = rest.substring(0, slash);
    if (!version.equals("latest") && !version.matches("[0-9.]+")) {
      return Optional.empty();
    }
    String api = rest.substring(slash);
    return Optional.of(api.endsWith(".json") ? api.substring(0, api.length() - 5) : api);
  }

  private Reply restCall(
      String method,
      String api,
      Map<String, String> query,
      Map<String, String> headers,
      String body,
      String[] logged) {
    logged[1] = api;
    if (model.faults().redirectToLogin()) {
      return new Reply(302, null, "", LOGIN_PAGE + "?os_destination=" + api);
    }
    BambooFaults.Fault fault = model.faults().take(api);
    if (!HttpExchanges.sleep(fault.delay()) || fault.drop()) {
      return Reply.DROP;
    }
    if (fault.status() != 0) {
      return error(fault.status(), "injected fault");
    }

    List<String> segments = segments(api);
    Optional<Route> route = match(rest, method, segments);
    Optional<Map<String, String>> vars = route.map(r -> vars(r, segments));
    if (route.isEmpty()) {
      return error(404, "no resource at " + api);
    }
    logged[1] = route.get().template();
    if (!route.get().method().equals(method)) {
      return error(405, method + " is not allowed on " + route.get().template());
    }
    Request request = new Request(method, segments, query, headers, body, vars.get());
    try {
      model.authorize(headers.get("authorization"), route.get().access());
      return route.get().action().apply(request);
    } catch (BambooServiceError e) {
      return error(e.status(), e.getMessage());
    }
  }

  private Reply fake(
      String method,
      String path,
      Map<String, String> query,
      Map<String, String> headers,
      String body,
      String[] logged) {
    List<String> segments = segments(path);
    Optional<Route> route = match(fake, method, segments);
    if (route.isEmpty()) {
      logged[1] = path;
      return error(404, "no fake resource at " + path);
    }
    boolean agentSide =
        route.get().template().startsWith("/_fake/agents/")
            && !route.get().template().contains("{id}");
    logged[1] = agentSide ? route.get().template() : null;
    if (!route.get().method().equals(method)) {
      return error(405, method + " is not allowed on " + route.get().template());
    }
    if (agentSide) {
      BambooFaults.Fault fault = model.faults().take(path);
      if (!HttpExchanges.sleep(fault.delay()) || fault.drop()) {
        return Reply.DROP;
      }
      if (fault.status() != 0) {
        return error(fault.status(), "injected fault");
      }
    }
    Request request =
        new Request(method, segments, query, headers, body, vars(route.get(), segments));
    try {
      return route.get().action().apply(request);
    } catch (BambooServiceError e) {
      return error(e.status(), e.getMessage());
    } catch (IllegalStateException e) {
      return error(409, e.getMessage());
    } catch (IllegalArgumentException e) {
      return error(400, e.getMessage());
    }
  }

  // ---- routes

  private List<Route> restRoutes() {
    List<Route> routes = new ArrayList<>();
    routes.add(new Route("GET", "/info", Access.ANONYMOUS, r -> Reply.json(200, info())));
    routes.add(new Route("GET", "/status", Access.ANONYMOUS, r -> Reply.json(200, status())));
    routes.add(new Route("GET", "/server", Access.USER, r -> Reply.json(200, server())));
    routes.add(
        new Route("GET", "/agent/remote", Access.ADMIN, r -> list(model.remoteAgents(online(r)))));
    routes.add(new Route("GET", "/agent/authentication", Access.ADMIN, this::authentications));
    routes.add(new Route("PUT", "/agent/authentication/{uuid}", Access.ADMIN, this::approve));
    routes.add(new Route("GET", "/agent", Access.ADMIN, r -> list(model.agents(online(r)))));
    routes.add(new Route("GET", "/agent/{id}", Access.ADMIN, this::agentInformation));
    routes.add(new Route("DELETE", "/agent/{id}", Access.ADMIN, this::deleteAgent));
    routes.add(new Route("GET", "/agent/{id}/status", Access.ADMIN, this::agentStatus));
    routes.add(
        new Route(
            "PUT",
            "/agent/{id}/enable",
            Access.ADMIN,
            r -> Reply.json(200, agentJson(model.enable(r.id())))));
    routes.add(
        new Route(
            "PUT",
            "/agent/{id}/disable",
            Access.ADMIN,
            r -> Reply.json(200, agentJson(model.disable(r.id())))));
    routes.add(new Route("GET", "/agent/{id}/capability", Access.ADMIN, this::capabilities));
    routes.add(new Route("POST", "/agent/{id}/capability", Access.ADMIN, this::createCapability));
    routes.add(
        new Route("DELETE", "/agent/{id}/capability", Access.ADMIN, this::deleteCapabilities));
    routes.add(
        new Route("PUT", "/agent/{id}/capability/{key}", Access.ADMIN, this::updateCapability));
    routes.add(
        new Route("DELETE", "/agent/{id}/capability/{key}", Access.ADMIN, this::deleteCapability));
    return routes;
  }

  private List<Route> fakeRoutes() {
    List<Route> routes = new ArrayList<>();
    routes.add(route("POST", "/_fake/agents/connect", this::connect));
    routes.add(route("POST", "/_fake/agents/heartbeat", this::heartbeat));
    routes.add(route("POST", "/_fake/agents/disconnect", this::disconnect));
    routes.add(route("GET", "/_fake/agents", r -> Reply.json(200, control.agents())));
    routes.add(route("POST", "/_fake/agents/{id}/busy", this::busy));
    routes.add(route("GET", "/_fake/authentication", r -> Reply.json(200, control.auth())));
    routes.add(route("POST", "/_fake/server/state", r -> ok(control.serverState(r.json()))));
    routes.add(route("POST", "/_fake/settings", r -> ok(control.settings(r.json()))));
    routes.add(route("POST", "/_fake/faults", r -> ok(control.faults(r.json()))));
    routes.add(route("DELETE", "/_fake/faults", r -> ok(model.clearFaults())));
    routes.add(route("GET", "/_fake/requests", r -> Reply.json(200, control.requests())));
    routes.add(route("DELETE", "/_fake/requests", r -> clearRequests()));
    return routes;
  }

  private static Route route(String method, String template, Function<Request, Reply> action) {
    return new Route(method, template, Access.ANONYMOUS, action);
  }

  /**
   * The route whose template matches the segments, preferring one with this method; literal
   * segments win over {@code {var}} ones because the lists put them first.
   */
  private static Optional<Route> match(List<Route> routes, String method, List<String> segments) {
    Optional<Route> anyMethod = Optional.empty();
    for (Route route : routes) {
      if (!matches(route.parts(), segments)) {
        continue;
      }
      if (route.method().equals(method)) {
        return Optional.of(route);
      }
      anyMethod = anyMethod.or(() -> Optional.of(route));
    }
    return anyMethod;
  }

  private static boolean matches(List<String> parts, List<String> segments) {
    if (parts.size() != segments.size()) {
      return false;
    }
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      boolean variable = part.startsWith("{");
      if (!variable && !part.equals(segments.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, String> vars(Route route, List<String> segments) {
    Map<String, String> vars = new LinkedHashMap<>();
    List<String> parts = route.parts();
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      if (part.startsWith("{")) {
        vars.put(part.substring(1, part.length() - 1), segments.get(i));
      }
    }
    return vars;
  }

  // ---- REST answers

  private ObjectNode info() {
    FakeBambooModel.ServerInfo info = model.info();
    ObjectNode node = JsonTexts.object();
    node.put("version", info.version());
    node.put("edition", info.edition());
    node.put("buildDate", info.buildDate());
    node.put("buildNumber", info.buildNumber());
    node.put("state", info.state().name());
    return node;
  }

  private ObjectNode status() {
    ObjectNode node = JsonTexts.object();
    node.put("state", model.serverState().name());
    return node;
  }

  private ObjectNode server() {
    ObjectNode node = status();
    node.put("reindexInProgress", false);
    return node;
  }

  private static Optional<Boolean> online(Request r) {
    return r.flag("online");
  }

  private static Reply list(List<Agent> agents) {
    ArrayNode array = JsonTexts.MAPPER.createArrayNode();
    agents.forEach(a -> array.add(agentJson(a)));
    return Reply.json(200, array);
  }

  /** RestBuildAgent. */
  static ObjectNode agentJson(Agent a) {
    ObjectNode node = JsonTexts.object();
    node.put("id", a.id());
    node.put("name", a.name());
    node.put("type", a.type());
    node.put("active", a.active());
    node.put("enabled", a.enabled());
    node.put("busy", a.busy());
    return node;
  }

  /** RestAgentInformation: {@code general}, plus {@code capabilities} when expanded. */
  private Reply agentInformation(Request r) {
    Agent agent = model.agent(r.id());
    ObjectNode node = JsonTexts.object();
    node.set("general", agentJson(agent));
    String expand = r.query().getOrDefault("expand", "");
    if (List.of(expand.split(",")).contains("capabilities")) {
      node.set("capabilities", capabilityArray(model.capabilities(agent.id(), false), false));
    }
    if (!expand.isEmpty()) {
      node.put("expand", expand);
    }
    return Reply.json(200, node);
  }

  private Reply agentStatus(Request r) {
    ObjectNode node = JsonTexts.object();
    node.put("online", model.agent(r.id()).active());
    return Reply.json(200, node);
  }

  private Reply deleteAgent(Request r) {
    model.delete(r.id());
    return Reply.empty(204);
  }

  private Reply capabilities(Request r) {
    boolean includeShared = r.flag("includeShared").orElse(false);
    return Reply.json(200, capabilityArray(model.capabilities(r.id(), includeShared), true));
  }

  private static ArrayNode capabilityArray(List<Capability> capabilities, boolean withSource) {
    ArrayNode array = JsonTexts.MAPPER.createArrayNode();
    for (Capability c : capabilities) {
      ObjectNode node = array.addObject();
      node.put("key", c.key());
      node.put("value", c.value());
      if (withSource) {
        node.put("source", c.source().wireName());
      }
    }
    return array;
  }

  private Reply createCapability(Request r) {
    long id = r.id();
    JsonNode body = r.json();
    Capability created = model.createCapability(id, text(body, "key"), text(body, "value"));
    return Reply.json(201, capabilityArray(List.of(created), true).get(0));
  }

  private Reply updateCapability(Request r) {
    long id = r.id();
    String key = r.vars().get("key");
    JsonNode body = r.json();
    String bodyKey = text(body, "key");
    if (bodyKey != null && !bodyKey.equals(key)) {
      throw BambooServiceError.badRequest(
          "key in the body '" + bodyKey + "' differs from the key in the path '" + key + "'");
    }
    Capability updated = model.updateCapability(id, key, text(body, "value"));
    return Reply.json(200, capabilityArray(List.of(updated), true).get(0));
  }

  private Reply deleteCapability(Request r) {
    model.deleteCapability(r.id(), r.vars().get("key"));
    return Reply.empty(204);
  }

  private Reply deleteCapabilities(Request r) {
    model.deleteCapabilities(r.id());
    return Reply.empty(204);
  }

  private Reply authentications(Request r) {
    ArrayNode array = JsonTexts.MAPPER.createArrayNode();
    for (FakeBambooModel.Authentication a : model.authentications(r.flag("pending"))) {
      ObjectNode node = array.addObject();
      node.put("uuid", a.uuid());
      node.put("ip", a.ip());
      node.put("approved", a.approved());
      node.putArray("ipPatterns").add(a.ip());
    }
    return Reply.json(200, array);
  }

  private Reply approve(Request r) {
    model.approve(r.vars().get("uuid"));
    return Reply.empty(204);
  }

  // ---- agent-side and control answers

  private Reply connect(Request r) {
    JsonNode body = r.json();
    String uuid = required(body, "uuid");
    JsonNode id = body.path("id");
    Connect c =
        new Connect(
            uuid,
            id.isIntegralNumber() ? OptionalLong.of(id.asLong()) : OptionalLong.empty(),
            required(body, "name"),
            required(body, "ip"),
            Optional.ofNullable(text(body, "token")).filter(t -> !t.isEmpty()),
            stringMap(body.path("capabilities")),
            stringMap(body.path("autoCapabilities")));
    Connected connected = model.connect(c);
    ObjectNode node = JsonTexts.object();
    node.put("result", connected.outcome().wireName());
    connected.id().ifPresent(v -> node.put("id", v));
    connected.name().ifPresent(v -> node.put("name", v));
    return Reply.json(200, node);
  }

  private Reply heartbeat(Request r) {
    JsonNode body = r.json();
    JsonNode id = body.path("id");
    FakeBambooModel.Beat beat =
        model.heartbeat(
            required(body, "uuid"),
            id.isIntegralNumber() ? OptionalLong.of(id.asLong()) : OptionalLong.empty());
    ObjectNode node = JsonTexts.object();
    node.put("result", beat.wireName());
    return Reply.json(200, node);
  }

  private Reply disconnect(Request r) {
    JsonNode id = r.json().path("id");
    if (!id.isIntegralNumber()) {
      throw BambooServiceError.badRequest("disconnect needs a numeric id");
    }
    ObjectNode node = JsonTexts.object();
    node.put("result", model.disconnect(id.asLong()) ? "ok" : "unknown-id");
    return Reply.json(200, node);
  }

  private Reply busy(Request r) {
    JsonNode busy = r.json().path("busy");
    if (!busy.isBoolean()) {
      throw BambooServiceError.badRequest("busy needs {\"busy\":true|false}");
    }
    long id = r.id();
    if (model.findAgent(id).isEmpty()) {
      throw BambooServiceError.notFound("Agent with id " + id);
    }
    model.setBusy(id, busy.asBoolean());
    return Reply.json(200, agentJson(model.findAgent(id).orElseThrow()));
  }

  private Reply clearRequests() {
    model.clearRequests();
    return Reply.empty(204);
  }

  private static Reply ok(Object ignored) {
    return Reply.empty(204);
  }

  // ---- wire helpers

  /** Path segments, percent-decoded one by one ({@code +} stays a plus, {@code %2F} a slash). */
  static List<String> segments(String path) {
    List<String> segments = new ArrayList<>();
    for (String raw : path.substring(1).split("/", -1)) {
      segments.add(percentDecode(raw));
    }
    return segments;
  }

  static String percentDecode(String raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && isHex(raw, i + 1) && isHex(raw, i + 2)) {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(String s, int i) {
    return i < s.length() && Character.digit(s.charAt(i), 16) >= 0;
  }

  private static Reply error(int status, String message) {
    ObjectNode node = JsonTexts.object();
    node.put("message", message);
    node.put("status-code", status);
    return Reply.json(status, node);
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    if (reply.status() == 0) {
      HttpExchanges.dropConnection(exchange);
      return;
    }
    if (reply.location() != null) {
      exchange.getResponseHeaders().set("Location", reply.location());
    }
    HttpExchanges.send(exchange, reply.status(), reply.contentType(), reply.body());
  }

  private static String text(JsonNode body, String field) {
    JsonNode node = body.get(field);
    return node == null || node.isNull() ? null : node.asText();
  }

  private static String required(JsonNode body, String field) {
    String value = text(body, field);
    if (value == null) {
      throw BambooServiceError.badRequest("'" + field + "' is required");
    }
    return value;
  }

  private static Map<String, String> stringMap(JsonNode node) {
    Map<String, String> map = new LinkedHashMap<>();
    if (node.isObject()) {
      node.properties().forEach(f -> map.put(f.getKey(), f.getValue().asText()));
    }
    return map;
  }
}
