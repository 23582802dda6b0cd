package dev.hupd.cli;

import dev.hupd.host.Daemon;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code hupd once}: one pass, like {@code cfn-hup --no-daemon}, with an honest exit code. */
@Command(
    name = "once",
    mixinStandardHelpOptions = true,
    description =
        "Run one pass and exit: 0 when every action succeeded and all metadata was read, 1"
            + " otherwise.")
final class OnceCommand implements Callable<Integer> {

  @ParentCommand Main parent;

  @Override
  public Integer call() {
    return new Daemon(parent.locations(), parent.verbose, System.getenv()).run(true);
  }
}
