package dev.hupd.bamboo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Secrets}: secret files are checked before they are believed, and never echoed. */
class SecretsTest {

  private static final String TOKEN = "NzY1NDMyMTA5ODc2OkJhbWJvb1Rva2VuRm9yVGVzdHM";

  @TempDir Path dir;

  private final long uid = new com.sun.security.auth.module.UnixSystem().getUid();

  private Path secretFile(String content, String mode) throws Exception {
    Path file = dir.resolve("bamboo.token");
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  private SecretException failure(Secret.Reader reader) {
    SecretException e = catchThrowableOfType(SecretException.class, reader::read);
    assertThat(e).as("read must fail").isNotNull();
    assertThat(e.getMessage()).doesNotContain(TOKEN);
    return e;
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"rw-------", "r--------"})
  void ownersOnlyFile_isRead(String mode) throws Exception {
    Path file = secretFile(TOKEN + "\n", mode);

    assertThat(Secrets.file(file).read()).isEqualTo(TOKEN);
  }

  static Stream<Arguments> singleLines() {
    return Stream.of(
        Arguments.of("no newline", TOKEN),
        Arguments.of("CRLF", TOKEN + "\r\n"),
        Arguments.of("trailing blank lines", TOKEN + "\n\n"),
        Arguments.of("surrounding blanks", " " + TOKEN + " \n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("singleLines")
  void singleLine_isReadWithoutItsLineBreak(String name, String content) throws Exception {
    assertThat(Secrets.file(secretFile(content, "rw-------")).read()).isEqualTo(TOKEN);
  }

  @Test
  void notUtf8_isRefusedWithoutTheContent() throws Exception {
    Path file = secretFile("", "rw-------");
    Files.write(file, new byte[] {'p', 'a', 't', (byte) 0xff, '\n'});

    assertThat(failure(Secrets.file(file)).getMessage())
        .isEqualTo("secret file " + file + " is not UTF-8 text");
  }

  @ParameterizedTest(name = "mode {0}")
  @CsvSource({"rw-r--r--, 0644", "rw-rw----, 0660", "rw-----w-, 0602", "rw----r--, 0604"})
  void groupOrOthersAccess_isRefusedNamingChmod(String mode, String octal) throws Exception {
    Path file = secretFile(TOKEN, mode);

    assertThat(failure(Secrets.file(file)).getMessage())
        .contains(file.toString())
        .contains("mode " + octal)
        .contains("chmod 600 " + file);
  }

  @Test
  void fileOwnedByAnotherUid_isRefusedNamingChown() throws Exception {
    Path file = secretFile(TOKEN, "rw-------");

    assertThat(failure(Secrets.file(file, () -> uid + 1)).getMessage())
        .contains(file.toString())
        .contains("owned by uid " + uid)
        .contains("chown " + (uid + 1) + " " + file);
  }

  @Test
  void fileChownedToAnotherUid_isRefused_whenRootCanChown() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(uid == 0, "only root can chown");
    Path file = secretFile(TOKEN, "rw-------");
    Files.setAttribute(file, "unix:uid", 4242);

    assertThat(failure(Secrets.file(file)).getMessage()).contains("owned by uid 4242");
  }

  @ParameterizedTest(name = "case {index}")
  @ValueSource(strings = {"", "\n", "  \n"})
  void emptyFile_isRefused(String content) throws Exception {
    Path file = secretFile(content, "rw-------");

    assertThat(failure(Secrets.file(file)).getMessage()).contains(file + " is empty");
  }

  @Test
  void twoLines_areRefused() throws Exception {
    Path file = secretFile(TOKEN + "\nsecond\n", "rw-------");

    assertThat(failure(Secrets.file(file)).getMessage())
        .contains(file.toString())
        .contains("more than one line")
        .doesNotContain("second");
  }

  @Test
  void missingFile_isRefusedNamingIt() {
    Path file = dir.resolve("absent.token");

    assertThat(failure(Secrets.file(file)).getMessage())
        .contains(file + " does not exist")
        .contains("chmod 600");
  }

  @Test
  void folder_isNotARegularFile() throws Exception {
    Path folder = Files.createDirectory(dir.resolve("folder"));
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));

    assertThat(failure(Secrets.file(folder)).getMessage()).contains("not a regular file");
  }

  @Test
  void symlink_isFollowedAndItsTargetChecked() throws Exception {
    Path target = secretFile(TOKEN + "\n", "rw-------");
    Path link = Files.createSymbolicLink(dir.resolve("link.token"), target);

    assertThat(Secrets.file(link).read()).isEqualTo(TOKEN);

    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(failure(Secrets.file(link)).getMessage())
        .contains(link + " (-> " + target.toRealPath() + ")")
        .contains("mode 0644");
  }

  @Test
  void danglingSymlink_isMissing() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link.token"), dir.resolve("gone"));

    assertThat(failure(Secrets.file(link)).getMessage())
        .contains("dangling symlink")
        .contains("does not exist");
  }

  @Test
  void reader_readsAgainOnRefresh() throws Exception {
    Path file = secretFile("first\n", "rw-------");
    Secret secret = Secrets.open("file:" + file, name -> () -> "unused");
    assertThat(secret.value()).isEqualTo("first");

    Files.writeString(file, "second\n");

    assertThat(secret.value()).isEqualTo("first");
    assertThat(secret.refresh()).isEqualTo("second");
    assertThat(secret.name()).isEqualTo("file:" + file);
    assertThat(secret.toString()).doesNotContain("first").doesNotContain("second");
  }

  @Test
  void open_ssmSpec_usesTheSsmReaderWithTheParameterName() throws Exception {
    Secret secret = Secrets.open("ssm:/ci/bamboo/token", name -> () -> "value of " + name);

    assertThat(secret.name()).isEqualTo("ssm:/ci/bamboo/token");
    assertThat(secret.value()).isEqualTo("value of /ci/bamboo/token");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {TOKEN, "file:", "ssm:", "vault:/x"})
  void open_otherForms_areRefusedWithoutRepeatingThem(String spec) {
    SecretException e =
        catchThrowableOfType(
            SecretException.class, () -> Secrets.open(spec, name -> () -> "unused"));

    assertThat(e.getMessage()).contains("file:<path> or ssm:<parameter name>");
    if (spec.length() > 8) {
      assertThat(e.getMessage()).doesNotContain(spec);
    }
  }
}
