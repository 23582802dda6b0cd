package dev.hupd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hupd.host.Daemon;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.rollout.Names;
import dev.hupd.rollout.Policy;
import dev.hupd.rollout.Publisher;
import dev.hupd.rollout.Records;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreContents;
import dev.hupd.rollout.StoreException;
import dev.hupd.source.SourceException;
import dev.hupd.source.StackDocument;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code hupd push FILE}: publishes a stack-shaped document as the fleet's next revision, after
 * checking it the way agents will read it (JSON, stack shape, rollout policy).
 */
@Command(
    name = "push",
    mixinStandardHelpOptions = true,
    description =
        "Publish FILE ({\"Resources\": {\"<Id>\": {\"Metadata\": {...}}}}) as the fleet's next"
            + " revision; prints 'revision N (gated|applied on sight|unchanged)'.")
final class PushCommand extends OperatorCommand {

  @ParentCommand Main parent;

  @Parameters(index = "0", paramLabel = "FILE", description = "the stack-shaped JSON document")
  Path file;

  @Option(names = "--message", paramLabel = "M", description = "a note for rollout status")
  String message = "";

  private String text;
  private Optional<Policy> policy = Optional.empty();

  @Override
  Main main() {
    return parent;
  }

  @Override
  boolean createsStore() {
    return true;
  }

  @Override
  void check(StoreOptions.Target target) throws CommandException {
    try {
      text = Files.readString(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw bad("no such file");
    } catch (IOException | RuntimeException e) {
      throw bad("cannot read it: " + e);
    }
    JsonNode root;
    try {
      root = Json.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
    checkShape(root);
    try {
      policy = Publisher.policyIn(root, target.rolloutPath().map(MetadataPath::text));
    } catch (Policy.PolicyException e) {
      throw bad("rollout policy: " + e.getMessage());
    }
  }

  /** Every resource must read as the file source reads it. */
  private void checkShape(JsonNode root) throws CommandException {
    if (!root.isObject() || !root.path("Resources").isObject()) {
      throw bad("field Resources must be an object of {\"<LogicalId>\": {\"Metadata\": {...}}}");
    }
    if (root.path("Resources").isEmpty()) {
      throw bad("field Resources holds no resource");
    }
    for (Iterator<String> ids = root.path("Resources").fieldNames(); ids.hasNext(); ) {
      try {
        StackDocument.describe(root, ids.next(), file.toString());
      } catch (SourceException e) {
        throw new CommandException(Daemon.EXIT_CONFIG, e.getMessage());
      }
    }
  }

  private CommandException bad(String why) {
    return new CommandException(Daemon.EXIT_CONFIG, file + ": " + why);
  }

  @Override
  int run(StoreOptions.Target target, RolloutStore store, PrintWriter out) throws StoreException {
    Names names = target.names();
    StoreContents contents = new StoreContents(store, names);
    String who = who(main().env);
    Publisher publisher = new Publisher(store, names, contents, System::currentTimeMillis, who);
    Publisher.Result result = publisher.publish(text, policy, 0, message);
    writeSource(store, names, contents, result, who);
    out.println("revision " + result.revision() + " (" + result.note() + ")");
    return Daemon.EXIT_OK;
  }

  /**
   * Points {@code source} at the pushed content, so a reader of the SSM source can follow the
   * pushes; skipped when it already does.
   */
  private void writeSource(
      RolloutStore store, Names names, StoreContents contents, Publisher.Result r, String who)
      throws StoreException {
    RolloutStore.Entry current = store.get(List.of(names.source())).get(names.source());
    if (current != null) {
      JsonNode old = Records.read(current.value());
      if (old.path("sha").asText().equals(r.sha()) && old.path("rev").asLong() == r.revision()) {
        return;
      }
    }
    long now = System.currentTimeMillis();
    ObjectNode rec =
        Records.envelope(
            "source", who, Long.toHexString(ThreadLocalRandom.current().nextLong()), now);
    rec.put("rev", r.revision());
    rec.put("sha", r.sha());
    rec.set("content", contents.store(Publisher.compact(text)));
    store.overwrite(names.source(), Records.write(rec));
  }
}
