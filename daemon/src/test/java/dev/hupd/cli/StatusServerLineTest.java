package dev.hupd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hupd.config.HupdSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hupd status} names where the running daemon's status server listens, if anywhere. */
class StatusServerLineTest {

  @TempDir Path dir;

  HupdSettings settings(String body) throws Exception {
    Path file = dir.resolve("hupd.conf");
    Files.writeString(file, "[hupd]\n" + body);
    return HupdSettings.load(file, true);
  }

  @Test
  void theDefaultAddressIsShownAsAUrl() throws Exception {
    assertThat(StatusCommand.serverLine(settings("")))
        .hasValueSatisfying(l -> assertThat(l).startsWith("server: http://127.0.0.1:9779/status"));
  }

  @Test
  void portZeroPointsAtTheLog() throws Exception {
    assertThat(StatusCommand.serverLine(settings("status-listen = 127.0.0.1:0\n")))
        .hasValueSatisfying(
            l -> assertThat(l).contains("a free port on 127.0.0.1").contains("status.listening"));
  }

  @Test
  void offPrintsNothing() throws Exception {
    assertThat(StatusCommand.serverLine(settings("status-listen = off\n"))).isEmpty();
  }
}
