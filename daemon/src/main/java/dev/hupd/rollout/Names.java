package dev.hupd.rollout;

import java.util.regex.Pattern;

/**
 * Parameter names of one fleet (docs/rollout.md §5). Every record except {@code head}, {@code
 * source} and a holder's own seat or turn is created once and never re-created.
 */
public final class Names {

  private static final Pattern FLEET = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final String root;

  public Names(String fleet) {
    if (!FLEET.matcher(fleet).matches()) {
      throw new IllegalArgumentException(
          "fleet name " + fleet + " must be 1–64 characters of letters, digits, '.', '_' or '-'");
    }
    this.root = "/hupd/" + fleet;
  }

  /** Whether {@code id} is usable as an agent id or a fleet name. */
  public static boolean validId(String id) {
    return id != null && FLEET.matcher(id).matches();
  }

  public String root() {
    return root;
  }

  public String head() {
    return root + "/head";
  }

  public String source() {
    return root + "/source";
  }

  /** Prefix of content-addressed chunks: {@code <prefix>/blob/<sha>/<i>}. */
  public String blobPrefix() {
    return root;
  }

  public String agents() {
    return root + "/agents";
  }

  public String agent(String id) {
    return agents() + "/" + id;
  }

  public String rev(long r) {
    return root + "/rev/" + r;
  }

  public String meta(long r) {
    return rev(r) + "/meta";
  }

  public String seat(long r, int k, int attempt) {
    return rev(r) + "/seat/" + k + "/" + attempt;
  }

  public String plan(long r) {
    return rev(r) + "/plan";
  }

  public String approved(long r) {
    return rev(r) + "/approved";
  }

  public String turn(long r, int slot, int turn) {
    return rev(r) + "/turn/" + slot + "/" + turn;
  }

  public String fail(long r, int k) {
    return rev(r) + "/fail/" + k;
  }

  public String ctl(long r, int e) {
    return rev(r) + "/ctl/" + e;
  }

  public String complete(long r) {
    return rev(r) + "/complete";
  }
}
