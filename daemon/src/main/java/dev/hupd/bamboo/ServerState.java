package dev.hupd.bamboo;

import java.util.Locale;

/** The master's lifecycle state ({@code /status}, {@code /info}); hupd writes only when RUNNING. */
public enum ServerState {
  SETUP,
  STARTING,
  RUNNING,
  PAUSING,
  PAUSED,
  PREPARING_FOR_RESTART,
  READY_FOR_RESTART,
  /** Missing, or a state this hupd does not know (a newer master). */
  UNKNOWN;

  /** The state named by {@code text} (case ignored); {@link #UNKNOWN} for anything else. */
  public static ServerState parse(String text) {
    if (text == null) {
      return UNKNOWN;
    }
    String name = text.strip().toUpperCase(Locale.ROOT);
    for (ServerState state : values()) {
      if (state != UNKNOWN && state.name().equals(name)) {
        return state;
      }
    }
    return UNKNOWN;
  }
}
