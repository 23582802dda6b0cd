package dev.hupd.aws;

import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * cfn-hup's {@code credential-file}: lines {@code AWSAccessKeyId=…} and {@code AWSSecretKey=…}.
 * Refused, as upstream does, when group or other has any permission on it. Its contents never
 * appear in a log or an error message.
 */
public final class CredentialFile {

  private static final Set<PosixFilePermission> GROUP_OR_OTHER =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private CredentialFile() {}

  public static AwsCredentials read(Path file, Path configFile) throws ConfigException {
    String key = "[main] credential-file";
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
        throw new ConfigException(
            new ConfigProblem(
                configFile,
                0,
                key,
                "credential file " + file + " is accessible by group or other",
                "chmod 600 " + file));
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      String id = null;
      String secret = null;
      for (String raw : lines) {
        String line = raw.strip();
        if (line.startsWith("AWSAccessKeyId=")) {
          id = line.substring("AWSAccessKeyId=".length()).strip();
        } else if (line.startsWith("AWSSecretKey=")) {
          secret = line.substring("AWSSecretKey=".length()).strip();
        }
      }
      if (id == null || id.isEmpty() || secret == null || secret.isEmpty()) {
        throw new ConfigException(
            new ConfigProblem(
                configFile,
                0,
                key,
                "credential file " + file + " lacks AWSAccessKeyId= or AWSSecretKey=",
                "two lines: AWSAccessKeyId=<key id> and AWSSecretKey=<secret>"));
      }
      return AwsBasicCredentials.create(id, secret);
    } catch (IOException e) {
      throw new ConfigException(
          new ConfigProblem(
              configFile,
              0,
              key,
              "cannot read credential file " + file + ": " + e.getClass().getSimpleName(),
              "a readable file owned by hupd's user, mode 600"));
    }
  }
}
