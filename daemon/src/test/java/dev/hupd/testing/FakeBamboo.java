package dev.hupd.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * A stand-in for a Bamboo master on 127.0.0.1, serving {@link FakeBambooModel} with the agent,
 * agent-authentication and server REST calls the daemon uses, JSON only, under the context path
 * {@code /bamboo} (so a client that drops the context path gets 404s).
 *
 * <p>Besides {@code /bamboo/rest/api/latest/...}, it serves unauthenticated endpoints under {@code
 * /bamboo/_fake/}: agent-side ones for {@link FakeBambooAgent} ({@code agents/connect}, {@code
 * agents/heartbeat}, {@code agents/disconnect}) and test-control ones for a fake running in another
 * process ({@code agents/{id}/busy}, {@code server/state}, {@code settings}, {@code faults}, {@code
 * agents}, {@code authentication}, {@code requests}); see {@link FakeBambooControl}.
 *
 * <p>Deliberate simplifications: no XML answers, no paging, no assignments (R§2.3), no pause/resume
 * calls (R§2.4 S4), no JMS; a {@code .json} suffix is stripped from the last path segment, so a
 * capability key ending in {@code .json} cannot be addressed with A10/A11.
 */
public final class FakeBamboo implements AutoCloseable {

  private final FakeBambooModel model;
  private final HttpServer server;
  private final String scheme;

  private FakeBamboo(FakeBambooModel model, HttpServer server, String scheme) {
    this.model = model;
    this.server = server;
    this.scheme = scheme;
  }

  /** Starts on an ephemeral port of 127.0.0.1 over a new model on the system clock. */
  public static FakeBamboo start() {
    return start(new FakeBambooModel(), 0);
  }

  /** Serves {@code model} on {@code port} of 127.0.0.1 (0 = ephemeral). */
  public static FakeBamboo start(FakeBambooModel model, int port) {
    Objects.requireNonNull(model, "model");
    return new FakeBamboo(
        model, LoopbackServers.start(port, "fake-bamboo", new BambooHandler(model)), "http");
  }

  /** Serves {@code model} over HTTPS with the key in a PKCS12 store (see {@link TestKeyStores}). */
  public static FakeBamboo startTls(FakeBambooModel model, Path keyStore, String password)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(model, "model");
    return new FakeBamboo(
        model,
        LoopbackServers.startTls(
            0,
            "fake-bamboo-tls",
            new BambooHandler(model),
            TestKeyStores.serverContext(keyStore, password)),
        "https");
  }

  /** {@code http://127.0.0.1:PORT/bamboo} (no trailing slash), what an admin puts in bamboo-url. */
  public URI baseUrl() {
    return URI.create(
        scheme + "://127.0.0.1:" + LoopbackServers.port(server) + BambooHandler.CONTEXT);
  }

  /** {@code baseUrl()/rest/api/latest}, the root of every REST path. */
  public URI restRoot() {
    return URI.create(baseUrl() + "/rest/api/latest");
  }

  public int port() {
    return LoopbackServers.port(server);
  }

  /** The served state, its switches and its counters. */
  public FakeBambooModel model() {
    return model;
  }

  /** Runs the fake as a process; see {@link FakeBambooLauncher}. */
  public static void main(String[] args) throws Exception {
    int status = FakeBambooLauncher.run(args, System.in, System.out);
    if (status != 0) {
      System.exit(status);
    }
  }

  @Override
  public void close() {
    LoopbackServers.stop(server);
  }
}
