package dev.hupd.config;

import dev.hupd.config.BambooSettings.CapabilityMode;
import dev.hupd.config.BambooSettings.DrainExpired;
import dev.hupd.config.BambooSettings.Identity;
import dev.hupd.config.BambooSettings.Remove;
import dev.hupd.config.BambooSettings.StopMode;
import dev.hupd.config.BambooSettings.Unreachable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The {@code bamboo-*} keys of {@code [hupd]} (docs/bamboo.md §11): their expected forms and the
 * parse into {@link BambooSettings}. Kept apart from {@link HupdSettings} so that file stays about
 * the core keys.
 */
final class BambooKeys {

  static final String URL = "bamboo-url";
  static final String SECRET_FORM =
      "file:<path> (mode 0600, owned by hupd's user, one line) or ssm:<parameter name>"
          + " (a SecureString)";

  /** Every key with its expected form, in the order of docs/bamboo.md §11. */
  static final Map<String, String> EXPECTED = expected();

  private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.@\\\\-]{1,256}");
  private static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\\$?");
  private static final Pattern SSM_NAME = Pattern.compile("[A-Za-z0-9_./-]{1,2048}");
  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.\\d{1,3}){3}");

  private BambooKeys() {}

  private static Map<String, String> expected() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(URL, "https://host[:port][/context]; http:// only for 127.x.x.x, [::1] or localhost");
    m.put("bamboo-token", SECRET_FORM);
    m.put("bamboo-ca-file", "a file of PEM certificates");
    m.put("bamboo-proxy", "http://host:port, or none");
    m.put("bamboo-timeout", "a duration from 1s to 5m (default 30s)");
    m.put("bamboo-poll", "a duration from 5s to 10m (default 30s)");
    m.put("bamboo-agent-home", "the agent's home folder (default /home/bamboo/bamboo-agent-home)");
    m.put("bamboo-agent-name", "the agent's name on the master (default: the host name)");
    m.put(
        "bamboo-agent-process",
        "systemd:<unit> or command:<path> (default systemd:bamboo-agent.service)");
    m.put("bamboo-agent-user", "an account name for a command: agent");
    m.put("bamboo-agent-security-token", SECRET_FORM);
    m.put("bamboo-token-refresh", "a duration of at least 1m (default 1h)");
    m.put("bamboo-identity", "auto, keep or reset (default auto)");
    m.put("bamboo-approve", "on or off (default off)");
    m.put("bamboo-register-timeout", "a duration of at least 30s (default 5m)");
    m.put("bamboo-capabilities", "auto, rest or file (default auto)");
    m.put("bamboo-docker-executable", "an absolute path (default /usr/bin/docker)");
    m.put("bamboo-drain-timeout", "a duration from 0 to 24h (default 30m)");
    m.put("bamboo-drain-expired", "proceed or defer (default proceed)");
    m.put("bamboo-busy-poll", "a duration from 1s to 5m (default 15s)");
    m.put("bamboo-unreachable", "defer or apply (default defer)");
    m.put("bamboo-stop", "keep or drain (default keep)");
    m.put("bamboo-stop-timeout", "a duration from 0 to 2h (default 10m)");
    m.put("bamboo-remove", "never, scale-in or always (default never)");
    return Map.copyOf(m);
  }

  /**
   * Reads the {@code bamboo-*} keys; problems go to {@code v}.
   *
   * @param base the settings file's folder, for relative paths
   * @param hostName the default agent name; only called when {@code bamboo-agent-name} is unset
   */
  static Optional<BambooSettings> read(
      HupdSettings.Values v, Path base, Supplier<String> hostName) {
    Optional<String> urlText = v.text(URL);
    if (urlText.isEmpty()) {
      for (String key : EXPECTED.keySet()) {
        if (!key.equals(URL) && v.present(key)) {
          v.problem(key, key + " needs bamboo-url", "also set bamboo-url = https://host/bamboo");
        }
      }
      return Optional.empty();
    }
    Optional<URI> url = url(v, urlText.get());
    Optional<String> token = secret(v, "bamboo-token", base);
    if (token.isEmpty() && !v.present("bamboo-token")) {
      v.problemAt(
          URL,
          "bamboo-token",
          "missing: bamboo-url needs a token to call the master with",
          "bamboo-token = " + SECRET_FORM);
    }
    Settings s = new Settings(v, base, hostName);
    BambooSettings settings = s.build(url.orElse(null), token.orElse(null));
    return url.isPresent() && token.isPresent() ? Optional.of(settings) : Optional.empty();
  }

  /** The keys other than url and token, each with its default. */
  private record Settings(HupdSettings.Values v, Path base, Supplier<String> hostName) {

    BambooSettings build(URI url, String token) {
      return new BambooSettings(
          url,
          token,
          v.text("bamboo-ca-file").map(t -> base.resolve(t).normalize()),
          proxy(v),
          range("bamboo-timeout", secs(1), mins(5), BambooSettings.DEFAULT_TIMEOUT),
          range("bamboo-poll", secs(5), mins(10), BambooSettings.DEFAULT_POLL),
          v.text("bamboo-agent-home")
              .map(t -> base.resolve(t).normalize())
              .orElse(BambooSettings.DEFAULT_AGENT_HOME),
          v.text("bamboo-agent-name").orElseGet(hostName),
          agentProcess(),
          agentUser(),
          secret(v, "bamboo-agent-security-token", base),
          range("bamboo-token-refresh", mins(1), null, BambooSettings.DEFAULT_TOKEN_REFRESH),
          choice("bamboo-identity", Identity.class, Identity.AUTO),
          onOff("bamboo-approve", false),
          range("bamboo-register-timeout", secs(30), null, BambooSettings.DEFAULT_REGISTER_TIMEOUT),
          choice("bamboo-capabilities", CapabilityMode.class, CapabilityMode.AUTO),
          dockerExecutable(),
          range(
              "bamboo-drain-timeout",
              Duration.ZERO,
              hours(24),
              BambooSettings.DEFAULT_DRAIN_TIMEOUT),
          choice("bamboo-drain-expired", DrainExpired.class, DrainExpired.PROCEED),
          range("bamboo-busy-poll", secs(1), mins(5), BambooSettings.DEFAULT_BUSY_POLL),
          choice("bamboo-unreachable", Unreachable.class, Unreachable.DEFER),
          choice("bamboo-stop", StopMode.class, StopMode.KEEP),
          range(
              "bamboo-stop-timeout", Duration.ZERO, hours(2), BambooSettings.DEFAULT_STOP_TIMEOUT),
          choice("bamboo-remove", Remove.class, Remove.NEVER));
    }

    private Duration range(String key, Duration min, Duration max, Duration fallback) {
      Optional<String> t = v.text(key);
      if (t.isEmpty()) {
        return fallback;
      }
      Optional<Duration> d = Durations.parse(t.get());
      if (d.isEmpty()) {
        v.problem(key, "not a duration: '" + t.get() + "'", EXPECTED.get(key));
        return fallback;
      }
      if (d.get().compareTo(min) < 0 || (max != null && d.get().compareTo(max) > 0)) {
        v.problem(key, "out of range: '" + t.get() + "'", EXPECTED.get(key));
        return fallback;
      }
      return d.get();
    }

    private <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
      Optional<String> t = v.text(key);
      if (t.isEmpty()) {
        return fallback;
      }
      String wanted = t.get().toUpperCase(Locale.ROOT).replace('-', '_');
      return Arrays.stream(type.getEnumConstants())
          .filter(e -> e.name().equals(wanted))
          .findFirst()
          .orElseGet(
              () -> {
                v.problem(key, "unknown value '" + t.get() + "'", EXPECTED.get(key));
                return fallback;
              });
    }

    private boolean onOff(String key, boolean fallback) {
      Optional<String> t = v.text(key);
      if (t.isEmpty()) {
        return fallback;
      }
      if (t.get().equalsIgnoreCase("on")) {
        return true;
      }
      if (!t.get().equalsIgnoreCase("off")) {
        v.problem(key, "not on or off: '" + t.get() + "'", EXPECTED.get(key));
      }
      return false;
    }

    private String agentProcess() {
      String key = "bamboo-agent-process";
      Optional<String> t = v.text(key);
      if (t.isEmpty()) {
        return BambooSettings.DEFAULT_AGENT_PROCESS;
      }
      String spec = t.get();
      if (spec.startsWith("systemd:") && UNIT.matcher(spec.substring(8)).matches()) {
        return spec;
      }
      if (spec.startsWith("command:") && spec.length() > 8) {
        return "command:" + base.resolve(spec.substring(8)).normalize();
      }
      v.problem(key, "not an agent process: '" + spec + "'", EXPECTED.get(key));
      return BambooSettings.DEFAULT_AGENT_PROCESS;
    }

    /** Only a {@code command:} agent is started by hupd directly; a unit names its own User=. */
    private Optional<String> agentUser() {
      String key = "bamboo-agent-user";
      Optional<String> t = v.text(key);
      if (t.isEmpty()) {
        return t;
      }
      if (!ACCOUNT.matcher(t.get()).matches()) {
        v.problem(key, "not an account name: '" + t.get() + "'", EXPECTED.get(key));
        return Optional.empty();
      }
      if (!v.text("bamboo-agent-process").orElse("").startsWith("command:")) {
        v.problem(
            key,
            "only applies to bamboo-agent-process = command:<path>",
            "set User= in the agent's systemd unit instead, or drop bamboo-agent-user");
      }
      return t;
    }

    private Path dockerExecutable() {
      String key = "bamboo-docker-executable";
      Optional<String> t = v.text(key);
      if (t.isEmpty()) {
        return BambooSettings.DEFAULT_DOCKER_EXECUTABLE;
      }
      Path p = Path.of(t.get());
      if (!p.isAbsolute()) {
        v.problem(key, "not an absolute path: '" + t.get() + "'", EXPECTED.get(key));
        return BambooSettings.DEFAULT_DOCKER_EXECUTABLE;
      }
      return p.normalize();
    }
  }

  private static Optional<URI> url(HupdSettings.Values v, String text) {
    URI u;
    try {
      u = new URI(text);
    } catch (URISyntaxException e) {
      v.problem(URL, "not a URL: '" + text + "'", EXPECTED.get(URL));
      return Optional.empty();
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")
        || u.getHost() == null
        || u.getRawUserInfo() != null
        || u.getRawQuery() != null
        || u.getRawFragment() != null) {
      v.problem(URL, "not an https URL without user, query or fragment", EXPECTED.get(URL));
      return Optional.empty();
    }
    if (scheme.equals("http") && !loopback(u.getHost())) {
      v.problem(
          URL,
          "http:// is only accepted for loopback test masters: '" + text + "'",
          "https://" + u.getRawAuthority() + (u.getRawPath() == null ? "" : u.getRawPath()));
      return Optional.empty();
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
    return Optional.of(URI.create(scheme + "://" + u.getRawAuthority() + path));
  }

  /** Literal loopback hosts only: a name other than localhost would need a DNS lookup. */
  static boolean loopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost")
        || h.equals("[::1]")
        || h.equals("[0:0:0:0:0:0:0:1]")
        || IPV4_LOOPBACK.matcher(h).matches();
  }

  private static Optional<URI> proxy(HupdSettings.Values v) {
    String key = "bamboo-proxy";
    Optional<String> t = v.text(key);
    if (t.isEmpty()) {
      return Optional.empty();
    }
    if (t.get().equalsIgnoreCase("none")) {
      return Optional.of(BambooSettings.NO_PROXY);
    }
    try {
      URI u = new URI(t.get());
      if (u.getRawUserInfo() != null) {
        v.problem(key, "a user and password in the proxy URL are not supported", EXPECTED.get(key));
        return Optional.empty();
      }
      String path = u.getRawPath() == null ? "" : u.getRawPath();
      if ("http".equalsIgnoreCase(u.getScheme())
          && u.getHost() != null
          && u.getPort() > 0
          && (path.isEmpty() || path.equals("/"))
          && u.getRawQuery() == null) {
        return Optional.of(URI.create("http://" + u.getRawAuthority()));
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    v.problem(key, "not a proxy URL: '" + t.get() + "'", EXPECTED.get(key));
    return Optional.empty();
  }

  /**
   * A secret's source, {@code file:PATH} (made absolute) or {@code ssm:NAME}. Anything else may be
   * the secret itself, so the problem never repeats the value.
   */
  private static Optional<String> secret(HupdSettings.Values v, String key, Path base) {
    Optional<String> t = v.text(key);
    if (t.isEmpty()) {
      return t;
    }
    String spec = t.get();
    if (spec.startsWith("file:") && spec.length() > 5) {
      return Optional.of("file:" + base.resolve(spec.substring(5)).normalize());
    }
    if (spec.startsWith("ssm:") && SSM_NAME.matcher(spec.substring(4)).matches()) {
      return Optional.of(spec);
    }
    v.problem(
        key,
        "not file:<path> or ssm:<name> (the value is not shown: it may be the secret itself);"
            + " a secret is never written into hupd.conf",
        "put the token alone in a file with mode 0600 and set "
            + key
            + " = file:/etc/hupd/"
            + key.substring("bamboo-".length())
            + ", or use ssm:<SecureString parameter>");
    return Optional.empty();
  }

  private static Duration secs(long n) {
    return Duration.ofSeconds(n);
  }

  private static Duration mins(long n) {
    return Duration.ofMinutes(n);
  }

  private static Duration hours(long n) {
    return Duration.ofHours(n);
  }
}
