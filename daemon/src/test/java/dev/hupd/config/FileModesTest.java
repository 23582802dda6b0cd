package dev.hupd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link FileModes}: a secret's file may be open to its owner only. */
class FileModesTest {

  @ParameterizedTest
  @CsvSource({
    "---------, false",
    "rw-------, false",
    "rwx------, false",
    "rw-r-----, true",
    "rw--w----, true",
    "rw---x---, true",
    "rw----r--, true",
    "rw-----w-, true",
    "rw------x, true"
  })
  void onlyTheOwnerMayHaveAnyPermission(String mode, boolean open) {
    assertThat(FileModes.groupOrOthersHaveAccess(PosixFilePermissions.fromString(mode)))
        .isEqualTo(open);
  }
}
