package dev.hupd.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed TLS material for fakes on 127.0.0.1: a PKCS12 key store made by the JDK's {@code
 * keytool} (SAN {@code IP:127.0.0.1}), the server context that presents it, a client context that
 * trusts only it, and its certificate as PEM (for a daemon's CA-file setting).
 */
public final class TestKeyStores {

  public static final String PASSWORD = "changeit";
  public static final String ALIAS = "fake";
  private static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);

  private TestKeyStores() {}

  /** Runs {@code keytool -genkeypair} into {@code dir/fake.p12}; bounded by one minute. */
  public static Path selfSigned(Path dir) throws IOException, InterruptedException {
    return selfSigned(dir.resolve("fake.p12"), "127.0.0.1", "ip:127.0.0.1");
  }

  /**
   * As {@link #selfSigned(Path)}, into {@code store}, for subject {@code CN=commonName} and the
   * subject alternative name {@code san} (e.g. {@code dns:bamboo.invalid}).
   */
  public static Path selfSigned(Path store, String commonName, String san)
      throws IOException, InterruptedException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command =
        List.of(
            keytool.toString(),
            "-genkeypair",
            "-alias",
            ALIAS,
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-dname",
            "CN=" + commonName,
            "-ext",
            "SAN=" + san,
            "-validity",
            "2",
            "-storetype",
            "PKCS12",
            "-keystore",
            store.toString(),
            "-storepass",
            PASSWORD,
            "-keypass",
            PASSWORD,
            "-noprompt");
    Path output = store.resolveSibling("keytool.out");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    if (!process.waitFor(KEYTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("keytool did not finish within " + KEYTOOL_TIMEOUT);
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          "keytool exited with " + process.exitValue() + ": " + Files.readString(output));
    }
    return store;
  }

  /** The server side: presents the key in {@code store}. */
  public static SSLContext serverContext(Path store, String password)
      throws IOException, GeneralSecurityException {
    KeyStore keys = load(store, password);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, password.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  /** A client side that trusts the certificate in {@code store} and nothing else. */
  public static SSLContext trustingContext(Path store, String password)
      throws IOException, GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry(ALIAS, certificate(store, password));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /** Writes the certificate as PEM, e.g. for {@code bamboo-ca-file}. */
  public static Path writePem(Path store, String password, Path pem)
      throws IOException, GeneralSecurityException {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(certificate(store, password).getEncoded());
    Files.writeString(
        pem, "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n");
    return pem;
  }

  private static Certificate certificate(Path store, String password)
      throws IOException, GeneralSecurityException {
    return load(store, password).getCertificate(ALIAS);
  }

  private static KeyStore load(Path store, String password)
      throws IOException, GeneralSecurityException {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, password.toCharArray());
    }
    return keys;
  }
}
