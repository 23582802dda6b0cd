package dev.hupd.toolchain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.apply.PassContext;
import dev.hupd.apply.PassStep;
import dev.hupd.config.Durations;
import dev.hupd.hooks.ActionRunner;
import dev.hupd.metadata.Json;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.metadata.PathValue;
import dev.hupd.metadata.StackResource;
import dev.hupd.metadata.StateStore;
import dev.hupd.poll.Backoff;
import dev.hupd.poll.LogLimiter;
import dev.hupd.source.SourceException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the toolchain manifest in the metadata true on this host, as a step of the same apply pass
 * as the cfn-hup hooks. Per toolchain: pull (by digest when pinned) → optional agent-local build →
 * verify in a throw-away container → activate (state first, then the local tags {@code
 * hupd/<name>:active} and {@code :previous}) → collect images beyond {@code keep}. A failure at any
 * step leaves the previous active image in place, is recorded with its cause, and is retried with
 * backoff; the other toolchains are not disturbed.
 */
public final class ToolchainStep implements PassStep {

  /** The default local repository prefix: tags are {@code hupd/<name>:active}. */
  public static final String DEFAULT_REPOSITORY = "hupd";

  static final String DOCUMENT_PREFIX = "toolchain/";
  private static final Logger log = LoggerFactory.getLogger(ToolchainStep.class);
  private static final Duration PULL_TIMEOUT = Duration.ofMinutes(30);
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(30);
  private static final Duration MAX_RETRY = Duration.ofHours(1);

  /** Between attempts of one failing toolchain: 30 s doubling to 1 h (attempts are not capped). */
  private static final Backoff RETRY =
      new Backoff(FIRST_RETRY, MAX_RETRY, Integer.MAX_VALUE, MAX_RETRY);

  private static final int OUTPUT_EXCERPT = 2048;

  private record Pending(String fingerprint, int failures, Instant notBefore) {}

  private final MetadataPath manifestPath;
  private final String repositoryPrefix;
  private final ImageHost host;
  private final LogLimiter limiter;
  private final Clock clock;
  private final Map<String, Pending> backoff = new HashMap<>();
  private boolean cleanedUp;
  private boolean collectPending = true;

  public ToolchainStep(MetadataPath manifestPath, ImageHost host, LogLimiter limiter, Clock clock) {
    this(manifestPath, host, limiter, clock, DEFAULT_REPOSITORY);
  }

  /**
   * @param repository local repository prefix of the tags hupd keeps ({@code <repository>/<name>})
   */
  public ToolchainStep(
      MetadataPath manifestPath,
      ImageHost host,
      LogLimiter limiter,
      Clock clock,
      String repository) {
    this.repositoryPrefix = repository + "/";
    this.manifestPath = manifestPath;
    this.host = host;
    this.limiter = limiter;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "toolchains";
  }

  /**
   * True when a toolchain would be switched (its manifest entry differs from the active image and
   * it is not waiting out a retry backoff) or retired. Reads the engine only to see whether the
   * active image is still present.
   */
  @Override
  public boolean wouldAct(PassContext context) {
    Optional<Manifest> manifest = context.attachment(Manifest.class);
    if (manifest.isEmpty()) {
      manifest = quietManifest(context);
    }
    if (manifest.isEmpty()) {
      return false;
    }
    StateStore state = context.state();
    Set<String> wanted = new HashSet<>();
    for (Toolchain t : manifest.get().toolchains()) {
      wanted.add(t.name());
      ToolchainRecord rec =
          ToolchainRecord.fromJson(t.name(), state.document(DOCUMENT_PREFIX + t.name()));
      String fingerprint = fingerprint(t);
      if (rec.active() != null && fingerprint.equals(rec.active().fingerprint())) {
        try {
          if (host.find(rec.active().imageId()).isPresent()) {
            continue;
          }
        } catch (HostException e) {
          return false; // the engine is down: the pass will change nothing
        }
      }
      Pending b = backoff.get(t.name());
      if (b != null
          && b.fingerprint().equals(fingerprint)
          && clock.instant().isBefore(b.notBefore())) {
        continue;
      }
      return true;
    }
    for (String key : state.documentKeys(DOCUMENT_PREFIX)) {
      if (!wanted.contains(key.substring(DOCUMENT_PREFIX.length()))) {
        return true;
      }
    }
    return false;
  }

