package dev.hupd.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * cfn-hup's {@code credential-file}: lines {@code AWSAccessKeyId=…} and {@code AWSSecretKey=…}.
 * Refused, as upstream does, when group or other has any permission on it. Its contents never
 * appear in a log or an error message.
 */
public final class CredentialFile {

  /** The two keys; {@link #toString()} never shows the secret. */
  public record Keys(String accessKeyId, String secretKey) {
    @Override
    public String toString() {
      return "Keys[accessKeyId=" + accessKeyId + ", secretKey=****]";
    }
  }

  private CredentialFile() {}

  /**
   * Reads and checks the file.
   *
   * @param configFile the cfn-hup.conf naming it, and {@code line} the line of its key, for errors
   */
  public static Keys read(Path file, Path configFile, int line) throws ConfigException {
    String key = "[main] credential-file";
    try {
      if (FileModes.groupOrOthersHaveAccess(Files.getPosixFilePermissions(file))) {
        throw new ConfigException(
            new ConfigProblem(
                configFile,
                line,
                key,
                "credential file " + file + " is accessible by group or other",
                "chmod 600 " + file));
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      String id = null;
      String secret = null;
      for (String raw : lines) {
        String entry = raw.strip();
        if (entry.startsWith("AWSAccessKeyId=")) {
          id = entry.substring("AWSAccessKeyId=".length()).strip();
        } else if (entry.startsWith("AWSSecretKey=")) {
          secret = entry.substring("AWSSecretKey=".length()).strip();
        }
      }
      if (id == null || id.isEmpty() || secret == null || secret.isEmpty()) {
        throw new ConfigException(
            new ConfigProblem(
                configFile,
                line,
                key,
                "credential file " + file + " lacks AWSAccessKeyId= or AWSSecretKey=",
                "two lines: AWSAccessKeyId=<key id> and AWSSecretKey=<secret>"));
      }
      return new Keys(id, secret);
    } catch (IOException e) {
      throw new ConfigException(
          new ConfigProblem(
              configFile,
              line,
              key,
              "cannot read credential file " + file + ": " + e.getClass().getSimpleName(),
              "a readable file owned by hupd's user, mode 600"));
    }
  }
}
