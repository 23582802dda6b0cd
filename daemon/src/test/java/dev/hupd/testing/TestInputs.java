package dev.hupd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared real inputs, copied into the test resources under {@code inputs/}. */
final class TestInputs {

  private TestInputs() {}

  /** Input 04: an AWS sample whose LaunchTemplate carries a cfn-hup auto-reloader. */
  static Path input04() {
    return resourceDir("/inputs/04-awscfn-asg-multiaz-launchtemplate/metadata");
  }

  static String launchTemplateMetadata() {
    try {
      return Files.readString(input04().resolve("LaunchTemplate.json"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path resourceDir(String name) {
    URL url = TestInputs.class.getResource(name);
    if (url == null) {
      throw new IllegalStateException("test resource " + name + " is missing");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
