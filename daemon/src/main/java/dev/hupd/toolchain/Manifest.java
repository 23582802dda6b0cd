package dev.hupd.toolchain;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The toolchain manifest read from stack metadata (schema: {@code
 * docs/toolchain-manifest.schema.json}):
 *
 * <pre>
 * {"keep": 2,
 *  "toolchains": [
 *    {"name": "jdk17",
 *     "image": "registry.example.com/ci/jdk@sha256:…",
 *     "verify": {"command": ["java", "-version"], "exitCode": 0, "outputPattern": "17\\.",
 *                "timeoutSeconds": 60, "memoryMb": 256, "cpus": 1, "network": false},
 *     "capabilities": {"system.jdk.JDK 17": "/opt/java/openjdk/bin/java"},
 *     "build": "COPY …"}]}
 * </pre>
 *
 * @param keep images kept per toolchain, the active one included (at least 2: active + previous)
 * @param toolchains in manifest order
 */
public record Manifest(int keep, List<Toolchain> toolchains) {

  public static final int DEFAULT_KEEP = 2;

  /**
   * A Docker repository path component, at most 63 characters (so {@code hupd/<name>} is valid).
   */
  static final Pattern NAME = Pattern.compile("(?=.{1,63}$)[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");

  private static final int MAX_REFERENCE = 512;
  static final Pattern REFERENCE =
      Pattern.compile(
          "[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\\.[a-z0-9-]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
              + "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?");

  /** Thrown with every problem found, each naming the toolchain and field. */
  public static final class InvalidManifestException extends Exception {
    private final List<String> problems;

    InvalidManifestException(List<String> problems) {
      super(String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  /** An empty manifest: every toolchain hupd manages is retired. */
  public static Manifest empty() {
    return new Manifest(DEFAULT_KEEP, List.of());
  }

  public static Manifest parse(JsonNode node) throws InvalidManifestException {
    List<String> problems = new ArrayList<>();
    if (node == null || !node.isObject()) {
      throw new InvalidManifestException(
          List.of("manifest: must be an object {\"toolchains\": [...]}"));
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("keep") && !f.equals("toolchains")) {
        problems.add("manifest." + f + ": unknown field (expected keep, toolchains)");
      }
    }
    int keep = DEFAULT_KEEP;
    if (node.has("keep")) {
      JsonNode k = node.get("keep");
      if (!k.isInt() || k.intValue() < 2 || k.intValue() > 20) {
        problems.add(
            "manifest.keep: must be a whole number from 2 to 20 (active + previous at least)");
      } else {
        keep = k.intValue();
      }
    }
    JsonNode list = node.get("toolchains");
    List<Toolchain> toolchains = new ArrayList<>();
    if (list == null || !list.isArray()) {
      problems.add("manifest.toolchains: must be an array of toolchains");
    } else {
      Set<String> names = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        Optional<Toolchain> t = toolchain(list.get(i), i, problems);
        if (t.isPresent() && !names.add(t.get().name())) {
          problems.add(label(i, t.get().name()) + ".name: duplicate name");
        }
        t.ifPresent(toolchains::add);
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidManifestException(problems);
    }
    return new Manifest(keep, List.copyOf(toolchains));
  }

  private static String label(int i, String name) {
    return "toolchains[" + i + "]" + (name == null ? "" : " (" + name + ")");
  }

  private static Optional<Toolchain> toolchain(JsonNode t, int i, List<String> problems) {
    int before = problems.size();
    if (!t.isObject()) {
      problems.add(label(i, null) + ": must be an object");
      return Optional.empty();
    }
    String name = t.path("name").isTextual() ? t.get("name").textValue() : null;
    String at = label(i, name);
    for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of("name", "image", "verify", "capabilities", "build").contains(f)) {
        problems.add(
            at + "." + f + ": unknown field (expected name, image, verify, capabilities, build)");
      }
    }
    if (name == null || !NAME.matcher(name).matches()) {
      problems.add(
          at
              + ".name: must be a Docker repository name component of at most 63 characters:"
              + " lower-case letters and digits, separated by single . or _, double __, or dashes");
    }
    String image = t.path("image").isTextual() ? t.get("image").textValue() : null;
    if (image == null || image.length() > MAX_REFERENCE || !REFERENCE.matcher(image).matches()) {
      problems.add(
          at
              + ".image: must be an image reference such as registry.example.com/ci/jdk:17@sha256:<64 hex>");
    }
    Toolchain.Verify verify = verify(t.get("verify"), at, problems);
    Map<String, String> capabilities = new LinkedHashMap<>();
    JsonNode caps = t.get("capabilities");
    if (caps != null) {
      if (!caps.isObject()) {
        problems.add(at + ".capabilities: must be an object of capability key to string value");
      } else {
        caps.fields()
            .forEachRemaining(
                e -> {
                  if (!e.getValue().isTextual()) {
                    problems.add(at + ".capabilities." + e.getKey() + ": must be a string");
                  } else {
                    capabilities.put(e.getKey(), e.getValue().textValue());
                  }
                });
      }
    }
    Optional<String> build = Optional.empty();
    JsonNode b = t.get("build");
    if (b != null) {
      if (!b.isTextual() || b.textValue().isBlank()) {
        problems.add(
            at + ".build: must be Dockerfile lines as one string (applied FROM the pulled image)");
      } else if (b.textValue().lines().anyMatch(l -> l.strip().toUpperCase().startsWith("FROM"))) {
        problems.add(at + ".build: must not contain FROM (the pulled image is the base)");
      } else if (b.textValue().length() > 16384) {
        problems.add(at + ".build: longer than 16 KiB");
      } else {
        build = Optional.of(b.textValue());
      }
    }
    if (problems.size() > before) {
      return Optional.empty();
    }
    return Optional.of(new Toolchain(name, image, verify, Map.copyOf(capabilities), build));
  }

