package dev.hupd.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * SSM Parameter Store as an in-process, thread-safe model: the state, rules, quotas and quirks of
 * the real service without HTTP, so a discrete-event simulation can drive thousands of agents in
 * virtual time through its injectable clock, and {@link FakeSsm} can serve it over the wire.
 *
 * <p>Every operation takes the caller's id (the access key id on the wire) for the per-caller
 * counters, and fails with an {@link SsmServiceError} carrying the code the service would send.
 * Reads of one name cost O(log names); a path listing costs O(names under the path).
 *
 * <p>Deliberate simplifications: SecureString values are stored in clear (the wire handler shows a
 * placeholder ciphertext unless the request sets WithDecryption, and never checks KMS);
 * AllowedPattern, Tags, Policies, KeyId and ParameterFilters are not modelled; names are not
 * accepted as ARNs; only Get* and PutParameter are rate-limited (the others have undocumented
 * quotas); stale reads apply to reads of a name's newest version, never to {@code name:version} or
 * {@code name:label} selectors, and deletions are seen at once.
 */
public final class FakeSsmModel {

  public static final int MAX_VERSIONS = 100;
  public static final int MAX_STANDARD_VALUE = 4096;
  public static final int MAX_ADVANCED_VALUE = 8192;
  public static final int MAX_NAME = 1011;
  public static final int MAX_LEVELS = 15;
  public static final int MAX_BATCH = 10;
  public static final int MAX_LABELS_PER_VERSION = 10;
  public static final int MAX_LABEL = 100;
  public static final int MAX_HISTORY_PAGE = 50;
  public static final long RECREATE_DELAY_MS = 30_000;
  public static final double DEFAULT_GET_TPS = 40;
  public static final double DEFAULT_PUT_TPS = 3;
  public static final String ACCOUNT = "123456789012";

  /**
   * What the service answers to a create within {@link #RECREATE_DELAY_MS} of a delete: the wording
   * of a TooManyUpdates reported from the field (the docs only say "wait 30 seconds").
   */
  static final String STALE_TAGS_MESSAGE =
      "Failed to create the parameter since stale tags associated to the name detected. "
          + "Please retry in a while or change a parameter name.";

  private static final Pattern NAME_CHARS = Pattern.compile("[a-zA-Z0-9_.\\-/]+");
  private static final Pattern LABEL_CHARS = Pattern.compile("[a-zA-Z0-9_.\\-]+");
  private static final Set<String> TYPES = Set.of("String", "StringList", "SecureString");
  private static final String NAME_RULES =
      "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use"
          + " only letters, numbers, or the following symbols: . (period), - (hyphen), _"
          + " (underscore). Special characters are not allowed. All sub-paths, if specified, must"
          + " use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";

  /** The operations, with their wire names and the quota bucket they draw from. */
  public enum Operation {
    GET_PARAMETER("GetParameter", true),
    GET_PARAMETERS("GetParameters", true),
    GET_PARAMETERS_BY_PATH("GetParametersByPath", true),
    PUT_PARAMETER("PutParameter", false),
    DELETE_PARAMETER("DeleteParameter", false),
    DELETE_PARAMETERS("DeleteParameters", false),
    LABEL_PARAMETER_VERSION("LabelParameterVersion", false),
    GET_PARAMETER_HISTORY("GetParameterHistory", false);

    private final String wireName;
    private final boolean getQuota;

    Operation(String wireName, boolean getQuota) {
      this.wireName = wireName;
      this.getQuota = getQuota;
    }

    /** E.g. {@code GetParametersByPath}, as in {@code X-Amz-Target: AmazonSSM.<name>}. */
    public String wireName() {
      return wireName;
    }

