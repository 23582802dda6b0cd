package dev.hupd.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hupd.config.ConfigException;
import dev.hupd.config.CredentialFile;
import dev.hupd.config.MainConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Region, endpoint, proxy and credential-file rules (field cases C07, C08, C09, C12). */
class AwsSettingsTest {

  @TempDir Path dir;

  static MainConfig main(String stack, String region, String url) {
    return new MainConfig(
        stack,
        Optional.ofNullable(region),
        Optional.ofNullable(url).map(URI::create),
        Optional.empty(),
        Optional.empty(),
        15,
        false,
        022,
        Optional.empty(),
        Path.of("/etc/cfn/cfn-hup.conf"));
  }

  @Test
  void regionComesFromStackArnWhenNotGiven() {
    var r =
        RegionResolver.resolve(
            main(
                "arn:aws:cloudformation:eu-west-1:123456789012:stack/agents-stack/1111-2222",
                null,
                null),
            Map.of(),
            Optional::empty);
    assertThat(r.region()).isEqualTo("eu-west-1");
    assertThat(Endpoints.cloudFormation(r.region(), Optional.empty()))
        .isEqualTo(URI.create("https://cloudformation.eu-west-1.amazonaws.com"));
  }

  @Test
  void regionOrder() {
    assertThat(
            RegionResolver.resolve(
                    main("s", "ap-south-1", null),
                    Map.of("AWS_REGION", "eu-west-2"),
                    () -> Optional.of("x"))
                .region())
        .isEqualTo("ap-south-1");
    assertThat(
            RegionResolver.resolve(
                    main("s", null, null),
                    Map.of("AWS_REGION", "eu-west-2"),
                    () -> Optional.of("x"))
                .region())
        .isEqualTo("eu-west-2");
    assertThat(
            RegionResolver.resolve(main("s", null, null), Map.of(), () -> Optional.of("sa-east-1"))
                .region())
        .isEqualTo("sa-east-1");
    var last = RegionResolver.resolve(main("s", null, null), Map.of(), Optional::empty);
    assertThat(last.region()).isEqualTo("us-east-1");
    assertThat(last.source()).isEqualTo("default");
  }

  @Test
  void arnRegionWinsOverDisagreeingExplicitRegion() {
    var r =
        RegionResolver.resolve(
            main("arn:aws:cloudformation:eu-west-1:123456789012:stack/a/b", "us-east-1", null),
            Map.of(),
            Optional::empty);
    assertThat(r.region()).isEqualTo("eu-west-1");
  }

  @Test
  void endpointsPerPartitionAndUrlOverride() {
    assertThat(Endpoints.cloudFormation("cn-north-1", Optional.empty()).getHost())
        .endsWith("amazonaws.com.cn");
    URI vpce = URI.create("https://vpce-0abc-xyz.cloudformation.eu-west-1.vpce.amazonaws.com");
    assertThat(Endpoints.cloudFormation("eu-west-1", Optional.of(vpce))).isEqualTo(vpce);
  }

  @Test
  void proxyOrderAndNoProxy() {
    URI https = URI.create("https://cloudformation.eu-west-1.amazonaws.com");
    Map<String, String> env =
        Map.of("HTTPS_PROXY", "http://proxy:3128", "HTTP_PROXY", "http://other:8080");
    assertThat(ProxySelection.choose(https, Optional.empty(), Optional.empty(), env, Map.of()))
        .contains(URI.create("http://proxy:3128"));
    assertThat(
            ProxySelection.choose(
                URI.create("http://127.0.0.1:9/"),
                Optional.empty(),
                Optional.empty(),
                env,
                Map.of()))
        .contains(URI.create("http://other:8080"));
    assertThat(
            ProxySelection.choose(
                https,
                Optional.of(URI.create("http://set:1")),
                Optional.of(URI.create("http://cfn:2")),
                env,
                Map.of()))
        .contains(URI.create("http://set:1"));
    assertThat(
            ProxySelection.choose(
                https, Optional.empty(), Optional.of(URI.create("http://cfn:2")), env, Map.of()))
        .contains(URI.create("http://cfn:2"));
    assertThat(
            ProxySelection.choose(
                https,
                Optional.empty(),
                Optional.empty(),
                Map.of("https_proxy", "proxy:3128", "no_proxy", ".amazonaws.com"),
                Map.of()))
        .isEmpty();
    assertThat(
            ProxySelection.choose(
                https,
                Optional.empty(),
                Optional.empty(),
                Map.of(),
                Map.of("https.proxyHost", "jvm", "https.proxyPort", "3129")))
        .contains(URI.create("http://jvm:3129"));
    assertThat(ProxySelection.redacted(URI.create("http://user:secret@proxy:3128")))
        .doesNotContain("secret")
        .contains("****@proxy:3128");
  }

  @Test
  void credentialFileIsReadAndRefusedWhenGroupReadable() throws Exception {
    Path file = dir.resolve("creds");
    Files.writeString(file, "AWSAccessKeyId=AKIDFILE\nAWSSecretKey=file-secret-value\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertThat(CredentialFile.read(file, dir.resolve("cfn-hup.conf"), 3).accessKeyId())
        .isEqualTo("AKIDFILE");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> CredentialFile.read(file, dir.resolve("cfn-hup.conf"), 3))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("group or other")
        .hasMessageContaining("cfn-hup.conf:3: [main] credential-file")
        .hasMessageNotContaining("file-secret-value");
  }

  @Test
  void credentialFileWithoutBothKeysIsAProblemThatHidesContents() throws Exception {
    Path file = dir.resolve("creds");
    Files.writeString(file, "AWSAccessKeyId=AKIDFILE\nsecret=oops-secret\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> CredentialFile.read(file, dir.resolve("cfn-hup.conf"), 3))
        .hasMessageContaining("AWSSecretKey=")
        .hasMessageNotContaining("oops-secret");
  }
}
