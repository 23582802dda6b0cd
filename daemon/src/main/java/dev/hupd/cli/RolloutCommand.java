package dev.hupd.cli;

import dev.hupd.host.Daemon;
import dev.hupd.rollout.Operator;
import dev.hupd.rollout.RolloutStatus;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hupd rollout}: look at and steer the fleet's canary-first rollout (docs/rollout.md §14).
 */
@Command(
    name = "rollout",
    mixinStandardHelpOptions = true,
    description = "Show or steer a revision's rollout (the newest unless --revision).",
    subcommands = {
      RolloutCommand.Status.class,
      RolloutCommand.Abort.class,
      RolloutCommand.Resume.class,
      RolloutCommand.Promote.class
    })
final class RolloutCommand implements Runnable {

  @ParentCommand Main parent;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "name a subcommand: status, abort, resume or promote");
  }

  /** Options every rollout subcommand shares. */
  abstract static class Sub extends OperatorCommand {
    @ParentCommand RolloutCommand rollout;

    @Option(names = "--revision", paramLabel = "R", description = "act on revision R")
    Long revision;

    @Override
    Main main() {
      return rollout.parent;
    }

    Optional<Long> revision() {
      return Optional.ofNullable(revision);
    }

    /** Prints what an action did, then the revision as it now reads. */
    int report(String did, Operator.Action a, PrintWriter out) {
      RolloutStatus s = a.status();
      out.println(
          "revision "
              + a.revision()
              + ": "
              + did
              + " (ctl/"
              + a.ctl()
              + ", was "
              + a.phaseBefore()
              + "); phase now "
              + StatusTable.phase(s));
      return Daemon.EXIT_OK;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show a revision's phase, canary seats, plan and waves.")
  static final class Status extends Sub {
    @Option(names = "--agents", description = "one line per agent (a paced scan)")
    boolean agents;

    @Option(names = "--json", description = "print the status as JSON")
    boolean json;

    @Override
    int run(StoreOptions.Target target, RolloutStore store, PrintWriter out)
        throws StoreException, Operator.Refused {
      RolloutStatus s = operator(target, store).status(revision(), agents);
      if (json) {
        out.println(s.toJson().toPrettyString());
      } else {
        StatusTable.render(s, System.currentTimeMillis()).forEach(out::println);
      }
      return Daemon.EXIT_OK;
    }
  }

  @Command(
      name = "abort",
      mixinStandardHelpOptions = true,
      description = "Halt a revision in an open phase; agents stop and roll back.")
  static final class Abort extends Sub {
    @Option(names = "--reason", paramLabel = "T", description = "why, for status")
    String reason = "";

    @Override
    int run(StoreOptions.Target target, RolloutStore store, PrintWriter out)
        throws StoreException, Operator.Refused {
      return report("aborted", operator(target, store).abort(revision(), reason), out);
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description =
          "Lift a halt: failed canary attempts are forgiven and follower failures count afresh.")
  static final class Resume extends Sub {
    @Override
    int run(StoreOptions.Target target, RolloutStore store, PrintWriter out)
        throws StoreException, Operator.Refused {
      return report("resumed", operator(target, store).resume(revision()), out);
    }
  }

  @Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description = "Approve a revision without waiting for its canaries.")
  static final class Promote extends Sub {
    @Option(names = "--force", description = "required after a canary failed")
    boolean force;

    @Override
    int run(StoreOptions.Target target, RolloutStore store, PrintWriter out)
        throws StoreException, Operator.Refused {
      return report("promoted", operator(target, store).promote(revision(), force), out);
    }
  }
}
