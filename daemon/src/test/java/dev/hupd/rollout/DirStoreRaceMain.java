package dev.hupd.rollout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One racer of {@link DirStoreTest}'s multi-process race: announces itself, waits until all racers
 * have, then tries to create every name and writes the names it won to {@code <out>/<agent>.won}.
 *
 * <p>Arguments: store root, agent id, number of racers, number of names, output folder.
 */
public final class DirStoreRaceMain {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private DirStoreRaceMain() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    String agent = args[1];
    int racers = Integer.parseInt(args[2]);
    int names = Integer.parseInt(args[3]);
    Path out = Path.of(args[4]);

    DirStore store = DirStore.open(root);
    awaitOthers(out, agent, racers);

    List<String> won = new ArrayList<>();
    for (int i = 0; i < names; i++) {
      String name = name(i);
      try {
        store.create(name, value(agent, name));
        won.add(name);
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.ALREADY_EXISTS) {
          throw e;
        }
      }
    }
    Files.write(out.resolve(agent + ".won"), won);
  }

  /** The i-th name all racers try to create. */
  static String name(int i) {
    return "/race/rev/" + (i % 7) + "/seat/" + i;
  }

  /** What {@code agent} writes to {@code name}: long enough that a torn write would show. */
  static String value(String agent, String name) {
    String head = "{\"agent\":\"" + agent + "\",\"name\":\"" + name + "\",\"pad\":\"";
    return head + agent.repeat((3_900 - head.length()) / agent.length()) + "\"}";
  }

  private static void awaitOthers(Path out, String agent, int racers)
      throws IOException, InterruptedException {
    Files.writeString(out.resolve(agent + ".ready"), agent);
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (countReady(out) < racers) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("the other racers did not start within " + START_TIMEOUT);
      }
      Thread.sleep(2);
    }
  }

  private static long countReady(Path out) throws IOException {
    try (var files = Files.list(out)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".ready")).count();
    }
  }
}
