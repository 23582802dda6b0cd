package dev.hupd.apply;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What one pass did; used for logs, {@code hupd once}'s exit code and readiness. */
public final class PassReport {

  /** One hook's fate in this pass. */
  public record HookOutcome(String hook, String result, String detail) {}

  private final List<HookOutcome> outcomes = new ArrayList<>();
  private int actionsRun;
  private int actionsFailed;
  private int readErrors;
  private int stateErrors;
  private int stepErrors;
  private String skipped;

  synchronized void add(HookOutcome outcome) {
    outcomes.add(outcome);
  }

  synchronized void actionRun(boolean ok) {
    actionsRun++;
    if (!ok) {
      actionsFailed++;
    }
  }

  public synchronized void readError() {
    readErrors++;
  }

  public synchronized void stateError() {
    stateErrors++;
  }

  /** A step other than the hooks failed for part of its work (e.g. one toolchain). */
  public synchronized void stepError() {
    stepErrors++;
  }

  /** The pass ran none of its steps (a {@link PassGate} said so), for this reason. */
  public synchronized void skipped(String reason) {
    skipped = reason;
  }

  /** Why the pass was skipped, if it was. */
  public synchronized java.util.Optional<String> skippedReason() {
    return java.util.Optional.ofNullable(skipped);
  }

  public synchronized int stepErrors() {
    return stepErrors;
  }

  /** State writes that failed: the value is kept in memory only and would be lost on restart. */
  public synchronized int stateErrors() {
    return stateErrors;
  }

  public synchronized List<HookOutcome> outcomes() {
    return Collections.unmodifiableList(new ArrayList<>(outcomes));
  }

  public synchronized int actionsRun() {
    return actionsRun;
  }

  public synchronized int actionsFailed() {
    return actionsFailed;
  }

  /** Resources that could not be read, or paths that could not be resolved. */
  public synchronized int readErrors() {
    return readErrors;
  }

  /** True when every resource was read and every action that ran succeeded. */
  public synchronized boolean clean() {
    return actionsFailed == 0
        && readErrors == 0
        && stateErrors == 0
        && stepErrors == 0
        && skipped == null;
  }
}
