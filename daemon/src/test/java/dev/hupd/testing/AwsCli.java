package dev.hupd.testing;

import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's AWS CLI run against a loopback fake: a clean environment (static fake credentials, no
 * profile, proxy or instance metadata), the fake's endpoint and a fixed region, bounded in time.
 */
public final class AwsCli {

  public static final Path PATH = Path.of("/usr/bin/aws");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** One run's exit code and output. */
  public record Result(int exitCode, String stdout, String stderr) {}

  private final Path home;
  private final String accessKey;
  private final String secret;

  /**
   * @param home a scratch folder for the CLI's HOME, config files and output
   * @param accessKey the access key id the fake sees
   * @param secret a secret that is not real
   */
  public AwsCli(Path home, String accessKey, String secret) {
    this.home = home;
    this.accessKey = accessKey;
    this.secret = secret;
  }

  /** Fails the test with the install hint when the CLI is missing. */
  public static void requireInstalled() {
    if (!Files.isExecutable(PATH)) {
      fail(PATH + " is missing: install Debian's AWS CLI with `apt-get install -y awscli`");
    }
  }

  /** {@code aws SERVICE OPERATION ARGS --endpoint-url ENDPOINT --region REGION --output json}. */
  public Result run(
      Map<String, String> extraEnv,
      URI endpoint,
      String region,
      String service,
      String operation,
      List<String> args)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(PATH.toString(), service, operation));
    command.addAll(args);
    command.addAll(List.of("--endpoint-url", endpoint.toString(), "--region", region));
    command.addAll(List.of("--output", "json"));

    ProcessBuilder builder = new ProcessBuilder(command);
    cleanEnvironment(builder.environment());
    builder.environment().putAll(extraEnv);
    Path stdout = home.resolve("stdout.txt");
    Path stderr = home.resolve("stderr.txt");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));

    int exitCode = runBounded(builder.start());
    return new Result(
        exitCode,
        Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  /** Nothing from the caller's environment: no profile, proxy or real credentials leak in. */
  private void cleanEnvironment(Map<String, String> env) throws Exception {
    Path emptyConfig = Files.writeString(home.resolve("config"), "");
    Path emptyCredentials = Files.writeString(home.resolve("credentials"), "");
    env.clear();
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", home.toString());
    env.put("LANG", "C.UTF-8");
    env.put("AWS_ACCESS_KEY_ID", accessKey);
    env.put("AWS_SECRET_ACCESS_KEY", secret);
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", emptyConfig.toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", emptyCredentials.toString());
    env.put("AWS_PAGER", "");
    env.put("AWS_MAX_ATTEMPTS", "1");
    env.put("NO_PROXY", "127.0.0.1,localhost");
  }

  /** Waits at most {@link #TIMEOUT}; on timeout kills the CLI (and anything it started). */
  private static int runBounded(Process process) throws InterruptedException {
    if (process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      return process.exitValue();
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(5, TimeUnit.SECONDS);
    return fail("aws CLI (pid " + process.pid() + ") did not finish within " + TIMEOUT);
  }
}
