package dev.hupd.cli;

import dev.hupd.host.Daemon;
import dev.hupd.rollout.Operator;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command an operator runs against a fleet's store: resolves the store, runs, and turns every
 * failure into hupd's exit codes (1 store trouble, 64 usage, 78 bad input) with one message.
 */
abstract class OperatorCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin StoreOptions where;

  /** The top command: settings file and environment. */
  abstract Main main();

  /** Does the work; writes its result to {@code out}. */
  abstract int run(StoreOptions.Target target, RolloutStore store, PrintWriter out)
      throws CommandException, StoreException, Operator.Refused;

  /** Checks done before the store is opened (a bad input file never costs a store call). */
  void check(StoreOptions.Target target) throws CommandException {}

  /** Whether this command may start a new folder store (push does; the others only read one). */
  boolean createsStore() {
    return false;
  }

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String name = spec.qualifiedName(" ");
    try {
      StoreOptions.Target target = where.resolve(main().settings, main().env);
      check(target);
      if (target.store() instanceof dev.hupd.config.HupdSettings.Store.Dir d
          && !createsStore()
          && !java.nio.file.Files.isDirectory(d.path())) {
        throw new CommandException(
            Daemon.EXIT_CONFIG,
            "no fleet store at "
                + d.path()
                + " (agents create it when they start, hupd push when it publishes); check"
                + " --store or the settings' store");
      }
      try (RolloutStore store = target.open(main().env)) {
        return run(target, store, out);
      }
    } catch (CommandException e) {
      err.println(name + ": " + e.getMessage());
      return e.exitCode();
    } catch (Operator.Refused e) {
      err.println(name + ": " + e.getMessage());
      return Daemon.EXIT_CONFIG;
    } catch (StoreException e) {
      err.println(
          name
              + ": store "
              + e.kind().name().toLowerCase(java.util.Locale.ROOT)
              + ": "
              + e.getMessage());
      return e.kind() == StoreException.Kind.INVALID ? Daemon.EXIT_CONFIG : Daemon.EXIT_FAILURE;
    } finally {
      out.flush();
      err.flush();
    }
  }

  Operator operator(StoreOptions.Target target, RolloutStore store) throws StoreException {
    return new Operator(store, target.names(), System::currentTimeMillis, who(main().env));
  }

  /** {@code user@host} for records, read without any network lookup. */
  static String who(Map<String, String> env) {
    String user = env.getOrDefault("USER", System.getProperty("user.name", "unknown"));
    String host = env.get("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = Files.readString(Path.of("/etc/hostname")).strip();
      } catch (IOException | RuntimeException e) {
        host = "";
      }
    }
    return user + "@" + (host.isBlank() ? "localhost" : host);
  }
}