  /** Whether every toolchain of {@code manifest} is active at its current entry (verified). */
  public static java.util.List<String> unverified(Manifest manifest, StateStore state) {
    java.util.List<String> problems = new java.util.ArrayList<>();
    for (Toolchain t : manifest.toolchains()) {
      ToolchainRecord rec =
          ToolchainRecord.fromJson(t.name(), state.document(DOCUMENT_PREFIX + t.name()));
      if (rec.active() == null || !fingerprint(t).equals(rec.active().fingerprint())) {
        String why =
            rec.last() != null && "failed".equals(rec.last().status()) && rec.last().error() != null
                ? rec.last().error()
                : "not active yet";
        problems.add("toolchain " + t.name() + " (" + t.image() + "): " + why);
      }
    }
    return problems;
  }

  /** The active image of toolchain {@code name}, if hupd activated one. */
  public static Optional<ToolchainRecord.Image> active(String name, StateStore state) {
    return Optional.ofNullable(
        ToolchainRecord.fromJson(name, state.document(DOCUMENT_PREFIX + name)).active());
  }

  private Optional<Manifest> quietManifest(PassContext context) {
    try {
      StackResource resource = context.resource(manifestPath.logicalId());
      if (resource.inProgress()) {
        return Optional.empty();
      }
      JsonNode value = PathValue.read(manifestPath, resource);
      return value.isNull() ? Optional.empty() : Optional.of(Manifest.parse(value));
    } catch (SourceException
        | PathValue.UnreadableException
        | Manifest.InvalidManifestException e) {
      return Optional.empty();
    }
  }

  @Override
  public void run(PassContext context) {
    Optional<Manifest> manifest = readManifest(context);
    if (manifest.isEmpty()) {
      return;
    }
    StateStore state = context.state();
    try {
      if (!cleanedUp) {
        int removed = host.removeLeftoverVerifyContainers();
        if (removed > 0) {
          log.info("event=toolchain.cleanup leftover_verify_containers={}", removed);
        }
        cleanedUp = true;
      }
      for (Toolchain t : manifest.get().toolchains()) {
        if (context.stopping()) {
          return;
        }
        isolated(t.name(), "converge", context, () -> converge(t, manifest.get().keep(), context));
      }
      Set<String> wanted = new HashSet<>();
      manifest.get().toolchains().forEach(t -> wanted.add(t.name()));
      for (String key : state.documentKeys(DOCUMENT_PREFIX)) {
        String name = key.substring(DOCUMENT_PREFIX.length());
        if (!wanted.contains(name) && !context.stopping()) {
          isolated(name, "retire", context, () -> retire(name, context));
        }
      }
      if (collectPending && !context.stopping()) {
        collectPending = false;
        for (Toolchain t : manifest.get().toolchains()) {
          isolated(
              t.name(), "collect", context, () -> collect(t.name(), manifest.get().keep(), state));
        }
      }
      limiter.clearPrefix("toolchain|host");
    } catch (HostException e) {
      // the engine itself is unusable (down, restarting): nothing changes, retried next pass
      context.report().stepError();
      int suppressed = limiter.admit("toolchain|host|" + e.kind(), Duration.ofMinutes(15));
      if (suppressed >= 0) {
        log.warn(
            "event=toolchain.engine-unavailable kind={} reason=\"{}\" toolchains={} suppressed={} next=\"active toolchains unchanged; retried next pass\"",
            e.kind(),
            e.getMessage(),
            manifest.get().toolchains().stream().map(Toolchain::name).toList(),
            suppressed);
      }
    } catch (StateStore.StateException e) {
      context.report().stateError();
      log.error("event=state.write-failed reason=\"{}\"", e.getMessage());
    }
  }

  /** Work on one toolchain whose failure (other than the engine being down) stays its own. */
  private interface Work {
    void run() throws HostException, StateStore.StateException;
  }

