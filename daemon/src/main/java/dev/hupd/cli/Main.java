package dev.hupd.cli;

import dev.hupd.config.CfnHupConfig;
import dev.hupd.config.HupdSettings;
import dev.hupd.host.Configuration;
import dev.hupd.host.Daemon;
import dev.hupd.host.Logging;
import dev.hupd.host.Signals;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code hupd}: a drop-in for cfn-hup. Without a sub-command it behaves like cfn-hup (poll in the
 * foreground; {@code --no-daemon} for one pass), so existing units and scripts keep working.
 */
@Command(
    name = "hupd",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Applies CloudFormation metadata changes to this host by running cfn-hup hooks.",
    subcommands = {
      RunCommand.class,
      OnceCommand.class,
      CheckCommand.class,
      StatusCommand.class,
      PushCommand.class,
      RolloutCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success (run: stopped by SIGTERM)",
      "1:runtime failure (once: an action failed or metadata could not be read)",
      "64:usage error",
      "75:another hupd holds the state folder",
      "78:invalid configuration or input",
      "130:interrupted (SIGINT)"
    })
public final class Main implements Callable<Integer> {

  @Option(
      names = {"-c", "--config"},
      scope = ScopeType.INHERIT,
      paramLabel = "DIR",
      description = "cfn-hup configuration folder (default: ${DEFAULT-VALUE})",
      defaultValue = "/etc/cfn")
  Path config;

  @Option(
      names = "--settings",
      scope = ScopeType.INHERIT,
      paramLabel = "FILE",
      description = "hupd settings file (default: /etc/hupd/hupd.conf, optional there)")
  Path settings;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "log at DEBUG")
  boolean verbose;

  @Option(names = "--no-daemon", description = "cfn-hup compatibility: same as 'hupd once'")
  boolean noDaemon;

  /** The environment commands read (credentials, region, proxy); tests pass their own. */
  final Map<String, String> env;

  public Main() {
    this(System.getenv());
  }

  Main(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  Configuration.Locations locations() {
    return new Configuration.Locations(
        config, Optional.ofNullable(settings).orElse(HupdSettings.DEFAULT_FILE), settings != null);
  }

  @Override
  public Integer call() {
    return new Daemon(locations(), verbose, System.getenv()).run(noDaemon);
  }

  public static void main(String[] args) {
    Signals.install(); // before anything else: a signal during start-up must not be fatal
    Logging.configure(false, Optional.empty());
    int code = commandLine(new Main()).execute(args);
    Logging.shutdown();
    System.exit(code);
  }

  /** The command line with hupd's exit codes for usage errors and crashes. */
  static CommandLine commandLine(Main main) {
    return new CommandLine(main)
        .setParameterExceptionHandler(
            (ex, ignored) -> {
              ex.getCommandLine().getErr().println("hupd: " + ex.getMessage());
              ex.getCommandLine().usage(ex.getCommandLine().getErr());
              return Daemon.EXIT_USAGE;
            })
        .setExecutionExceptionHandler(
            (ex, cmd, ignored) -> {
              org.slf4j.LoggerFactory.getLogger(Main.class)
                  .error("event=daemon.crashed reason=\"{}\"", ex.toString(), ex);
              return Daemon.EXIT_FAILURE;
            });
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"hupd " + (v == null ? "(development build)" : v)};
    }
  }

  static Path defaultConfigDir() {
    return CfnHupConfig.DEFAULT_DIRECTORY;
  }
}
