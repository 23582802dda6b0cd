package dev.hupd.bamboo;

/**
 * A secret (the master's token, the agent's security token) named by where it is read from, e.g.
 * {@code file:/etc/hupd/bamboo.token} or {@code ssm:/ci/bamboo/token}. The value is read on first
 * use and again on {@link #refresh()}; it never appears in {@link #toString()}, logs or state.
 */
public final class Secret {

  /** Reads the current value. */
  @FunctionalInterface
  public interface Reader {
    String read() throws SecretException;
  }

  private final String name;
  private final Reader reader;
  private String value;

  public Secret(String name, Reader reader) {
    this.name = name;
    this.reader = reader;
  }

  /** A secret with a fixed value (tests, and values already read). */
  public static Secret of(String name, String value) {
    return new Secret(name, () -> value);
  }

  /** Where the secret comes from; safe to log. */
  public String name() {
    return name;
  }

  /** The value, read once and then cached. */
  public synchronized String value() throws SecretException {
    if (value == null) {
      value = checked(reader.read());
    }
    return value;
  }

  /**
   * {@code text} with every occurrence of the cached value (if one was read) replaced by {@code
   * ****}: for messages that quote what a server sent back, which may echo the token.
   */
  public synchronized String redact(String text) {
    if (value == null || value.isEmpty() || text == null) {
      return text;
    }
    return text.replace(value, "****");
  }

  /** Reads the value again (after a 401, or on the refresh interval) and returns it. */
  public synchronized String refresh() throws SecretException {
    value = checked(reader.read());
    return value;
  }

  /** A token travels in an HTTP header or an environment file: one line of printable text. */
  private String checked(String v) throws SecretException {
    if (v == null || v.isEmpty()) {
      throw new SecretException("secret " + name + " is empty");
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new SecretException(
            "secret "
                + name
                + " holds a control character at position "
                + (i + 1)
                + "; expected one line of printable text");
      }
    }
    return v;
  }

  @Override
  public String toString() {
    return name + " (****)";
  }
}