  private void isolated(String name, String what, PassContext context, Work work)
      throws HostException, StateStore.StateException {
    try {
      work.run();
    } catch (HostException e) {
      if (e.kind() == HostException.Kind.DAEMON_UNAVAILABLE) {
        throw e;
      }
      context.report().stepError();
      if (limiter.admit(
              "toolchain|" + what + "|" + name + "|" + e.getMessage(), Duration.ofMinutes(15))
          >= 0) {
        log.error(
            "event=toolchain.{}-failed name={} kind={} cause=\"{}\" next=\"retried next pass\"",
            what,
            name,
            e.kind(),
            printable(e.getMessage()));
      }
    }
  }

  private Optional<Manifest> readManifest(PassContext context) {
    StackResource resource;
    try {
      resource = context.resource(manifestPath.logicalId());
    } catch (SourceException e) {
      context.report().readError();
      warnOnce(
          "toolchain|manifest-read|" + e.code(),
          "event=toolchain.manifest-unreadable path={} code={} reason=\"{}\" next=\"toolchains unchanged\"",
          manifestPath,
          e.code(),
          e.getMessage());
      return Optional.empty();
    }
    if (resource.inProgress()) {
      return Optional.empty();
    }
    JsonNode value;
    try {
      value = PathValue.read(manifestPath, resource);
    } catch (PathValue.UnreadableException e) {
      context.report().readError();
      warnOnce(
          "toolchain|manifest-unreadable",
          "event=toolchain.manifest-unreadable path={} reason=\"{}\"",
          manifestPath,
          e.getMessage());
      return Optional.empty();
    }
    if (value.isNull()) {
      log.debug("event=toolchain.no-manifest path={}", manifestPath);
      return Optional.empty();
    }
    try {
      Manifest m = Manifest.parse(value);
      context.attach(Manifest.class, m);
      limiter.clearPrefix("toolchain|manifest");
      return Optional.of(m);
    } catch (Manifest.InvalidManifestException e) {
      context.report().stepError();
      int suppressed =
          limiter.admit("toolchain|manifest-invalid|" + e.getMessage(), Duration.ofMinutes(15));
      if (suppressed >= 0) {
        for (String p : e.problems()) {
          log.error(
              "event=toolchain.manifest-invalid path={} problem=\"{}\" next=\"no toolchain changes until fixed\"",
              manifestPath,
              p);
        }
      }
      return Optional.empty();
    }
  }

