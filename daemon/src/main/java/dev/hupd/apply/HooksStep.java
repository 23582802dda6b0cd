package dev.hupd.apply;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.config.Durations;
import dev.hupd.config.HookDefinition;
import dev.hupd.config.Trigger;
import dev.hupd.hooks.ActionRequest;
import dev.hupd.hooks.ActionResult;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.PathValue;
import dev.hupd.metadata.StackResource;
import dev.hupd.metadata.StateStore;
import dev.hupd.metadata.Transition;
import dev.hupd.poll.LogLimiter;
import dev.hupd.source.SourceException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cfn-hup's hook processing, hook by hook in configuration order: read the value at the hook's
 * path, decide add/update/remove against the last-seen value, run the action, and record the new
 * value only when the action succeeded (a failure is retried on the next pass, optionally capped).
 */
public final class HooksStep implements PassStep {

  private static final Logger log = LoggerFactory.getLogger(HooksStep.class);
  private static final Duration REPEAT_ERROR_PERIOD = Duration.ofMinutes(15);
  private static final Duration ACCESS_DENIED_PERIOD = Duration.ofHours(1);

  private final List<HookDefinition> hooks;
  private final ActionRunner runner;
  private final Duration defaultTimeout;
  private final OptionalInt defaultMaxFailures;
  private final LogLimiter limiter;

  public HooksStep(
      List<HookDefinition> hooks,
      ActionRunner runner,
      Duration defaultTimeout,
      OptionalInt defaultMaxFailures,
      LogLimiter limiter) {
    this.hooks = List.copyOf(hooks);
    this.runner = runner;
    this.defaultTimeout = defaultTimeout;
    this.defaultMaxFailures = defaultMaxFailures;
    this.limiter = limiter;
  }

  @Override
  public String name() {
    return "hooks";
  }

  @Override
  public void run(PassContext context) {
    for (HookDefinition hook : hooks) {
      if (context.stopping()) {
        return;
      }
      process(hook, context);
    }
  }

  /** True when some hook's action would run in this pass (a new change, or a retry). */
  @Override
  public boolean wouldAct(PassContext context) {
    for (HookDefinition hook : hooks) {
      StackResource resource;
      try {
        resource = context.resource(hook.path().logicalId());
      } catch (SourceException e) {
        continue;
      }
      if (resource.inProgress()) {
        continue;
      }
      JsonNode now;
      try {
        now = PathValue.read(hook.path(), resource);
      } catch (PathValue.UnreadableException e) {
        continue;
      }
      JsonNode old = context.state().get(hook.stateKey());
      if (Transition.decide(hook.triggers(), old, now).isEmpty()) {
        continue;
      }
      String change = Json.sha256(Json.canonical(old) + "\u0000" + Json.canonical(now));
      OptionalInt cap = hook.maxFailures().isPresent() ? hook.maxFailures() : defaultMaxFailures;
      if (cap.isPresent() && context.state().failures(hook.stateKey(), change) >= cap.getAsInt()) {
        continue;
      }
      return true;
    }
    return false;
  }

