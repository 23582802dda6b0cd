package dev.hupd.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.testing.HupdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status server of a real {@code hupd run} (file source, the agent-fleet example's hooks) on an
 * ephemeral loopback port: each endpoint answers, and {@code promtool check metrics} (Debian's
 * prometheus package, installed by .ci/setup) accepts {@code /metrics} without a remark.
 */
class StatusServerIT {

  static final Duration WAIT = Duration.ofSeconds(30);
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  static final Pattern LISTENING =
      Pattern.compile("event=status\\.listening address=127\\.0\\.0\\.1:(\\d+) ");

  @TempDir Path work;
  final HttpClient http =
      HttpClient.newBuilder().connectTimeout(WAIT).proxy(HttpClient.Builder.NO_PROXY).build();

  HupdProcess start() throws IOException {
    return DaemonProcessIT.runExample(work, Map.of());
  }

  int boundPort(HupdProcess hupd) throws InterruptedException {
    hupd.awaitLine("event=status.listening", WAIT);
    for (String line : hupd.lines()) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("no bound loopback port in the log:\n" + hupd.lines());
  }

  HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void endpointsAnswerAndPromtoolAcceptsTheMetrics() throws Exception {
    assertThat(PROMTOOL).as("promtool is installed by .ci/setup (Debian prometheus)").exists();
    try (HupdProcess hupd = start()) {
      int port = boundPort(hupd);
      assertThat(port).isPositive();
      hupd.awaitLine("event=daemon.ready", WAIT);
      hupd.awaitLine("hook=bamboo-capabilities", WAIT);

      HttpResponse<String> health = get(port, "/healthz");
      assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("ok\n");

      JsonNode status = new ObjectMapper().readTree(get(port, "/status").body());
      assertThat(status.path("pid").asLong()).isEqualTo(hupd.pid());
      assertThat(status.path("mode").asText()).isEqualTo("cfn-hup");
      assertThat(status.path("source").asText()).contains("metadata");
      assertThat(status.path("totals").path("passes").asLong()).isPositive();
      assertThat(status.path("hooks").path("values").asInt()).isPositive();

      String metrics = get(port, "/metrics").body();
      assertThat(metrics).contains("hupd_up 1\n").containsPattern("hupd_passes_total [1-9]");
      assertThat(metrics).contains("hupd_process_resident_memory_bytes ");
      PromtoolResult checked = promtoolCheck(metrics);
      assertThat(checked.output()).as("promtool check metrics said something").isEmpty();
      assertThat(checked.exit()).isZero();

      assertThat(get(port, "/nothing").statusCode()).isEqualTo(404);

      hupd.signal("TERM");
      assertThat(hupd.awaitExit(WAIT)).isZero();
    }
  }

  record PromtoolResult(int exit, List<String> output) {}

  /** {@code promtool check metrics < body}, stdout and stderr together, bounded in time. */
  PromtoolResult promtoolCheck(String body) throws Exception {
    Path input = work.resolve("metrics.txt");
    Files.writeString(input, body, StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(PROMTOOL.toString(), "check", "metrics")
            .redirectInput(input.toFile())
            .redirectErrorStream(true)
            .start();
    try {
      if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("promtool did not finish within " + WAIT);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new PromtoolResult(p.exitValue(), out.lines().filter(l -> !l.isBlank()).toList());
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }
}
