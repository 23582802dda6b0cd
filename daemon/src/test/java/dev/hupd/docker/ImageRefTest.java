package dev.hupd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Image references parsed with Docker's rules. */
class ImageRefTest {

  static final String DIGEST =
      "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      nullValues = "-",
      value = {
        "127.0.0.1:5000/tools/jdk:17@" + DIGEST + ", 127.0.0.1:5000, tools/jdk, 17, " + DIGEST,
        "127.0.0.1:5000/tools/jdk:17, 127.0.0.1:5000, tools/jdk, 17, -",
        "127.0.0.1:5000/tools/jdk, 127.0.0.1:5000, tools/jdk, latest, -",
        "repo@" + DIGEST + ", docker.io, repo, -, " + DIGEST,
        "repo:tag, docker.io, repo, tag, -",
        "repo, docker.io, repo, latest, -",
        "library/busybox:1.36, docker.io, library/busybox, 1.36, -",
        "team/app, docker.io, team/app, latest, -",
        "localhost/app:v1, localhost, app, v1, -",
        "registry.example.com/a/b/c:1.0_rc-2, registry.example.com, a/b/c, 1.0_rc-2, -",
        "localhost:5000/x, localhost:5000, x, latest, -",
        "my-reg.local:443/sub_dir/img__x:TAG, my-reg.local:443, sub_dir/img__x, TAG, -",
      })
  void parsesEachPart(String text, String registry, String repository, String tag, String digest) {
    ImageRef ref = ImageRef.parse(text);

    assertThat(ref.registry()).isEqualTo(registry);
    assertThat(ref.repository()).isEqualTo(repository);
    assertThat(ref.tag()).isEqualTo(Optional.ofNullable(tag));
    assertThat(ref.digest()).isEqualTo(Optional.ofNullable(digest));
  }

  @ParameterizedTest(name = "{0} -> fromImage {1}, asks for {2}")
  @CsvSource({
    "127.0.0.1:5000/tools/jdk:17@" + DIGEST + ", 127.0.0.1:5000/tools/jdk, " + DIGEST,
    "127.0.0.1:5000/tools/jdk, 127.0.0.1:5000/tools/jdk, latest",
    "library/busybox:1, busybox, 1",
    "team/app:2, team/app, 2",
  })
  void fromImageIsTheNameDockerdUses(String text, String fromImage, String tagOrDigest) {
    ImageRef ref = ImageRef.parse(text);

    assertThat(ref.fromImage()).isEqualTo(fromImage);
    assertThat(ref.tagOrDigest()).isEqualTo(tagOrDigest);
  }

  @Test
  void pinnedNameUsesTheDigestWhenThereIsOne() {
    assertThat(ImageRef.parse("127.0.0.1:5000/a:1@" + DIGEST).pinned())
        .isEqualTo("127.0.0.1:5000/a@" + DIGEST);
    assertThat(ImageRef.parse("127.0.0.1:5000/a:1").pinned()).isEqualTo("127.0.0.1:5000/a:1");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "127.0.0.1:5000/tools/jdk:17@" + DIGEST,
    "127.0.0.1:5000/tools/jdk:latest",
    "repo@" + DIGEST,
  })
  void toStringGivesBackWhatWasWritten(String text) {
    assertThat(ImageRef.parse(text)).hasToString(text);
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "repo@sha256:abc | digest \"sha256:abc\" is not valid; expected sha256: and 64",
        "repo@sha512:" + "ab" + " | digest",
        "repo@SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF | digest",
        "Repo:1 | repository path component \"Repo\"",
        "127.0.0.1:5000/Tools/jdk | repository path component \"Tools\"",
        "repo: | tag \"\" is not valid",
        "repo:a b | tag",
        "127.0.0.1:5000/ | has no repository",
        "a//b | repository path component \"\"",
        "repo:tag@ | digest \"\"",
        "-repo | repository path component \"-repo\"",
      })
  void rejectsWhatDockerWouldRejectNamingThePart(String text, String message) {
    assertThatThrownBy(() -> ImageRef.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message.strip());
  }

  @Test
  void rejectsEmptyText() {
    assertThatThrownBy(() -> ImageRef.parse(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> ImageRef.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tagLongerThan128IsRejected() {
    assertThatThrownBy(() -> ImageRef.parse("repo:" + "a".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ImageRef.parse("repo:" + "a".repeat(128)).tag()).contains("a".repeat(128));
  }
}
