package dev.hupd.config;

import java.util.Optional;

/** The metadata triggers a hook can react to, spelled as in cfn-hup (case-sensitive). */
public enum Trigger {
  POST_ADD("post.add"),
  POST_UPDATE("post.update"),
  POST_REMOVE("post.remove");

  private final String spelling;

  Trigger(String spelling) {
    this.spelling = spelling;
  }

  public String spelling() {
    return spelling;
  }

  public static Optional<Trigger> parse(String text) {
    for (Trigger t : values()) {
      if (t.spelling.equals(text)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