    /** The operation with this wire name, if the fake serves it. */
    public static Optional<Operation> ofWireName(String name) {
      for (Operation op : values()) {
        if (op.wireName.equals(name)) {
          return Optional.of(op);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * One version of one parameter as the read APIs return it.
   *
   * @param name the name, without any selector
   * @param selector {@code :3} or {@code :label} when the read named one
   * @param modifiedMs when the version was written, epoch ms of the model's clock
   * @param labels labels on this version (only filled in by {@link #getParameterHistory})
   */
  public record Parameter(
      String name,
      String type,
      String value,
      long version,
      long modifiedMs,
      String arn,
      String dataType,
      String tier,
      Optional<String> selector,
      List<String> labels) {}

  /** GetParameters: found parameters sorted by name, and the names not found as sent. */
  public record Fetched(List<Parameter> parameters, List<String> invalidParameters) {}

  /** One page of GetParametersByPath or GetParameterHistory. */
  public record Page(List<Parameter> parameters, Optional<String> nextToken) {}

  /** PutParameter's answer. */
  public record Written(long version, String tier) {}

  /** DeleteParameters' answer. */
  public record Deleted(List<String> deletedParameters, List<String> invalidParameters) {}

  /** LabelParameterVersion's answer: the version labelled and the labels refused by the rules. */
  public record Labelled(long parameterVersion, List<String> invalidLabels) {}

  /**
   * A PutParameter request; null members are absent from the request.
   *
   * @param type String, StringList or SecureString; required when the name is new
   * @param overwrite false (the default) makes an existing name an error
   * @param tier Standard (default), Advanced or Intelligent-Tiering
   * @param dataType text (default) or e.g. aws:ec2:image
   */
  public record PutRequest(
      String name, String value, String type, Boolean overwrite, String tier, String dataType) {

    public static PutRequest create(String name, String value) {
      return new PutRequest(name, value, "String", false, null, null);
    }

    public static PutRequest overwrite(String name, String value) {
      return new PutRequest(name, value, "String", true, null, null);
    }
  }

  /** Calls and throttled calls, per operation or per caller. */
  public record Counts(long calls, long throttled) {}

  private final LongSupplier clockMs;
  private final TreeMap<String, Param> params = new TreeMap<>();
  private final Map<String, Long> deletedAtMs = new HashMap<>();
  private final TokenBucket getBucket = new TokenBucket(DEFAULT_GET_TPS);
  private final TokenBucket putBucket = new TokenBucket(DEFAULT_PUT_TPS);
  private final Map<Operation, long[]> byOperation = new EnumMap<>(Operation.class);
  private final Map<String, long[]> byCaller = new HashMap<>();
  private final String region;
  private Random random = new Random(1);
  private long staleReadMs;
  private double staleProbability = 1.0;
  private boolean shortPages;
  private long updateWindowMs;
  private long pagesServed;
  private int throttleNext;
  private int tooManyUpdatesNext;
  private int failNext;
  private SsmServiceError failWith;

  /**
   * @param clockMs epoch milliseconds; the quotas, timestamps, stale reads and the re-create delay
   *     all follow it, so a simulation can pass virtual time
   */
  public FakeSsmModel(LongSupplier clockMs, String region) {
    this.clockMs = Objects.requireNonNull(clockMs, "clockMs");
    this.region = Objects.requireNonNull(region, "region");
  }

  /** A model on the system clock in us-east-1. */
  public FakeSsmModel() {
    this(System::currentTimeMillis, "us-east-1");
  }

  // ---- switches

  /** Requests per second GetParameter, GetParameters and GetParametersByPath share (default 40). */
  public synchronized FakeSsmModel getTps(double tps) {
    getBucket.rate(tps, now());
    return this;
  }

  /** Requests per second for PutParameter (default 3); infinity turns the quota off. */
  public synchronized FakeSsmModel putTps(double tps) {
    putBucket.rate(tps, now());
    return this;
  }

  /**
   * With probability {@code probability} (per read), a read of a name sees its newest version that
   * is at least {@code ms} old: a just-created name is missing, a just-overwritten one shows the
   * previous version. Zero {@code ms} turns stale reads off.
   */
  public synchronized FakeSsmModel staleReads(long ms, double probability) {
    if (ms < 0 || probability < 0 || probability > 1) {
      throw new IllegalArgumentException(
          "staleReads needs ms >= 0 and 0 <= probability <= 1, got " + ms + ", " + probability);
    }
    staleReadMs = ms;
    staleProbability = probability;
    return this;
  }

  /**
   * While on, GetParametersByPath returns pages of a random size from 0 (a quarter of them) to
   * MaxResults with NextToken still set, and a token after the last full page, as the real service
   * may.
   */
  public synchronized FakeSsmModel shortPages(boolean on) {
    shortPages = on;
    return this;
  }

  /** Seeds the random choices (short page sizes, which reads are stale). */
  public synchronized FakeSsmModel seed(long seed) {
    random = new Random(seed);
    return this;
  }

  /**
   * A PutParameter on a name written less than {@code ms} ago (model clock) fails with
   * TooManyUpdates, as concurrent writes of one name do; zero (default) turns it off.
   */
  public synchronized FakeSsmModel updateWindowMs(long ms) {
    updateWindowMs = ms;
    return this;
  }

  /** The next {@code count} calls fail with ThrottlingException "Rate exceeded". */
  public synchronized FakeSsmModel throttleNext(int count) {
    throttleNext = requireCount(count);
    return this;
  }

  /** The next {@code count} PutParameter calls fail with TooManyUpdates. */
  public synchronized FakeSsmModel tooManyUpdatesNext(int count) {
    tooManyUpdatesNext = requireCount(count);
    return this;
  }

  /** The next {@code count} calls fail with HTTP {@code httpStatus} (5xx) InternalServerError. */
  public synchronized FakeSsmModel failNext(int count, int httpStatus) {
    if (httpStatus < 500 || httpStatus > 599) {
      throw new IllegalArgumentException("failNext needs a 5xx status, got " + httpStatus);
    }
    return failNext(count, SsmServiceError.internal(httpStatus));
  }

  /** The next {@code count} calls fail with {@code error}, e.g. an AccessDeniedException. */
  public synchronized FakeSsmModel failNext(int count, SsmServiceError error) {
    failNext = requireCount(count);
    failWith = Objects.requireNonNull(error, "error");
    return this;
  }

  /** Turns every fault and quirk off and the quotas back to their defaults; keeps the data. */
  public synchronized FakeSsmModel reset() {
    getBucket.rate(DEFAULT_GET_TPS, now());
    putBucket.rate(DEFAULT_PUT_TPS, now());
    staleReadMs = 0;
    shortPages = false;
    updateWindowMs = 0;
    throttleNext = 0;
    tooManyUpdatesNext = 0;
    failNext = 0;
    return this;
  }

  // ---- counters

  /** Calls received (throttled and failed ones included) and calls throttled, per operation. */
  public synchronized Counts counts(Operation op) {
    long[] c = byOperation.getOrDefault(op, new long[2]);
    return new Counts(c[0], c[1]);
  }

  /** Calls and throttled calls of one caller (the access key id on the wire). */
  public synchronized Counts countsBy(String caller) {
    long[] c = byCaller.getOrDefault(caller, new long[2]);
    return new Counts(c[0], c[1]);
  }

  /** Every caller seen so far. */
  public synchronized Set<String> callers() {
    return new TreeSet<>(byCaller.keySet());
  }

  public synchronized void clearCounts() {
    byOperation.clear();
    byCaller.clear();
  }

  /** How many names exist. */
  public synchronized int size() {
    return params.size();
  }

  /** {@code arn:aws:ssm:<region>:123456789012:parameter/<name without its leading slash>}. */
  public String arn(String name) {
    return "arn:aws:ssm:"
        + region
        + ":"
        + ACCOUNT
        + ":parameter"
        + (name.startsWith("/") ? "" : "/")
        + name;
  }

  // ---- operations

  /** GetParameter of {@code name}, {@code name:version} or {@code name:label}. */
  public synchronized Parameter getParameter(String caller, String selected) {
    admit(caller, Operation.GET_PARAMETER);
    return resolve(selected).orElseThrow(() -> SsmServiceError.notFound(selected));
  }

  /** GetParameters of 1–10 names (each may carry a selector). */
  public synchronized Fetched getParameters(String caller, List<String> names) {
    admit(caller, Operation.GET_PARAMETERS);
    requireBatch(names, "names");

    List<Parameter> found = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    for (String selected : new LinkedHashSet<>(names)) {
      Optional<Parameter> p = resolveQuietly(selected);
      if (p.isPresent()) {
        found.add(p.get());
      } else {
        invalid.add(selected);
      }
    }
    found.sort((a, b) -> a.name().compareTo(b.name()));
    return new Fetched(found, invalid);
  }

  /**
   * GetParametersByPath: names under {@code path} (all levels when {@code recursive}), in name
   * order, at most {@code maxResults} (1–10; null = 10) per page.
   */
  public synchronized Page getParametersByPath(
      String caller, String path, boolean recursive, Integer maxResults, String nextToken) {
    admit(caller, Operation.GET_PARAMETERS_BY_PATH);
    int max = maxResults == null ? MAX_BATCH : maxResults;
    if (max < 1 || max > MAX_BATCH) {
      throw SsmServiceError.constraint(
          String.valueOf(max), "maxResults", "have value less than or equal to 10");
    }
    String prefix = pathPrefix(path);
    String after = nextToken == null ? null : decodeToken(nextToken, prefix);
    int size = shortPages ? shortPageSize(max) : max;

    NavigableMap<String, Param> range =
        after == null
            ? params.subMap(prefix, true, prefixEnd(prefix), false)
            : params.subMap(after, false, prefixEnd(prefix), false);
    return collectPage(range, prefix, recursive, size, after);
  }

  /** PutParameter: creates version 1, or (with Overwrite) writes the next version. */
  public synchronized Written putParameter(String caller, PutRequest request) {
    admit(caller, Operation.PUT_PARAMETER);
    String name = requireName(request.name());
    String tier = tierFor(request);
    long now = now();

    Param param = params.get(name);
    if (tooManyUpdatesNext > 0) {
      tooManyUpdatesNext--;
      throw SsmServiceError.tooManyUpdates();
    }
    if (param == null) {
      return create(name, request, tier, now);
    }
    if (!Boolean.TRUE.equals(request.overwrite())) {
      throw SsmServiceError.client(
          "ParameterAlreadyExists",
          "The parameter already exists. To overwrite this value, set the overwrite option in"
              + " the request to true.");
    }
    return overwrite(param, request, tier, now);
  }

  /** Creates {@code name} as a String parameter; see {@link #putParameter}. */
  public long create(String caller, String name, String value) {
    return putParameter(caller, PutRequest.create(name, value)).version();
  }

  /** Writes the next version of {@code name}, creating it if absent. */
  public long overwrite(String caller, String name, String value) {
    return putParameter(caller, PutRequest.overwrite(name, value)).version();
  }

  /** DeleteParameter of one name; a name that does not exist is ParameterNotFound. */
  public synchronized void deleteParameter(String caller, String name) {
    admit(caller, Operation.DELETE_PARAMETER);
    if (!remove(name)) {
      throw SsmServiceError.notFound(name);
    }
  }

  /** DeleteParameters of 1–10 names; names not found are listed, not an error. */
  public synchronized Deleted deleteParameters(String caller, List<String> names) {
    admit(caller, Operation.DELETE_PARAMETERS);
    requireBatch(names, "names");

    List<String> deleted = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    for (String name : new LinkedHashSet<>(names)) {
      (remove(name) ? deleted : invalid).add(name);
    }
    return new Deleted(deleted, invalid);
  }

  /**
   * LabelParameterVersion: moves each valid label to {@code version} (null = the newest). Labels
   * that break the naming rules are returned, not applied.
   */
  public synchronized Labelled labelParameterVersion(
      String caller, String name, Long version, List<String> labels) {
    admit(caller, Operation.LABEL_PARAMETER_VERSION);
    if (labels == null || labels.isEmpty() || labels.size() > MAX_BATCH) {
      throw SsmServiceError.constraint(
          String.valueOf(labels), "labels", "have length less than or equal to 10");
    }
    Param param = params.get(name);
    if (param == null) {
      throw SsmServiceError.notFound(name);
    }
    Version target = version == null ? param.newest() : param.version(version);
    if (target == null) {
      throw versionNotFound(name, version);
    }

    List<String> invalid = new ArrayList<>();
    List<String> valid = new ArrayList<>();
    for (String label : new LinkedHashSet<>(labels)) {
      (validLabel(label) ? valid : invalid).add(label);
    }
    param.label(target, valid);
    return new Labelled(target.number, invalid);
  }

  /** GetParameterHistory: every kept version, oldest first, with its labels. */
  public synchronized Page getParameterHistory(
      String caller, String name, Integer maxResults, String nextToken) {
    admit(caller, Operation.GET_PARAMETER_HISTORY);
    int max = maxResults == null ? MAX_HISTORY_PAGE : maxResults;
    if (max < 1 || max > MAX_HISTORY_PAGE) {
      throw SsmServiceError.constraint(
          String.valueOf(max), "maxResults", "have value less than or equal to 50");
    }
    Param param = params.get(name);
    if (param == null) {
      throw SsmServiceError.notFound(name);
    }
    int from = historyOffset(nextToken);

    List<Parameter> page = new ArrayList<>();
    for (int i = from; i < param.versions.size() && page.size() < max; i++) {
      Version v = param.versions.get(i);
      page.add(view(param, v, Optional.empty(), List.copyOf(v.labels)));
    }
    int next = from + page.size();
    return new Page(
        page, next < param.versions.size() ? Optional.of(String.valueOf(next)) : Optional.empty());
  }

  // ---- admission: counters, armed faults, quotas

  private void admit(String caller, Operation op) {
    long[] opCounts = byOperation.computeIfAbsent(op, o -> new long[2]);
    long[] callerCounts = byCaller.computeIfAbsent(String.valueOf(caller), c -> new long[2]);
    opCounts[0]++;
    callerCounts[0]++;

    if (failNext > 0) {
      failNext--;
      throw failWith;
    }
    boolean throttled;
    if (throttleNext > 0) {
      throttleNext--;
      throttled = true;
    } else if (op == Operation.PUT_PARAMETER) {
      throttled = !putBucket.tryTake(now());
    } else {
      throttled = op.getQuota && !getBucket.tryTake(now());
    }
    if (throttled) {
      opCounts[1]++;
      callerCounts[1]++;
      throw SsmServiceError.throttling();
    }
  }

  // ---- reads

  private Optional<Parameter> resolve(String selected) {
    int colon = selected.indexOf(':');
    String name = colon < 0 ? selected : selected.substring(0, colon);
    Param param = params.get(name);
    if (param == null) {
      return Optional.empty();
    }
    if (colon < 0) {
      Version v = visible(param);
      return v == null
          ? Optional.empty()
          : Optional.of(view(param, v, Optional.empty(), List.of()));
    }
    String selector = selected.substring(colon + 1);
    Version v;
    if (!selector.isEmpty() && selector.chars().allMatch(Character::isDigit)) {
      v = param.version(Long.parseLong(selector));
      if (v == null) {
        throw versionNotFound(name, Long.parseLong(selector));
      }
    } else {
      v = param.labels.get(selector);
    }
    return v == null
        ? Optional.empty()
        : Optional.of(view(param, v, Optional.of(":" + selector), List.of()));
  }

  /** {@link #resolve}, with a missing version reported as "not found" (GetParameters' way). */
  private Optional<Parameter> resolveQuietly(String selected) {
    try {
      return resolve(selected);
    } catch (SsmServiceError e) {
      return Optional.empty();
    }
  }

  /** The newest version, or with a stale read the newest one old enough; null if none is. */
  private Version visible(Param param) {
    if (staleReadMs <= 0 || (staleProbability < 1 && random.nextDouble() >= staleProbability)) {
      return param.newest();
    }
    long cutoff = now() - staleReadMs;
    for (int i = param.versions.size() - 1; i >= 0; i--) {
      Version v = param.versions.get(i);
      if (v.modifiedMs <= cutoff) {
        return v;
      }
    }
    return null;
  }

  /** Empty a quarter of the time, else 1..max: empty pages must be common enough to matter. */
  private int shortPageSize(int max) {
    return random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(max);
  }

  private Page collectPage(
      NavigableMap<String, Param> range, String prefix, boolean recursive, int size, String after) {
    List<Parameter> page = new ArrayList<>();
    String last = after;
    Iterator<Param> it = range.values().iterator();
    while (page.size() < size && it.hasNext()) {
      Param param = it.next();
      last = param.name;
      if (!recursive && param.name.indexOf('/', prefix.length()) >= 0) {
        continue;
      }
      Version v = visible(param);
      if (v != null) {
        page.add(view(param, v, Optional.empty(), List.of()));
      }
    }
    boolean more = it.hasNext() || (shortPages && size > 0 && page.size() == size);
    if (!more) {
      return new Page(page, Optional.empty());
    }
    return new Page(page, Optional.of(encodeToken(prefix, last)));
  }

  private Parameter view(Param param, Version v, Optional<String> selector, List<String> labels) {
    return new Parameter(
        param.name,
        v.type,
        v.value,
        v.number,
        v.modifiedMs,
        arn(param.name),
        v.dataType,
        v.tier,
        selector,
        labels);
  }

  private static String pathPrefix(String path) {
    if (path == null || !path.startsWith("/") || path.contains("//")) {
      throw SsmServiceError.validation(
          "The parameter doesn't meet the parameter name requirements. The parameter name must"
              + " begin with a forward slash \"/\". Path: "
              + path);
    }
    return path.endsWith("/") ? path : path + "/";
  }

  /** The first string after every name that starts with {@code prefix} ('/' + 1 is '0'). */
  private static String prefixEnd(String prefix) {
    return prefix.substring(0, prefix.length() - 1) + '0';
  }

  /**
   * An opaque token that differs on every page, as the service's do: the AWS CLI's paginator aborts
   * ("The same next token was received twice") when an empty page repeats a token.
   */
  private String encodeToken(String prefix, String last) {
    String raw = prefix + "\n" + (last == null ? "" : last) + "\n" + (++pagesServed);
    return Base64.getUrlEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The name a page ended at; null when the token points at the start of the range. */
  private static String decodeToken(String token, String prefix) {
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw SsmServiceError.client("InvalidNextToken", "The specified token isn't valid.");
    }
    int nl = raw.indexOf('\n');
    if (nl < 0 || !raw.substring(0, nl).equals(prefix)) {
      throw SsmServiceError.client("InvalidNextToken", "The specified token isn't valid.");
    }
    int end = raw.lastIndexOf('\n');
    String last = end > nl ? raw.substring(nl + 1, end) : "";
    return last.isEmpty() ? null : last;
  }

  private static int historyOffset(String token) {
    if (token == null) {
      return 0;
    }
    try {
      return Integer.parseInt(token);
    } catch (NumberFormatException e) {
      throw SsmServiceError.client("InvalidNextToken", "The specified token isn't valid.");
    }
  }

  // ---- writes

  private Written create(String name, PutRequest request, String tier, long now) {
    Long deleted = deletedAtMs.get(name);
    if (deleted != null && now - deleted < RECREATE_DELAY_MS) {
      throw SsmServiceError.client("TooManyUpdates", STALE_TAGS_MESSAGE);
    }
    deletedAtMs.remove(name);
    if (request.type() == null) {
      throw SsmServiceError.validation("A parameter type is required when you create a parameter.");
    }
    Param param = new Param(name);
    param.append(request, requireType(request.type()), tier, now);
    params.put(name, param);
    return new Written(1, tier);
  }

  private Written overwrite(Param param, PutRequest request, String tier, long now) {
    if (updateWindowMs > 0 && now - param.lastWriteMs < updateWindowMs) {
      throw SsmServiceError.tooManyUpdates();
    }
    String type = request.type() == null ? param.newest().type : requireType(request.type());
    if (param.versions.size() >= MAX_VERSIONS) {
      Version oldest = param.versions.get(0);
      if (!oldest.labels.isEmpty()) {
        throw versionLimit(param.name, oldest.number);
      }
      param.dropOldest();
    }
    Version v = param.append(request, type, tier, now);
    return new Written(v.number, tier);
  }

  private boolean remove(String name) {
    if (params.remove(name) == null) {
      return false;
    }
    deletedAtMs.put(name, now());
    return true;
  }

  private static SsmServiceError versionLimit(String name, long oldest) {
    return SsmServiceError.client(
        "ParameterMaxVersionLimitExceeded",
        "You attempted to create a new version of "
            + name
            + " by calling the PutParameter API with the overwrite flag. Version "
            + oldest
            + ", the oldest version, can't be deleted because it has a label associated with"
            + " it. Move the label to another version of the parameter, and try again.");
  }

  private static SsmServiceError versionNotFound(String name, Long version) {
    return SsmServiceError.client(
        "ParameterVersionNotFound",
        "Systems Manager could not find version "
            + version
            + " of "
            + name
            + ". Verify the version and try again.");
  }

  // ---- validation

  static String requireName(String name) {
    if (name == null || name.isEmpty()) {
      throw SsmServiceError.constraint("", "name", "have length greater than or equal to 1");
    }
    if (name.length() > MAX_NAME) {
      throw SsmServiceError.validation(
          "Parameter name " + name + " is too long: at most " + MAX_NAME + " characters");
    }
    if (!NAME_CHARS.matcher(name).matches() || name.contains("//") || name.endsWith("/")) {
      throw SsmServiceError.validation(NAME_RULES);
    }
    if (name.contains("/") && !name.startsWith("/")) {
      throw SsmServiceError.validation("Parameter name must be a fully qualified name.");
    }
    String first = (name.startsWith("/") ? name.substring(1) : name).toLowerCase(Locale.ROOT);
    if (first.startsWith("aws")) {
      throw SsmServiceError.client(
          "AccessDeniedException", "No access to reserved parameter name: " + name + ".");
    }
    if (first.startsWith("ssm")) {
      throw SsmServiceError.validation(NAME_RULES);
    }
    long levels = name.chars().filter(c -> c == '/').count();
    if (levels > MAX_LEVELS) {
      throw SsmServiceError.client(
          "HierarchyLevelLimitExceededException",
          "A hierarchy can have a maximum of 15 levels. For more information, see Requirements"
              + " and constraints for parameter names in the Amazon Web Services Systems Manager"
              + " User Guide.");
    }
    return name;
  }

  private static String requireType(String type) {
    if (!TYPES.contains(type)) {
      throw SsmServiceError.constraint(
          type, "type", "satisfy enum value set: [SecureString, StringList, String]");
    }
    return type;
  }

  private static String tierFor(PutRequest request) {
    String value = request.value();
    if (value == null || value.isEmpty()) {
      throw SsmServiceError.constraint("", "value", "have length greater than or equal to 1");
    }
    int length = value.codePointCount(0, value.length());
    String tier = request.tier() == null ? "Standard" : request.tier();
    switch (tier) {
      case "Standard" -> {
        if (length > MAX_STANDARD_VALUE) {
          throw SsmServiceError.validation(
              "Standard tier parameters support a maximum parameter value of 4096 characters."
                  + " To create a larger parameter value, upgrade the parameter to use the"
                  + " advanced-parameter tier. For more information, see"
                  + " https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                  + "parameter-store-advanced-parameters.html");
        }
        return tier;
      }
      case "Advanced", "Intelligent-Tiering" -> {
        if (length > MAX_ADVANCED_VALUE) {
          throw SsmServiceError.constraint(
              "***", "value", "have length less than or equal to " + MAX_ADVANCED_VALUE);
        }
        return length > MAX_STANDARD_VALUE || tier.equals("Advanced") ? "Advanced" : "Standard";
      }
      default ->
          throw SsmServiceError.constraint(
              tier, "tier", "satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]");
    }
  }

  /** At most 100 characters of letters, digits, '.', '-', '_'; no digit, aws or ssm first. */
  static boolean validLabel(String label) {
    if (label == null || label.isEmpty() || label.length() > MAX_LABEL) {
      return false;
    }
    String lower = label.toLowerCase(Locale.ROOT);
    return LABEL_CHARS.matcher(label).matches()
        && !Character.isDigit(label.charAt(0))
        && !lower.startsWith("aws")
        && !lower.startsWith("ssm");
  }

  private static void requireBatch(List<String> names, String member) {
    if (names == null || names.isEmpty() || names.size() > MAX_BATCH) {
      throw SsmServiceError.constraint(
          String.valueOf(names),
          member,
          "have length less than or equal to 10 and greater than or equal to 1");
    }
  }

  private static int requireCount(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    return count;
  }

  private long now() {
    return clockMs.getAsLong();
  }

  // ---- state

  /** One version: immutable but for its labels. */
  private static final class Version {
    final long number;
    final String value;
    final String type;
    final String dataType;
    final String tier;
    final long modifiedMs;
    final Set<String> labels = new LinkedHashSet<>();

    Version(long number, String value, String type, String dataType, String tier, long ms) {
      this.number = number;
      this.value = value;
      this.type = type;
      this.dataType = dataType;
      this.tier = tier;
      this.modifiedMs = ms;
    }
  }

  /** One name: its kept versions (contiguous numbers, oldest first) and its labels. */
  private static final class Param {
    final String name;
    final List<Version> versions = new ArrayList<>();
    final Map<String, Version> labels = new HashMap<>();
    long lastWriteMs = Long.MIN_VALUE / 2;

    Param(String name) {
      this.name = name;
    }

    Version newest() {
      return versions.get(versions.size() - 1);
    }

    /** The kept version with this number, or null. */
    Version version(long number) {
      long index = number - versions.get(0).number;
      return index < 0 || index >= versions.size() ? null : versions.get((int) index);
    }

    Version append(PutRequest request, String type, String tier, long now) {
      long number = versions.isEmpty() ? 1 : newest().number + 1;
      String dataType = request.dataType() == null ? "text" : request.dataType();
      Version v = new Version(number, request.value(), type, dataType, tier, now);
      versions.add(v);
      lastWriteMs = now;
      return v;
    }

    void dropOldest() {
      versions.remove(0);
    }

    /** Moves {@code names} to {@code target}, all or none, keeping ≤ 10 labels a version. */
    void label(Version target, List<String> names) {
      Set<String> after = new LinkedHashSet<>(target.labels);
      after.addAll(names);
      if (after.size() > MAX_LABELS_PER_VERSION) {
        throw SsmServiceError.client(
            "ParameterVersionLabelLimitExceeded",
            "An attempt was made to attach more than 10 labels to a parameter version.");
      }
      for (String label : names) {
        Version previous = labels.put(label, target);
        if (previous != null && previous != target) {
          previous.labels.remove(label);
        }
        target.labels.add(label);
      }
    }
  }

  /**
   * A token bucket on the model's clock: holds at most one second of tokens (at least one), so a
   * quiet caller can burst up to the rate and then gets the rate.
   */
  private static final class TokenBucket {
    private double rate;
    private double tokens;
    private long lastMs = Long.MIN_VALUE;

    TokenBucket(double rate) {
      this.rate = rate;
      this.tokens = capacity();
    }

    void rate(double tps, long now) {
      if (!(tps > 0)) {
        throw new IllegalArgumentException("a rate must be > 0 (or infinity), got " + tps);
      }
      rate = tps;
      tokens = capacity();
      lastMs = now;
    }

    boolean tryTake(long now) {
      if (Double.isInfinite(rate)) {
        return true;
      }
      if (lastMs != Long.MIN_VALUE && now > lastMs) {
        tokens = Math.min(capacity(), tokens + (now - lastMs) * rate / 1000.0);
      }
      lastMs = Math.max(lastMs, now);
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    private double capacity() {
      return Math.max(1, rate);
    }
  }

  /** Read-only view used by tests: the labels currently on each version of {@code name}. */
  synchronized Map<String, Long> labels(String name) {
    Param param = params.get(name);
    if (param == null) {
      return Map.of();
    }
    Map<String, Long> result = new TreeMap<>();
    param.labels.forEach((label, v) -> result.put(label, v.number));
    return Collections.unmodifiableMap(result);
  }
}
