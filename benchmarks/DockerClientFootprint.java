import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hupd.docker.ContainerSpec;
import dev.hupd.docker.DockerEngine;
import dev.hupd.host.Logging;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The whole-run measurement of machine-notes' Docker client table, with hupd's own client:
 * negotiate, list images, run one container from hupd-test/busybox:1 (network off, 64 MiB) and read
 * its output. Prints one key=value line: client_ms (the Docker work alone), rss_base (RSS after
 * logback and Jackson are loaded, as they are in hupd anyway), rss and hwm (peak) at the end.
 * docker-client.sh adds wall time and peak RSS of the whole process.
 */
public final class DockerClientFootprint {

  public static void main(String[] args) throws Exception {
    Logging.configure(false, Optional.empty());
    new ObjectMapper().readTree("{\"hupd\":[\"already\",{\"uses\":\"Jackson\"}]}");
    String base = status("VmRSS"); // what hupd pays anyway: JVM, logback, Jackson
    long start = System.nanoTime();
    try (DockerEngine docker =
        new DockerEngine(DockerEngine.DEFAULT_SOCKET, Duration.ofSeconds(30))) {
      String api = docker.negotiate();
      int images = docker.images(Map.of(), null).size();
      ContainerSpec spec =
          new ContainerSpec(
              "hupd-test/busybox:1",
              List.of("sh", "-c", "echo hello from busybox"),
              Map.of(),
              64L << 20,
              0,
              false,
              Map.of("dev.hupd.bench", "docker-client"),
              "");
      String id = docker.createContainer(spec);
      OptionalInt exit;
      String output;
      try {
        docker.start(id);
        exit = docker.waitExit(id, Duration.ofSeconds(30));
        output = docker.logs(id, 4096).strip();
      } finally {
        docker.removeContainer(id, true);
      }
      long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
      System.out.printf(
          "api=%s images=%d exit=%s output=\"%s\" client_ms=%d rss_base=%s rss=%s hwm=%s%n",
          api,
          images,
          exit.isPresent() ? exit.getAsInt() : "timeout",
          output,
          ms,
          base,
          status("VmRSS"),
          status("VmHWM"));
    }
  }

  /** A field of /proc/self/status in MiB, e.g. VmRSS. */
  private static String status(String field) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return String.format("%.1fMiB", kb / 1024.0);
      }
    }
    return "?";
  }
}
