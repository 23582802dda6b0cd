package dev.hupd.testing;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * Command line for {@link FakeSsm#main}: starts the fake, prints one ready line, and serves until
 * stdin closes (or, with {@code --ignore-stdin}, until the process is killed, e.g. by SIGTERM).
 *
 * <pre>
 * --port N            listen on 127.0.0.1:N (default 0 = ephemeral)
 * --get-tps X         GetParameter(s)/GetParametersByPath quota, requests a second (default 40)
 * --put-tps X         PutParameter quota, requests a second (default 3)
 * --stale-ms N        reads see the newest version at least N ms old (default 0 = off)
 * --short-pages       GetParametersByPath pages of random size, NextToken still set
 * --seed N            seed of the random choices (default 1)
 * --ignore-stdin      keep running when stdin is closed, e.g. under "cmd &lt; /dev/null &amp;"
 * </pre>
 */
final class FakeSsmLauncher {

  static final String READY_PREFIX = "FakeSsm listening on ";

  private static final int USAGE_ERROR = 2;

  private FakeSsmLauncher() {}

  /** Runs until stdin reaches end of file; returns the process exit status. */
  static int run(String[] args, InputStream stdin, PrintStream out) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return USAGE_ERROR;
    }

    FakeSsmModel model =
        new FakeSsmModel()
            .getTps(options.getTps)
            .putTps(options.putTps)
            .staleReads(options.staleMs, 1.0)
            .shortPages(options.shortPages)
            .seed(options.seed);
    try (FakeSsm fake = FakeSsm.start(model, options.port)) {
      out.println(READY_PREFIX + fake.endpoint());
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
    double getTps = FakeSsmModel.DEFAULT_GET_TPS;
    double putTps = FakeSsmModel.DEFAULT_PUT_TPS;
    long staleMs;
    boolean shortPages;
    long seed = 1;
    boolean ignoreStdin;

    static Options parse(String[] args) {
      Options options = new Options();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--port" -> options.port = Integer.parseInt(value(args, ++i, "--port"));
          case "--get-tps" -> options.getTps = rate(value(args, ++i, "--get-tps"), "--get-tps");
          case "--put-tps" -> options.putTps = rate(value(args, ++i, "--put-tps"), "--put-tps");
          case "--stale-ms" -> options.staleMs = Long.parseLong(value(args, ++i, "--stale-ms"));
          case "--short-pages" -> options.shortPages = true;
          case "--seed" -> options.seed = Long.parseLong(value(args, ++i, "--seed"));
          case "--ignore-stdin" -> options.ignoreStdin = true;
          default ->
              throw new IllegalArgumentException(
                  "unknown argument '"
                      + args[i]
                      + "'; expected --port N, --get-tps X, --put-tps X, --stale-ms N, "
                      + "--short-pages, --seed N or --ignore-stdin");
        }
      }
      return options;
    }

    private static double rate(String text, String flag) {
      double rate = Double.parseDouble(text);
      if (!(rate > 0)) {
        throw new IllegalArgumentException(flag + " must be > 0 (or Infinity), got " + text);
      }
      return rate;
    }

    private static String value(String[] args, int index, String flag) {
      if (index >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return args[index];
    }
  }
}