  private void process(HookDefinition hook, PassContext context) {
    MetadataPath path = hook.path();
    StackResource resource;
    try {
      resource = context.resource(path.logicalId());
    } catch (SourceException e) {
      context.report().readError();
      context.report().add(new PassReport.HookOutcome(hook.name(), "read-failed", e.code()));
      reportReadFailure(hook, e);
      return;
    }
    limiter.clearPrefix("read|" + path.logicalId() + "|");
    if (resource.inProgress()) {
      log.debug(
          "hook={} event=hook.skipped resource={} status={}",
          hook.name(),
          resource.logicalId(),
          resource.status());
      context
          .report()
          .add(new PassReport.HookOutcome(hook.name(), "skipped-in-progress", resource.status()));
      return;
    }
    JsonNode now;
    try {
      now = PathValue.read(path, resource);
    } catch (PathValue.UnreadableException e) {
      context.report().readError();
      context
          .report()
          .add(new PassReport.HookOutcome(hook.name(), "path-unreadable", e.getMessage()));
      int suppressed = limiter.admit("path|" + hook.stateKey(), REPEAT_ERROR_PERIOD);
      if (suppressed >= 0) {
        log.warn(
            "hook={} event=hook.path-unreadable reason=\"{}\" suppressed={}",
            hook.name(),
            e.getMessage(),
            suppressed);
      }
      return;
    }
    limiter.clear("path|" + hook.stateKey());
    StateStore state = context.state();
    JsonNode old = state.get(hook.stateKey());
    if (log.isDebugEnabled()) {
      log.debug(
          "hook={} event=hook.read path={} sha256={} truthy={}",
          hook.name(),
          path,
          Json.sha256(Json.canonical(now)).substring(0, 16),
          Json.truthy(now));
    }
    Optional<Trigger> trigger = Transition.decide(hook.triggers(), old, now);
    if (trigger.isEmpty()) {
      if (!old.equals(now)) {
        record(hook, context, now);
        log.debug("hook={} event=hook.recorded path={}", hook.name(), path);
      } else {
        log.debug("hook={} event=hook.unchanged path={}", hook.name(), path);
      }
      context.report().add(new PassReport.HookOutcome(hook.name(), "no-change", ""));
      return;
    }
    String change = Json.sha256(Json.canonical(old) + "\u0000" + Json.canonical(now));
    OptionalInt cap = hook.maxFailures().isPresent() ? hook.maxFailures() : defaultMaxFailures;
    int failedBefore = state.failures(hook.stateKey(), change);
    if (cap.isPresent() && failedBefore >= cap.getAsInt()) {
      log.debug("hook={} event=hook.given-up failures={}", hook.name(), failedBefore);
      context
          .report()
          .add(
              new PassReport.HookOutcome(
                  hook.name(), "given-up", "failed " + failedBefore + " times"));
      return;
    }
    Duration timeout = hook.timeout().orElse(defaultTimeout);
    log.info(
        "hook={} event=action.start trigger={} path={} timeout={}",
        hook.name(),
        trigger.get().spelling(),
        path,
        Durations.format(timeout));
    ActionResult result =
        runner.run(
            new ActionRequest(
                hook.name(), hook.action(), hook.runas(), environment(path, old, now), timeout),
            context::progress);
    context.report().actionRun(result.succeeded());
    if (result.succeeded()) {
      log.info(
          "hook={} event=action.succeeded trigger={} duration={}",
          hook.name(),
          trigger.get().spelling(),
          Durations.format(result.duration()));
      record(hook, context, now);
      context
          .report()
          .add(new PassReport.HookOutcome(hook.name(), "succeeded", trigger.get().spelling()));
      return;
    }
    int failures = failedBefore;
    if (result.outcome() != ActionResult.Outcome.ABORTED) {
      // a shutdown is not the action's fault: it must not count against max-failures
      try {
        failures = state.recordFailure(hook.stateKey(), change);
      } catch (StateStore.StateException e) {
        context.report().stateError();
        log.error("event=state.write-failed reason=\"{}\"", e.getMessage());
      }
    }
    context
        .report()
        .add(
            new PassReport.HookOutcome(
                hook.name(), result.outcome().name().toLowerCase(), result.detail()));
    if (result.outcome() == ActionResult.Outcome.ABORTED) {
      log.warn(
          "hook={} event=action.aborted trigger={} duration={} detail=\"{}\" next=\"retried after restart\"",
          hook.name(),
          trigger.get().spelling(),
          Durations.format(result.duration()),
          result.detail());
    } else if (cap.isPresent() && failures >= cap.getAsInt()) {
      log.error(
          "hook={} event=action.given-up trigger={} failures={} detail=\"{}\" next=\"not retried until the value changes again\"",
          hook.name(),
          trigger.get().spelling(),
          failures,
          result.detail());
    } else {
      log.warn(
          "hook={} event=action.failed trigger={} outcome={} failures={} duration={} detail=\"{}\" next=\"retried next pass\"",
          hook.name(),
          trigger.get().spelling(),
          result.outcome().name().toLowerCase(),
          failures,
          Durations.format(result.duration()),
          result.detail());
    }
  }

  private void record(HookDefinition hook, PassContext context, JsonNode now) {
    try {
      context.state().put(hook.stateKey(), now);
    } catch (StateStore.StateException e) {
      context.report().stateError();
      log.error("hook={} event=state.write-failed reason=\"{}\"", hook.name(), e.getMessage());
    }
  }

  /** Logged per resource, not per hook: every hook on it is affected the same way. */
  private void reportReadFailure(HookDefinition hook, SourceException e) {
    String resource = hook.path().logicalId();
    boolean denied = e.kind() == SourceException.Kind.ACCESS_DENIED;
    Duration period = denied ? ACCESS_DENIED_PERIOD : REPEAT_ERROR_PERIOD;
    int suppressed = limiter.admit("read|" + resource + "|" + e.code(), period);
    if (suppressed < 0) {
      log.debug(
          "event=source.failed resource={} code={} (repeat, not logged above DEBUG)",
          resource,
          e.code());
      return;
    }
    String message =
        "event=source.failed resource={} code={} reason=\"{}\" suppressed={}"
            + " next=\"no hook on it fires; retried next pass\"";
    if (e.kind().retryable()) {
      log.warn(message, resource, e.code(), e.getMessage(), suppressed);
    } else {
      log.error(message, resource, e.code(), e.getMessage(), suppressed);
    }
  }

  /**
   * cfn-hup's {@code CFN_OLD_…} and {@code CFN_NEW_…} variables, set only for present (truthy)
   * values.
   */
  static Map<String, String> environment(MetadataPath path, JsonNode old, JsonNode now) {
    String suffix =
        switch (path.target()) {
          case METADATA -> "METADATA";
          case PHYSICAL_RESOURCE_ID -> "PHYSICAL_RESOURCE_ID";
          case LAST_UPDATED -> "LAST_UPDATED";
        };
    Map<String, String> env = new LinkedHashMap<>();
    if (Json.truthy(old)) {
      env.put("CFN_OLD_" + suffix, Json.forEnvironment(old));
    }
    if (Json.truthy(now)) {
      env.put("CFN_NEW_" + suffix, Json.forEnvironment(now));
    }
    return env;
  }
}