  private void converge(Toolchain t, int keep, PassContext context)
      throws HostException, StateStore.StateException {
    StateStore state = context.state();
    ToolchainRecord rec =
        ToolchainRecord.fromJson(t.name(), state.document(DOCUMENT_PREFIX + t.name()));
    String fingerprint = fingerprint(t);
    boolean activePresent = rec.active() != null && host.find(rec.active().imageId()).isPresent();
    repairTags(rec, activePresent);
    if (activePresent && fingerprint.equals(rec.active().fingerprint())) {
      backoff.remove(t.name());
      if (rec.last() == null || !"active".equals(rec.last().status())) {
        // e.g. the manifest was reverted to the active image after a failed attempt
        rec =
            rec.withLast(
                new ToolchainRecord.Result(
                    "active",
                    null,
                    rec.active().image(),
                    rec.active().digest(),
                    rec.active().imageId(),
                    null,
                    0,
                    null,
                    clock.instant().toString()));
        state.putDocument(DOCUMENT_PREFIX + t.name(), rec.toJson());
        log.info(
            "event=toolchain.current name={} image_id={} reason=\"manifest matches the active image\"",
            t.name(),
            rec.active().imageId());
      }
      return;
    }
    Pending b = backoff.get(t.name());
    if (b != null
        && b.fingerprint().equals(fingerprint)
        && clock.instant().isBefore(b.notBefore())) {
      log.debug("event=toolchain.waiting name={} until={}", t.name(), b.notBefore());
      return;
    }
    long started = System.nanoTime();
    String step = "pull";
    String imageId = null;
    String digest = null;
    String output = null;
    long pullMs = 0;
    long buildMs = 0;
    long verifyMs = 0;
    try {
      long t0 = System.nanoTime();
      Optional<ImageHost.LocalImage> local = t.pinned() ? host.find(t.image()) : Optional.empty();
      ImageHost.LocalImage pulled;
      if (local.isPresent()) {
        pulled = local.get();
      } else {
        log.info("event=toolchain.pull name={} image={}", t.name(), t.image());
        pulled = host.pull(t.image(), PULL_TIMEOUT, context::progress);
      }
      // only what hupd brought onto the host is ever removed by it
      if (local.isEmpty() && !rec.owned().contains(pulled.id())) {
        rec = rec.withOwned(pulled.id());
        state.putDocument(DOCUMENT_PREFIX + t.name(), rec.toJson());
      }
      pullMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
      digest = digestFor(t.image(), pulled);
      if (!t.pinned()) {
        log.warn(
            "event=toolchain.tag-only name={} image={} resolved={} advice=\"pin the digest in the manifest\"",
            t.name(),
            t.image(),
            digest);
      }
      imageId = pulled.id();
      if (t.build().isPresent()) {
        step = "build";
        long b0 = System.nanoTime();
        imageId =
            host.build(
                pulled.id(),
                t.build().get(),
                repositoryPrefix + t.name() + ":candidate",
                BUILD_TIMEOUT,
                context::progress);
        rec = rec.withOwned(imageId);
        state.putDocument(DOCUMENT_PREFIX + t.name(), rec.toJson());
        buildMs = Duration.ofNanos(System.nanoTime() - b0).toMillis();
      }
      String verifiedKey = imageId + "|" + verifyFingerprint(t);
      if (!rec.verified().contains(verifiedKey)) {
        step = "verify";
        long v0 = System.nanoTime();
        ImageHost.VerifyRun run = host.verify(imageId, t.verify(), t.name(), context::stopping);
        if (run.interrupted()) {
          log.info(
              "event=toolchain.verify-interrupted name={} image={} next=\"verified again after restart\"",
              t.name(),
              t.image());
          return;
        }
        verifyMs = Duration.ofNanos(System.nanoTime() - v0).toMillis();
        output = excerpt(run.output());
        String failure = judge(t, run);
        if (failure != null) {
          throw new HostException(HostException.Kind.OTHER, failure);
        }
        rec = rec.withVerified(verifiedKey);
      } else {
        log.info(
            "event=toolchain.reuse name={} image_id={} reason=\"verified before; activation is a re-tag\"",
            t.name(),
            imageId);
      }
      step = "activate";
      ToolchainRecord.Image image =
          new ToolchainRecord.Image(t.image(), imageId, digest, fingerprint);
      rec = rec.activate(image, keep);
      long ms = Duration.ofNanos(System.nanoTime() - started).toMillis();
      rec =
          rec.withLast(
              new ToolchainRecord.Result(
                  "active",
                  null,
                  t.image(),
                  digest,
                  imageId,
                  output,
                  ms,
                  null,
                  clock.instant().toString()));
      state.putDocument(DOCUMENT_PREFIX + t.name(), rec.toJson()); // the commit point
      host.tag(imageId, repositoryPrefix + t.name(), "active");
      if (rec.previous() != null) {
        host.tag(rec.previous().imageId(), repositoryPrefix + t.name(), "previous");
      }
      if (t.build().isPresent()) {
        host.untag(repositoryPrefix + t.name() + ":candidate");
      }
      backoff.remove(t.name());
      collectPending = true;
      log.info(
          "event=toolchain.activated name={} image={} digest={} image_id={} previous={} duration={}"
              + " pull_ms={} build_ms={} verify_ms={}",
          t.name(),
          t.image(),
          digest,
          imageId,
          rec.previous() == null ? "none" : rec.previous().imageId(),
          Durations.format(Duration.ofMillis(ms)),
          pullMs,
          buildMs,
          verifyMs);
    } catch (HostException e) {
      if (e.kind() == HostException.Kind.DAEMON_UNAVAILABLE) {
        throw e;
      }
      long ms = Duration.ofNanos(System.nanoTime() - started).toMillis();
      String error =
          "toolchain "
              + t.name()
              + ", image "
              + t.image()
              + ", "
              + step
              + " failed: "
              + e.getMessage();
      rec =
          rec.withLast(
              new ToolchainRecord.Result(
                  "failed",
                  step,
                  t.image(),
                  digest,
                  imageId,
                  output,
                  ms,
                  error,
                  clock.instant().toString()));
      state.putDocument(DOCUMENT_PREFIX + t.name(), rec.toJson());
      int failures = b != null && b.fingerprint().equals(fingerprint) ? b.failures() + 1 : 1;
      Duration wait = retryDelay(failures);
      backoff.put(t.name(), new Pending(fingerprint, failures, clock.instant().plus(wait)));
      context.report().stepError();
      collectPending = true;
      log.error(
          "event=toolchain.failed name={} image={} step={} kind={} cause=\"{}\" active={}"
              + " next_attempt=\"first pass after {}\"",
          t.name(),
          t.image(),
          step,
          e.kind(),
          printable(e.getMessage()),
          rec.active() == null ? "none" : rec.active().imageId(),
          Durations.format(wait));
    }
  }

