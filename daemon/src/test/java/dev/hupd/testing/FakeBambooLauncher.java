package dev.hupd.testing;

import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Command line for {@link FakeBamboo#main}: starts the fake, prints one ready line, and serves
 * until stdin closes (or, with {@code --ignore-stdin}, until the process is killed, e.g. by
 * SIGTERM).
 *
 * <pre>
 * --port N                 listen on 127.0.0.1:N (default 0 = ephemeral)
 * --print-port             print only the port number as the ready line
 * --manual-approval        remote agent authentication on
 * --security-token T       security token verification on, with token T
 * --bamboo-version V       the server version, e.g. 8.2.1 (default 9.6.2)
 * --token T                one more admin personal access token (repeatable)
 * --heartbeat-timeout-ms N agents without a heartbeat for N ms go offline (default 600000)
 * --ignore-stdin           keep running when stdin is closed
 * </pre>
 */
final class FakeBambooLauncher {

  static final String READY_PREFIX = "FakeBamboo listening on ";

  private static final int USAGE_ERROR = 2;

  private FakeBambooLauncher() {}

  /** Runs until stdin reaches end of file; returns the process exit status. */
  static int run(String[] args, InputStream stdin, PrintStream out) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return USAGE_ERROR;
    }

    FakeBambooModel model =
        new FakeBambooModel()
            .setManualApproval(options.manualApproval)
            .setSecurityToken(options.securityToken)
            .setVersion(options.version)
            .heartbeatTimeout(options.heartbeatTimeout);
    options.tokens.forEach(model::addToken);
    try (FakeBamboo fake = FakeBamboo.start(model, options.port)) {
      out.println(
          options.printPort ? Integer.toString(fake.port()) : READY_PREFIX + fake.baseUrl());
      out.flush();
      waitForEnd(stdin, options.ignoreStdin);
    }
    return 0;
  }

  private static void waitForEnd(InputStream stdin, boolean ignoreStdin) throws Exception {
    if (ignoreStdin) {
      new CountDownLatch(1).await();
    }
    byte[] buffer = new byte[256];
    while (stdin.read(buffer) >= 0) {
      // Input is ignored; only its end matters.
    }
  }

  /** Parsed command-line flags. */
  private static final class Options {
    int port;
    boolean printPort;
    boolean manualApproval;
    Optional<String> securityToken = Optional.empty();
    String version = FakeBambooModel.DEFAULT_VERSION;
    final List<String> tokens = new ArrayList<>();
    Duration heartbeatTimeout = FakeBambooModel.DEFAULT_HEARTBEAT_TIMEOUT;
    boolean ignoreStdin;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--port" -> o.port = Integer.parseInt(value(args, ++i, "--port"));
          case "--print-port" -> o.printPort = true;
          case "--manual-approval" -> o.manualApproval = true;
          case "--security-token" ->
              o.securityToken = Optional.of(value(args, ++i, "--security-token"));
          case "--bamboo-version" -> {
            o.version = value(args, ++i, "--bamboo-version");
            FakeBambooModel.parseVersion(o.version);
          }
          case "--token" -> o.tokens.add(value(args, ++i, "--token"));
          case "--heartbeat-timeout-ms" ->
              o.heartbeatTimeout =
                  Duration.ofMillis(Long.parseLong(value(args, ++i, "--heartbeat-timeout-ms")));
          case "--ignore-stdin" -> o.ignoreStdin = true;
          default ->
              throw new IllegalArgumentException(
                  "unknown argument '"
                      + args[i]
                      + "'; expected --port N, --print-port, --manual-approval, "
                      + "--security-token T, --bamboo-version V, --token T, "
                      + "--heartbeat-timeout-ms N or --ignore-stdin");
        }
      }
      return o;
    }

    private static String value(String[] args, int index, String flag) {
      if (index >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return args[index];
    }
  }
}
