package dev.hupd.cli;

import dev.hupd.host.Daemon;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code hupd run}: poll in the foreground until SIGTERM. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Poll in the foreground (never forks) until SIGTERM; SIGHUP reloads.")
final class RunCommand implements Callable<Integer> {

  @ParentCommand Main parent;

  @Override
  public Integer call() {
    return new Daemon(parent.locations(), parent.verbose, System.getenv()).run(false);
  }
}