  /** Why the verify run does not prove the image, or null when it does. */
  static String judge(Toolchain t, ImageHost.VerifyRun run) {
    Toolchain.Verify v = t.verify();
    if (run.exitCode().isEmpty()) {
      return "verify " + v.command() + " did not finish within " + Durations.format(v.timeout());
    }
    if (run.exitCode().getAsInt() != v.exitCode()) {
      return "verify "
          + v.command()
          + " exited "
          + run.exitCode().getAsInt()
          + ", expected "
          + v.exitCode()
          + "; output: "
          + oneLine(run.output());
    }
    boolean matched = true;
    if (v.outputPattern().isPresent()) {
      try {
        matched = v.outputPattern().get().matcher(run.output()).find();
      } catch (StackOverflowError e) {
        return "outputPattern /"
            + v.outputPattern().get().pattern()
            + "/ is too complex for "
            + run.output().length()
            + " characters of output; simplify it";
      }
    }
    if (!matched) {
      return "verify output does not match /"
          + v.outputPattern().get().pattern()
          + "/; output: "
          + oneLine(run.output());
    }
    return null;
  }

  /** Tags follow the state: a crash between the state write and the tag is repaired here. */
  private void repairTags(ToolchainRecord rec, boolean activePresent) throws HostException {
    String repo = repositoryPrefix + rec.name();
    if (rec.active() != null && activePresent) {
      Optional<ImageHost.LocalImage> tagged = host.find(repo + ":active");
      if (tagged.isEmpty() || !tagged.get().id().equals(rec.active().imageId())) {
        host.tag(rec.active().imageId(), repo, "active");
        log.info(
            "event=toolchain.tag-repaired name={} tag=active image_id={}",
            rec.name(),
            rec.active().imageId());
      }
    }
    if (rec.previous() != null && host.find(rec.previous().imageId()).isPresent()) {
      Optional<ImageHost.LocalImage> tagged = host.find(repo + ":previous");
      if (tagged.isEmpty() || !tagged.get().id().equals(rec.previous().imageId())) {
        host.tag(rec.previous().imageId(), repo, "previous");
      }
    }
  }

  private void retire(String name, PassContext context)
      throws HostException, StateStore.StateException {
    StateStore state = context.state();
    ToolchainRecord rec = ToolchainRecord.fromJson(name, state.document(DOCUMENT_PREFIX + name));
    String repo = repositoryPrefix + name;
    host.untag(repo + ":active");
    host.untag(repo + ":previous");
    host.untag(repo + ":candidate");
    Set<String> inUse = new HashSet<>(host.imagesInUse());
    inUse.addAll(neededByOthers(name, state));
    int removed = 0;
    for (String id : rec.owned()) {
      if (inUse.contains(id)) {
        continue;
      }
      try {
        host.remove(id);
        removed++;
      } catch (HostException e) {
        if (e.kind() != HostException.Kind.NOT_FOUND && e.kind() != HostException.Kind.CONFLICT) {
          throw e;
        }
      }
    }
    state.removeDocument(DOCUMENT_PREFIX + name);
    backoff.remove(name);
    log.info("event=toolchain.retired name={} images_removed={}", name, removed);
  }

