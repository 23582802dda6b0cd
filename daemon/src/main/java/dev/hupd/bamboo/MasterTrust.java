package dev.hupd.bamboo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS trust for the master: the JDK's default trust store plus the PEM certificates of {@code
 * bamboo-ca-file}. Both go into one key store under the JDK's own trust manager, so chain building
 * and host name verification are the JDK's, unchanged; there is no way to trust everything.
 */
final class MasterTrust {

  private MasterTrust() {}

  /**
   * @throws IllegalArgumentException when the file cannot be read or holds no certificate
   */
  static SSLContext withCaFile(Path caFile) {
    List<X509Certificate> extra = readPem(caFile);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (X509Certificate ca : defaultIssuers()) {
        store.setCertificateEntry("jdk-" + n++, ca);
      }
      n = 0;
      for (X509Certificate ca : extra) {
        store.setCertificateEntry("bamboo-ca-file-" + n++, ca);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the TLS trust for the Bamboo master", e);
    }
  }

  private static List<X509Certificate> readPem(Path caFile) {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(caFile)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "bamboo-ca-file " + caFile + " cannot be read as PEM certificates: " + e.getMessage(), e);
    }
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate c : certificates) {
      if (c instanceof X509Certificate x509) {
        out.add(x509);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "bamboo-ca-file "
              + caFile
              + " holds no certificate; expected one or more -----BEGIN CERTIFICATE----- blocks");
    }
    return out;
  }

  /** The CAs of the JDK's default trust store (cacerts, or javax.net.ssl.trustStore if set). */
  private static List<X509Certificate> defaultIssuers() throws GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    List<X509Certificate> out = new ArrayList<>();
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509TrustManager x509) {
        out.addAll(List.of(x509.getAcceptedIssuers()));
      }
    }
    return out;
  }
}
