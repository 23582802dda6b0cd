package dev.hupd.testing;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Command line for {@link FakeCloudFormation#main}: starts the fake, prints one ready line, and
 * serves until stdin closes (or, with {@code --ignore-stdin}, until the process is killed).
 *
 * <pre>
 * --port N            listen on 127.0.0.1:N (default 0 = ephemeral)
 * --stack NAME        stack name (default agents-stack)
 * --stack-file FILE   load a stack file (see FakeCloudFormation#loadStackFile)
 * --metadata-dir DIR  serve DIR/&lt;LogicalId&gt;.json as Metadata, re-read every 200 ms
 * --ignore-stdin      keep running when stdin is closed, e.g. under "cmd &lt; /dev/null &amp;"
 * </pre>
 */
final class FakeCloudFormationLauncher {

  static final Duration RELOAD_PERIOD = Duration.ofMillis(200);
  static final String READY_PREFIX = "FakeCloudFormation listening on ";

  private static final int USAGE_ERROR = 2;

  private FakeCloudFormationLauncher() {}

  /** Runs until stdin reaches end of file; returns the process exit status. */
  static int run(String[] args, InputStream stdin, PrintStream out) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return USAGE_ERROR;
    }

    try (FakeCloudFormation fake = FakeCloudFormation.start(options.port)) {
      MetadataDirWatcher watcher = configure(fake, options);
      try {
        out.println(READY_PREFIX + fake.endpoint());
        out.flush();
        waitForEnd(stdin, options.ignoreStdin);
      } finally {
        if (watcher != null) {
          watcher.close();
        }
      }
    }
    return 0;
  }

  private static MetadataDirWatcher configure(FakeCloudFormation fake, Options options)
      throws Exception {
    if (options.stack != null) {
      fake.stack(options.stack);
    }
    if (options.stackFile != null) {
      fake.loadStackFile(options.stackFile);
    }
    if (options.metadataDir == null) {
      return null;
    }
    return MetadataDirWatcher.start(fake, options.metadataDir, RELOAD_PERIOD);
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
    String stack;
    Path stackFile;
    Path metadataDir;
    boolean ignoreStdin;

    static Options parse(String[] args) {
      Options options = new Options();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--port" -> options.port = Integer.parseInt(value(args, ++i, "--port"));
          case "--stack" -> options.stack = value(args, ++i, "--stack");
          case "--stack-file" -> options.stackFile = Path.of(value(args, ++i, "--stack-file"));
          case "--metadata-dir" ->
              options.metadataDir = Path.of(value(args, ++i, "--metadata-dir"));
          case "--ignore-stdin" -> options.ignoreStdin = true;
          default ->
              throw new IllegalArgumentException(
                  "unknown argument '"
                      + args[i]
                      + "'; expected --port N, --stack NAME, "
                      + "--stack-file FILE, --metadata-dir DIR or --ignore-stdin");
        }
      }
      return options;
    }

    private static String value(String[] args, int index, String flag) {
      if (index >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return args[index];
    }
  }
}
