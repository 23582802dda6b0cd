package dev.hupd.bamboo;

import dev.hupd.testing.TestKeyStores;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * The certificates the Bamboo client tests use, self-signed, in one folder: {@code master.p12} /
 * {@code master.pem} for 127.0.0.1 (the fake master's) and {@code other.p12} / {@code other.pem}
 * for {@code bamboo.invalid} (a certificate the master does not present).
 */
final class MasterCertificates {

  private MasterCertificates() {}

  /** Writes the four files into {@code dir}; returns the master's server-side TLS context. */
  static SSLContext write(Path dir) throws Exception {
    Path master = TestKeyStores.selfSigned(dir.resolve("master.p12"), "127.0.0.1", "ip:127.0.0.1");
    TestKeyStores.writePem(master, TestKeyStores.PASSWORD, dir.resolve("master.pem"));
    Path other =
        TestKeyStores.selfSigned(dir.resolve("other.p12"), "bamboo.invalid", "dns:bamboo.invalid");
    TestKeyStores.writePem(other, TestKeyStores.PASSWORD, dir.resolve("other.pem"));
    return TestKeyStores.serverContext(master, TestKeyStores.PASSWORD);
  }
}
