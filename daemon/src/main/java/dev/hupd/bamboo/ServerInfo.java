package dev.hupd.bamboo;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code /info} says about the master.
 *
 * @param version e.g. {@code 9.6.2} or {@code 10.0.0-m123}
 * @param buildNumber e.g. {@code 90602}; a string on the wire; empty when not sent
 * @param state the lifecycle state as sent, e.g. {@code RUNNING}; see {@link ServerState#parse}
 */
public record ServerInfo(String version, String buildNumber, String state) {

  private static final Pattern MAJOR_MINOR = Pattern.compile("^\\s*(\\d{1,9})(?:\\.(\\d{1,9}))?");

  /**
   * Whether {@link #version} is {@code major.minor} or newer. Anything after the numbers (a patch
   * level, {@code -m123}, {@code -SNAPSHOT}) is ignored; a missing minor counts as 0; a version
   * that does not start with a number is never new enough.
   */
  public boolean atLeast(int major, int minor) {
    Matcher m = MAJOR_MINOR.matcher(version == null ? "" : version);
    if (!m.find()) {
      return false;
    }
    int actualMajor = Integer.parseInt(m.group(1));
    int actualMinor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    return actualMajor != major ? actualMajor > major : actualMinor >= minor;
  }
}