  /** Removes owned images beyond the kept history that no container uses. */
  private void collect(String name, int keep, StateStore state)
      throws HostException, StateStore.StateException {
    ToolchainRecord rec = ToolchainRecord.fromJson(name, state.document(DOCUMENT_PREFIX + name));
    Set<String> keepIds = new HashSet<>();
    rec.history().stream().limit(keep).forEach(i -> keepIds.add(i.imageId()));
    if (rec.active() != null) {
      keepIds.add(rec.active().imageId());
    }
    if (rec.previous() != null) {
      keepIds.add(rec.previous().imageId());
    }
    Set<String> inUse = null;
    ToolchainRecord before = rec;
    for (String id : List.copyOf(rec.owned())) {
      if (keepIds.contains(id)) {
        continue;
      }
      if (inUse == null) {
        inUse = new HashSet<>(host.imagesInUse());
        inUse.addAll(neededByOthers(name, state));
      }
      if (inUse.contains(id)) {
        log.debug("event=toolchain.collect-skipped name={} image_id={} reason=in-use", name, id);
        continue;
      }
      try {
        host.remove(id);
        rec = rec.withoutOwned(id);
        log.info("event=toolchain.collected name={} image_id={}", name, id);
      } catch (HostException e) {
        if (e.kind() == HostException.Kind.NOT_FOUND) {
          rec = rec.withoutOwned(id);
        } else if (e.kind() != HostException.Kind.CONFLICT) {
          throw e;
        }
      }
    }
    if (!rec.equals(before)) {
      state.putDocument(DOCUMENT_PREFIX + name, rec.toJson());
    }
  }

  /** Images another toolchain has active, previous or in its kept history. */
  private static Set<String> neededByOthers(String name, StateStore state) {
    Set<String> ids = new HashSet<>();
    for (String key : state.documentKeys(DOCUMENT_PREFIX)) {
      if (key.equals(DOCUMENT_PREFIX + name)) {
        continue;
      }
      ToolchainRecord other =
          ToolchainRecord.fromJson(key.substring(DOCUMENT_PREFIX.length()), state.document(key));
      if (other.active() != null) {
        ids.add(other.active().imageId());
      }
      if (other.previous() != null) {
        ids.add(other.previous().imageId());
      }
      other.history().forEach(i -> ids.add(i.imageId()));
    }
    return ids;
  }

  private static String digestFor(String reference, ImageHost.LocalImage image) {
    int at = reference.indexOf("@sha256:");
    if (at >= 0) {
      return reference.substring(at + 1);
    }
    String repo = reference;
    int slash = repo.lastIndexOf('/');
    int colon = repo.lastIndexOf(':');
    if (colon > slash) {
      repo = repo.substring(0, colon);
    }
    for (String d : image.repoDigests()) {
      if (d.startsWith(repo + "@")) {
        return d.substring(d.indexOf('@') + 1);
      }
    }
    return image.repoDigests().isEmpty()
        ? null
        : image.repoDigests().get(0).substring(image.repoDigests().get(0).indexOf('@') + 1);
  }

  static Duration retryDelay(int failures) {
    return RETRY.ceiling(failures);
  }

  public static String fingerprint(Toolchain t) {
    return Json.sha256(
        t.image() + "\u0000" + t.build().orElse("") + "\u0000" + verifyFingerprint(t));
  }

  static String verifyFingerprint(Toolchain t) {
    Toolchain.Verify v = t.verify();
    return Json.sha256(
            String.join("\u0001", v.command())
                + "\u0000"
                + v.exitCode()
                + "\u0000"
                + v.timeout().toSeconds()
                + "\u0000"
                + v.memoryBytes()
                + "\u0000"
                + v.nanoCpus()
                + "\u0000"
                + v.network()
                + "\u0000"
                + v.outputPattern().map(p -> p.pattern()).orElse("")
                + "\u0000"
                + t.build().orElse(""))
        .substring(0, 16);
  }

  private static String excerpt(String output) {
    return output.length() <= OUTPUT_EXCERPT ? output : output.substring(0, OUTPUT_EXCERPT) + "…";
  }

  /** Action-output escaping, plus quotes as {@code '}: safe inside a key="value" log. */
  static String printable(String s) {
    return ActionRunner.printable(s).replace('"', '\'');
  }

  private static String oneLine(String output) {
    String s = printable(output.strip().replace('\n', ' '));
    return s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  private void warnOnce(String key, String format, Object... args) {
    if (limiter.admit(key, Duration.ofMinutes(15)) >= 0) {
      log.warn(format, args);
    }
  }
}
