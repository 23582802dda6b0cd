package dev.hupd.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Optional;

/**
 * Where the local status server listens ({@code status-listen}, default {@code 127.0.0.1:9779}).
 * Only IP literals and {@code localhost} are accepted, so reading the setting never looks a name
 * up; an address other than loopback needs {@code status-listen-public = on}, because the endpoints
 * answer anyone who can connect.
 *
 * @param address the IP address to bind
 * @param port the TCP port; 0 = any free port (the bound one is logged)
 */
public record StatusListen(InetAddress address, int port) {

  public static final int DEFAULT_PORT = 9779;

  /** The default: IPv4 loopback, port 9779. */
  public static final StatusListen DEFAULT = new StatusListen(loopbackV4(), DEFAULT_PORT);

  static final String EXPECTED =
      "ip:port with a literal address (127.0.0.1:9779, [::1]:9779), localhost:port, or off";
  static final String PUBLIC_EXPECTED = "on or off (off: only a loopback address is accepted)";

  /** The keys this class reads, with their expected forms. */
  static final Map<String, String> KEYS =
      Map.of("status-listen", EXPECTED, "status-listen-public", PUBLIC_EXPECTED);

  /** Whether only this host can connect. */
  public boolean loopback() {
    return address.isLoopbackAddress();
  }

  /** {@code 127.0.0.1:9779} or {@code [::1]:9779}. */
  public String display() {
    String host = address.getHostAddress();
    return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  /** Reads {@code status-listen} and {@code status-listen-public}; empty = {@code off}. */
  static Optional<StatusListen> read(HupdSettings.Values v) {
    boolean open = false;
    Optional<String> publicText = v.text("status-listen-public");
    if (publicText.isPresent()) {
      if (publicText.get().equalsIgnoreCase("on")) {
        open = true;
      } else if (!publicText.get().equalsIgnoreCase("off")) {
        v.problem(
            "status-listen-public", "not on or off: '" + publicText.get() + "'", PUBLIC_EXPECTED);
      }
    }
    Optional<String> text = v.text("status-listen");
    if (text.isEmpty()) {
      return Optional.of(DEFAULT);
    }
    if (text.get().equalsIgnoreCase("off")) {
      return Optional.empty();
    }
    String[] error = new String[1];
    Optional<StatusListen> parsed = parse(text.get(), error);
    if (parsed.isEmpty()) {
      v.problem("status-listen", error[0], EXPECTED);
      return Optional.empty();
    }
    if (!parsed.get().loopback() && !open) {
      v.problem(
          "status-listen",
          parsed.get().display()
              + " is not a loopback address, and the status endpoints need no credentials",
          "a loopback address such as 127.0.0.1:9779, or also set status-listen-public = on");
      return Optional.empty();
    }
    return parsed;
  }

  /** Parses {@code host:port}; on failure returns empty and puts the reason in {@code error[0]}. */
  static Optional<StatusListen> parse(String text, String[] error) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      error[0] = "not host:port: '" + text + "'";
      return Optional.empty();
    }
    String host = text.substring(0, colon);
    String portText = text.substring(colon + 1);
    if (!portText.matches("[0-9]{1,5}") || Integer.parseInt(portText) > 65535) {
      error[0] = "not a port from 0 to 65535: '" + portText + "'";
      return Optional.empty();
    }
    Optional<InetAddress> address = literal(host);
    if (address.isEmpty()) {
      error[0] = "not a literal IP address or localhost: '" + host + "' (no name is looked up)";
      return Optional.empty();
    }
    return Optional.of(new StatusListen(address.get(), Integer.parseInt(portText)));
  }

  /** An IPv4 dotted quad, a bracketed IPv6 literal or {@code localhost}; never a DNS lookup. */
  private static Optional<InetAddress> literal(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return Optional.of(loopbackV4());
    }
    try {
      if (host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
        String[] parts = host.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
          int b = Integer.parseInt(parts[i]);
          if (b > 255) {
            return Optional.empty();
          }
          bytes[i] = (byte) b;
        }
        return Optional.of(InetAddress.getByAddress(bytes));
      }
      if (host.matches("\\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\\]")) {
        // A bracketed literal is parsed, never resolved; an invalid one throws.
        return Optional.of(InetAddress.getByName(host));
      }
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static InetAddress loopbackV4() {
    try {
      return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are always an address", e);
    }
  }
}
