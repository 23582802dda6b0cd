package dev.hupd.cli;

import dev.hupd.rollout.RolloutStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders a {@link RolloutStatus} as lines an operator reads at a glance. */
final class StatusTable {

  private StatusTable() {}

  static List<String> render(RolloutStatus s, long nowMs) {
    List<String> out = new ArrayList<>();
    if (s.empty()) {
      out.add("fleet " + s.fleet() + "  generation " + s.generation() + "  no revisions yet");
      return out;
    }
    out.add(header(s));
    out.add(revision(s));
    if (!s.message().isEmpty()) {
      out.add(String.format("%-8s %s", "message", s.message()));
    }
    s.seats().forEach(seat -> out.add(seat(seat)));
    s.plan().ifPresent(p -> out.add(plan(p)));
    s.waves().ifPresent(w -> out.add(waves(w)));
    if (!s.agents().isEmpty()) {
      out.add(
          String.format(
              "%-20s %-9s %4s %4s  %-11s %-20s %8s  %s",
              "AGENT", "KIND", "SLOT", "TURN", "RESULT", "START", "DURATION", "DETAIL"));
      s.agents().forEach(a -> out.add(agent(a)));
    }
    return out;
  }

  /** The phase with its reason, e.g. {@code halted (aborted: bad image)}. */
  static String phase(RolloutStatus s) {
    return s.phase() + (s.reason().isEmpty() ? "" : " (" + s.reason() + ")");
  }

  private static String header(RolloutStatus s) {
    String target =
        s.target() == 0
            ? "no target"
            : "target revision "
                + s.target()
                + (s.targetPhase().isEmpty() ? "" : " (" + s.targetPhase() + ")");
    return "fleet " + s.fleet() + "  generation " + s.generation() + "  " + target;
  }

  private static String revision(RolloutStatus s) {
    return "revision "
        + s.revision()
        + (s.base() > 0 ? " (base " + s.base() + ")" : "")
        + (s.latest() > s.revision() ? " of " + s.latest() : "")
        + "  pushed "
        + time(s.pushedAtMs())
        + " by "
        + (s.by().isEmpty() ? "?" : s.by())
        + "  sha256:"
        + s.sha().substring(0, Math.min(8, s.sha().length()))
        + "  gate "
        + (s.gated() ? "on" : "off")
        + "  phase "
        + phase(s);
  }

  private static String seat(RolloutStatus.Seat seat) {
    StringBuilder b = new StringBuilder(String.format("%-8s seat %d  ", "canary", seat.seat()));
    if (seat.attempt() < 0) {
      return b.append("unclaimed").toString();
    }
    b.append(seat.agent()).append("  attempt ").append(seat.attempt()).append("  ");
    b.append(seat.state());
    if (seat.applyMs() >= 0) {
      b.append(", applied in ").append(duration(seat.applyMs()));
    }
    if (seat.bakeLeftMs() >= 0) {
      b.append(", bake ").append(duration(seat.bakeLeftMs())).append(" left");
    }
    if (seat.bakedMs() >= 0) {
      b.append(", baked ").append(duration(seat.bakedMs()));
    }
    if (!seat.reason().isEmpty()) {
      b.append(": ").append(seat.reason());
    }
    return b.toString();
  }

  private static String plan(RolloutStatus.Plan p) {
    return String.format(
        "%-8s P=%d  rounds %d  followers %d%s",
        "plan",
        p.parallel(),
        p.rounds(),
        p.followers(),
        p.capped() ? "  (P capped by the write budget)" : "");
  }

  private static String waves(RolloutStatus.Waves w) {
    StringBuilder b =
        new StringBuilder(
            String.format(
                "%-8s round %d/%d  in flight %d  ok %d  failed %d/%d  skipped %d",
                "waves",
                w.round(),
                w.rounds(),
                w.inFlight(),
                w.ok(),
                w.failures(),
                w.threshold(),
                w.skipped()));
    if (w.released() > 0) {
      b.append("  released ").append(w.released());
    }
    if (w.expired() > 0) {
      b.append("  expired ").append(w.expired());
    }
    if (w.overflow() > 0) {
      b.append("  overflow ").append(w.overflow());
    }
    return b.toString();
  }

  private static String agent(RolloutStatus.AgentLine a) {
    return String.format(
        "%-20s %-9s %4s %4s  %-11s %-20s %8s  %s",
        a.agent(),
        a.kind(),
        a.slot() < 0 ? "-" : Integer.toString(a.slot()),
        a.turn() < 0 ? "-" : Integer.toString(a.turn()),
        a.result(),
        a.startMs() > 0 ? time(a.startMs()) : "-",
        a.tookMs() >= 0 ? duration(a.tookMs()) : "-",
        a.detail());
  }

  static String time(long ms) {
    return ms <= 0 ? "?" : Instant.ofEpochMilli(ms).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** {@code 1.2s}, {@code 45s}, {@code 10m00s}, {@code 2h05m}. */
  static String duration(long ms) {
    if (ms < 10_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