  private static Toolchain.Verify verify(JsonNode v, String at, List<String> problems) {
    if (v == null || !v.isObject()) {
      problems.add(at + ".verify: required object with at least \"command\"");
      return null;
    }
    for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of(
              "command",
              "exitCode",
              "outputPattern",
              "timeoutSeconds",
              "memoryMb",
              "cpus",
              "network")
          .contains(f)) {
        problems.add(
            at
                + ".verify."
                + f
                + ": unknown field (expected command, exitCode, outputPattern, timeoutSeconds, memoryMb, cpus, network)");
      }
    }
    List<String> command = new ArrayList<>();
    JsonNode c = v.get("command");
    if (c == null || !c.isArray() || c.isEmpty()) {
      problems.add(at + ".verify.command: must be a non-empty array of strings (argv)");
    } else {
      for (JsonNode arg : c) {
        if (!arg.isTextual()) {
          problems.add(at + ".verify.command: every element must be a string");
          break;
        }
        command.add(arg.textValue());
      }
    }
    int exitCode = intField(v, "exitCode", 0, 0, 255, at, problems);
    Optional<Pattern> pattern = Optional.empty();
    if (v.has("outputPattern")) {
      if (!v.get("outputPattern").isTextual()) {
        problems.add(at + ".verify.outputPattern: must be a string (a regular expression)");
      } else {
        try {
          pattern = Optional.of(Pattern.compile(v.get("outputPattern").textValue()));
        } catch (PatternSyntaxException e) {
          problems.add(
              at + ".verify.outputPattern: not a valid regular expression: " + e.getDescription());
        }
      }
    }
    int timeout = intField(v, "timeoutSeconds", 120, 1, 3600, at, problems);
    int memoryMb = intField(v, "memoryMb", 512, 6, 65536, at, problems);
    double cpus = 1.0;
    if (v.has("cpus")) {
      JsonNode n = v.get("cpus");
      if (!n.isNumber() || n.doubleValue() < 0.01 || n.doubleValue() > 64) {
        problems.add(at + ".verify.cpus: must be a number from 0.01 to 64");
      } else {
        cpus = n.doubleValue();
      }
    }
    boolean network = false;
    if (v.has("network")) {
      if (!v.get("network").isBoolean()) {
        problems.add(at + ".verify.network: must be true or false");
      } else {
        network = v.get("network").booleanValue();
      }
    }
    return new Toolchain.Verify(
        List.copyOf(command),
        exitCode,
        pattern,
        Duration.ofSeconds(timeout),
        memoryMb * 1024L * 1024L,
        Math.round(cpus * 1e9),
        network);
  }

  private static int intField(
      JsonNode v, String field, int dflt, int min, int max, String at, List<String> problems) {
    if (!v.has(field)) {
      return dflt;
    }
    JsonNode n = v.get(field);
    if (!n.isInt() || n.intValue() < min || n.intValue() > max) {
      problems.add(at + ".verify." + field + ": must be a whole number from " + min + " to " + max);
      return dflt;
    }
    return n.intValue();
  }
}
