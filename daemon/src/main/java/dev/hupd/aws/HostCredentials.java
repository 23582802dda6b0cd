package dev.hupd.aws;

import dev.hupd.config.ConfigException;
import dev.hupd.config.CredentialFile;
import dev.hupd.config.MainConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The credentials cfn-hup.conf names, in cfn-hup's order: {@code role} (through hupd's own IMDSv2
 * client), else {@code credential-file}, else the SDK's default chain. Shared by every AWS client
 * hupd builds, so CloudFormation and SSM never disagree on who is calling.
 *
 * @param provider what the SDK signs with
 * @param description for logs, e.g. {@code role BambooAgent}
 */
public record HostCredentials(AwsCredentialsProvider provider, String description) {

  /**
   * @throws ConfigException when the credential file is unusable
   */
  public static HostCredentials of(MainConfig main, InstanceMetadata imds) throws ConfigException {
    if (main.role().isPresent()) {
      return new HostCredentials(
          new RoleCredentials(imds, main.role().get()), "role " + main.role().get());
    }
    if (main.credentialFile().isPresent()) {
      CredentialFile.Keys keys = CredentialFile.read(main.credentialFile().get(), main.file(), 0);
      return new HostCredentials(
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(keys.accessKeyId(), keys.secretKey())),
          "credential-file " + main.credentialFile().get());
    }
    return new HostCredentials(DefaultCredentialsProvider.builder().build(), "SDK default chain");
  }
}
