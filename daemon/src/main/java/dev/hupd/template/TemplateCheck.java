package dev.hupd.template;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.config.CfnHupConfig;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HookDefinition;
import dev.hupd.config.HupdSettings;
import dev.hupd.metadata.MetadataPath;
import dev.hupd.rollout.Policy;
import dev.hupd.toolchain.Manifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code hupd check --template}: validates the hupd parts of a CloudFormation template without
 * contacting anything. For the resource whose {@code Metadata} holds {@code
 * AWS::CloudFormation::Init}: the cfn-hup files it writes (through hupd's own parser), that each
 * hook's {@code path=} exists in the template, the toolchain manifest, the rollout policy, and the
 * instance profile's IAM ({@link IamCheck}).
 */
public final class TemplateCheck {

  static final String INIT = "AWS::CloudFormation::Init";
  static final Path CFN_DIR = Path.of("/etc/cfn");
  static final Path HUPD_CONF = Path.of("/etc/hupd/hupd.conf");

  /**
   * What a check found.
   *
   * @param lines what was checked, one line each, for standard output
   * @param problems errors, warnings and notes in the order found
   */
  public record Report(List<String> lines, List<TemplateProblem> problems) {
    public long errors() {
      return problems.stream().filter(p -> p.severity() == TemplateProblem.Severity.ERROR).count();
    }
  }

  /** A file cfn-init writes, as far as the template determines it. */
  private record FileText(String where, String text, Set<String> placeholders) {}

  private final JsonNode template;
  private final JsonNode resources;
  private final Intrinsics intrinsics;
  private final List<TemplateProblem> problems = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();
  private final StandIns standIns = new StandIns();
  private boolean settingsInvalid; // the hupd.conf entry is there but has errors (reported)

  TemplateCheck(JsonNode template, Intrinsics intrinsics) {
    this.template = template;
    this.resources = template.path("Resources");
    this.intrinsics = intrinsics;
  }

  /** Checks {@code resource}, or every resource whose Init writes a cfn-hup.conf. */
  public static Report check(JsonNode template, Optional<String> resource) {
    TemplateCheck c = new TemplateCheck(template, Intrinsics.placeholders(template));
    c.run(resource);
    return new Report(List.copyOf(c.lines), List.copyOf(c.problems));
  }

  private void run(Optional<String> resource) {
    if (!resources.isObject() || resources.isEmpty()) {
      problems.add(TemplateProblem.error("Resources", "no resources", "a Resources mapping"));
      return;
    }
    List<String> targets = resource.map(List::of).orElseGet(this::targets);
    if (targets.isEmpty()) {
      problems.add(
          TemplateProblem.error(
              "Resources",
              "no resource's Metadata holds " + INIT + " with a file /etc/cfn/cfn-hup.conf",
              "a launch template or instance whose cfn-init writes /etc/cfn/cfn-hup.conf"));
    }
    for (String id : targets) {
      checkResource(id);
    }
  }

  /** Resources whose Init writes /etc/cfn/cfn-hup.conf, in template order. */
  private List<String> targets() {
    List<String> out = new ArrayList<>();
    resources
        .fieldNames()
        .forEachRemaining(
            id -> {
              if (initFiles(id).containsKey("/etc/cfn/cfn-hup.conf")) {
                out.add(id);
              }
            });
    return out;
  }

  /** Each config of the resource's Init (not its configSets): template location → config. */
  private Map<String, JsonNode> initConfigs(String id) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    String prefix = "Resources." + id + ".Metadata." + INIT + ".";
    resources
        .path(id)
        .path("Metadata")
        .path(INIT)
        .fields()
        .forEachRemaining(
            config -> {
              if (!config.getKey().equals("configSets")) {
                out.put(prefix + config.getKey(), config.getValue());
              }
            });
    return out;
  }

  /** Every file of every config of the resource's Init: path → template location of the entry. */
  private Map<String, String> initFiles(String id) {
    Map<String, String> out = new LinkedHashMap<>();
    initConfigs(id)
        .forEach(
            (where, config) ->
                config
                    .path("files")
                    .fieldNames()
                    .forEachRemaining(f -> out.put(f, where + ".files." + f)));
    return out;
  }

  private void checkResource(String id) {
    String at = "Resources." + id;
    if (!resources.has(id)) {
      problems.add(TemplateProblem.error(at, "no such resource", "the logical id of a resource"));
      return;
    }
    if (!resources.path(id).path("Metadata").has(INIT)) {
      problems.add(
          TemplateProblem.error(at + ".Metadata", "no " + INIT, INIT + " with the cfn-hup files"));
      return;
    }
    lines.add("resource: " + id + " (" + resources.path(id).path("Type").asText() + ")");
    Map<Path, FileText> files = files(id);
    Optional<CfnHupConfig> cfnHup = cfnHup(files);
    Optional<HupdSettings> settings = settings(files);
    cfnHup.ifPresent(c -> c.hooks().forEach(h -> checkHook(h, files)));
    checkManifest(id, settings);
    checkPolicy(id, settings);
    checkSelfRestart(id);
    if (settingsInvalid) {
      lines.add(
          "iam: the calls hupd makes depend on /etc/hupd/hupd.conf; checked once its errors are"
              + " fixed");
    } else {
      new IamCheck(template, intrinsics, problems, lines).check(id, needs(settings));
    }
  }

  /** An image whose registry host is a reserved example or test domain (RFC 2606, RFC 6761). */
  static boolean placeholderRegistry(String image) {
    int slash = image.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String host = image.substring(0, slash).toLowerCase(java.util.Locale.ROOT);
    int colon = host.indexOf(':');
    if (colon >= 0) {
      host = host.substring(0, colon);
    }
    for (String reserved : new String[] {"example.com", "example.net", "example.org"}) {
      if (host.equals(reserved) || host.endsWith("." + reserved)) {
        return true;
      }
    }
    return host.endsWith(".example") || host.endsWith(".invalid") || host.endsWith(".test");
  }

  /**
   * A restart trigger on the hupd service ({@code services: sysvinit|systemd: hupd: files:} and the
   * like): cfn-init restarts hupd when it changed one of them, and when that cfn-init runs from
   * hupd's own hook, the restart waits for hupd to stop while hupd waits for its action.
   */
  private void checkSelfRestart(String id) {
    initConfigs(id)
        .forEach(
            (where, config) -> {
              for (String manager : new String[] {"sysvinit", "systemd"}) {
                JsonNode service = config.path("services").path(manager).path("hupd");
                for (String trigger : new String[] {"files", "sources", "packages", "commands"}) {
                  if (service.path(trigger).size() > 0) {
                    problems.add(
                        TemplateProblem.warning(
                            where + ".services." + manager + ".hupd." + trigger,
                            "cfn-init restarts hupd when these change; run from hupd's own hook"
                                + " (cfn-auto-reloader), the restart waits for hupd to stop while"
                                + " hupd waits up to stop-timeout for cfn-init, then ends it and"
                                + " runs it again",
                            "no restart trigger on hupd; queue one instead with a commands:"
                                + " entry `systemctl --no-block try-restart hupd.service`"));
                  }
                }
              }
            });
  }

  /** The cfn-hup and hupd files the resource's Init writes, resolved. */
  private Map<Path, FileText> files(String id) {
    Map<Path, FileText> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : initFiles(id).entrySet()) {
      Path path = Path.of(f.getKey());
      boolean cfn =
          path.getParent() != null
              && (path.getParent().equals(CFN_DIR) && !path.endsWith("cfn-credentials")
                  || path.getParent().equals(CFN_DIR.resolve("hooks.d")));
      if (!cfn && !path.equals(HUPD_CONF)) {
        continue;
      }
      JsonNode entry = entryNode(f.getValue());
      JsonNode content = entry.path("content");
      if (content.isMissingNode()) {
        problems.add(
            entry.has("source")
                ? TemplateProblem.note(
                    f.getValue(), "downloaded from 'source' at deploy time; not checked")
                : TemplateProblem.error(f.getValue(), "no content", "content: a string"));
        continue;
      }
      if (!content.isTextual() && !Intrinsics.isFunction(content)) {
        problems.add(
            TemplateProblem.error(
                f.getValue() + ".content",
                "not text (cfn-init would write JSON)",
                "a string, !Sub or !Join"));
        continue;
      }
      Intrinsics.Resolved r = intrinsics.text(content);
      out.put(path, new FileText(f.getValue(), r.text(), r.placeholders()));
      if (!r.complete()) {
        problems.add(
            TemplateProblem.note(
                f.getValue(),
                "known at deploy time, checked with placeholders: "
                    + String.join(", ", new LinkedHashSet<>(r.placeholders()))));
      }
    }
    return out;
  }

  /** The node at a location built by {@link #initFiles}. */
  private JsonNode entryNode(String where) {
    String rest = where.substring("Resources.".length());
    String id = rest.substring(0, rest.indexOf('.'));
    String afterInit = rest.substring(rest.indexOf(INIT) + INIT.length() + 1);
    String config = afterInit.substring(0, afterInit.indexOf(".files."));
    String file = afterInit.substring(config.length() + ".files.".length());
    return resources.path(id).path("Metadata").path(INIT).path(config).path("files").path(file);
  }

  private Optional<CfnHupConfig> cfnHup(Map<Path, FileText> files) {
    Map<Path, String> cfn = new LinkedHashMap<>();
    files.forEach(
        (p, f) -> {
          if (p.startsWith(CFN_DIR)) {
            cfn.put(p, standIns.apply(f.text(), f.placeholders()));
          }
        });
    try {
      CfnHupConfig c = CfnHupConfig.fromTexts(CFN_DIR, cfn);
      c.warnings().forEach(w -> problems.add(located(w, files, TemplateProblem.Severity.WARNING)));
      var main = c.main();
      lines.add(
          standIns.restore(
              "cfn-hup.conf: stack="
                  + main.stack()
                  + " interval="
                  + main.intervalMinutes()
                  + "m"
                  + main.region().map(r -> " region=" + r).orElse("")));
      return Optional.of(c);
    } catch (ConfigException e) {
      e.warnings().forEach(w -> problems.add(located(w, files, TemplateProblem.Severity.WARNING)));
      e.problems().forEach(p -> problems.add(located(p, files, TemplateProblem.Severity.ERROR)));
      return Optional.empty();
    }
  }

  private Optional<HupdSettings> settings(Map<Path, FileText> files) {
    FileText conf = files.get(HUPD_CONF);
    if (conf == null) {
      return Optional.empty();
    }
    try {
      HupdSettings s =
          HupdSettings.fromText(HUPD_CONF, standIns.apply(conf.text(), conf.placeholders()));
      lines.add("hupd.conf: " + conf.where());
      return Optional.of(s);
    } catch (ConfigException e) {
      e.problems().forEach(p -> problems.add(located(p, files, TemplateProblem.Severity.ERROR)));
      settingsInvalid = true;
      return Optional.empty();
    }
  }

  /**
   * A problem of a file, moved to the file's entry in the template. A problem on a line that holds
   * a placeholder is a note: the value is known only at deploy time.
   */
  private TemplateProblem located(
      ConfigProblem p, Map<Path, FileText> files, TemplateProblem.Severity severity) {
    FileText f = files.get(p.file());
    String where = f == null ? String.valueOf(p.file()) : f.where();
    String[] fileLines = f == null ? new String[0] : f.text().split("\n", -1);
    if (f != null && p.line() > 0 && p.line() <= fileLines.length) {
      String text = fileLines[p.line() - 1];
      Set<String> used =
          f.placeholders().stream().filter(text::contains).collect(Collectors.toSet());
      if (!used.isEmpty()) {
        return new TemplateProblem(
            TemplateProblem.Severity.NOTE,
            where,
            p.line(),
            p.key(),
            "depends on " + String.join(", ", used) + ", known at deploy time; not checked",
            "");
      }
    }
    return new TemplateProblem(
        severity, where, p.line(), p.key(), standIns.restore(p.message()), p.expected());
  }

  private void checkHook(HookDefinition h, Map<Path, FileText> files) {
    FileText f = files.get(h.file());
    String where = f == null ? String.valueOf(h.file()) : f.where();
    String path = standIns.restore(h.path().text());
    lines.add("hook " + h.name() + ": path=" + path + "  (" + where + ":" + h.line() + ")");
    if (!path.equals(h.path().text())) {
      problems.add(
          new TemplateProblem(
              TemplateProblem.Severity.NOTE,
              where,
              h.line(),
              "[" + h.name() + "] path",
              "depends on a value known at deploy time; not checked",
              ""));
      return;
    }
    Optional<String> missing = missing(h.path());
    int line = f == null ? h.line() : pathLine(f.text(), h.line());
    missing.ifPresent(
        m ->
            problems.add(
                new TemplateProblem(
                    TemplateProblem.Severity.ERROR,
                    where,
                    line,
                    "[" + h.name() + "] path",
                    m,
                    "a path to a resource and Metadata key of this template")));
  }

  /** The line of the first {@code path=} at or after the section header, else the header's. */
  private static int pathLine(String text, int header) {
    String[] lines = text.split("\n", -1);
    for (int i = header; i < lines.length; i++) {
      if (lines[i].matches("(?i)path\\s*[:=].*")) {
        return i + 1;
      }
    }
    return header;
  }

  /** Why {@code path} does not exist in the template, or empty when it does. */
  private Optional<String> missing(MetadataPath path) {
    if (!resources.has(path.logicalId())) {
      return Optional.of("no resource " + path.logicalId() + " in the template");
    }
    if (path.target() != MetadataPath.Target.METADATA) {
      return Optional.empty();
    }
    JsonNode node = resources.path(path.logicalId()).path("Metadata");
    String walked = "Resources." + path.logicalId() + ".Metadata";
    if (node.isMissingNode()) {
      return Optional.of(walked + " does not exist");
    }
    for (String key : path.subPath()) {
      if (Intrinsics.isFunction(node)) {
        return Optional.empty();
      }
      if (!node.has(key)) {
        return Optional.of(walked + " has no key '" + key + "'");
      }
      node = node.get(key);
      walked += "." + key;
    }
    return Optional.empty();
  }

  /** The value at a Metadata path of this template, with its location, or empty. */
  private Optional<Map.Entry<String, JsonNode>> at(MetadataPath path) {
    if (path.target() != MetadataPath.Target.METADATA || missing(path).isPresent()) {
      return Optional.empty();
    }
    JsonNode node = resources.path(path.logicalId()).path("Metadata");
    for (String key : path.subPath()) {
      node = node.path(key);
    }
    return Optional.of(Map.entry(path.text(), node));
  }

  private void checkManifest(String id, Optional<HupdSettings> settings) {
    Optional<MetadataPath> configured =
        settings.flatMap(HupdSettings::toolchains).map(HupdSettings.Toolchains::manifestPath);
    Optional<Map.Entry<String, JsonNode>> manifest =
        located(id, "Toolchains", configured, "toolchains-path");
    manifest.ifPresent(
        m -> {
          try {
            Manifest parsed = Manifest.parse(intrinsics.tree(m.getValue(), new LinkedHashSet<>()));
            lines.add("toolchains: " + parsed.toolchains().size() + " (" + m.getKey() + ")");
            parsed.toolchains().stream()
                .filter(t -> placeholderRegistry(t.image()))
                .forEach(
                    t ->
                        problems.add(
                            TemplateProblem.warning(
                                m.getKey() + "." + t.name(),
                                "image "
                                    + t.image()
                                    + " is on a reserved example domain: no agent can pull it,"
                                    + " so every switch to this manifest fails verification"
                                    + " (and a canary with health.toolchains fails)",
                                "an image in a registry your agents can pull")));
          } catch (Manifest.InvalidManifestException e) {
            e.problems()
                .forEach(
                    p ->
                        problems.add(
                            TemplateProblem.error(
                                m.getKey(), p, "see docs/toolchain-manifest.schema.json")));
          }
        });
  }

  private void checkPolicy(String id, Optional<HupdSettings> settings) {
    Optional<MetadataPath> configured =
        settings.flatMap(HupdSettings::fleet).flatMap(HupdSettings.Fleet::rolloutPath);
    located(id, "Rollout", configured, "rollout-path")
        .ifPresent(
            m -> {
              try {
                Policy.parse(intrinsics.tree(m.getValue(), new LinkedHashSet<>()), m.getKey());
                lines.add("rollout: policy at " + m.getKey());
              } catch (Policy.PolicyException e) {
                problems.add(
                    TemplateProblem.error(m.getKey(), e.getMessage(), "see docs/rollout.md §4"));
              }
            });
  }

  /**
   * The document hupd.conf points at ({@code key}), or the resource's {@code Metadata.<name>} when
   * hupd.conf does not name one (then with a warning: hupd would not read it).
   */
  private Optional<Map.Entry<String, JsonNode>> located(
      String id, String name, Optional<MetadataPath> configured, String key) {
    if (configured.isPresent()) {
      Optional<Map.Entry<String, JsonNode>> found = at(configured.get());
      if (found.isEmpty()) {
        problems.add(
            TemplateProblem.error(
                HUPD_CONF + " " + key,
                configured.get().text()
                    + ": "
                    + missing(configured.get()).orElse("not in Metadata"),
                "a Metadata key of this template"));
      }
      return found;
    }
    JsonNode node = resources.path(id).path("Metadata").path(name);
    if (node.isMissingNode()) {
      return Optional.empty();
    }
    String where = "Resources." + id + ".Metadata." + name;
    if (settingsInvalid) {
      // its keys are unknown until the errors above are fixed: check the Metadata, claim nothing
      return Optional.of(Map.entry(where, node));
    }
    problems.add(
        TemplateProblem.warning(
            where,
            "no /etc/hupd/hupd.conf entry sets " + key + ", so hupd will not read this",
            key + " = " + where + " in an /etc/hupd/hupd.conf file entry"));
    return Optional.of(Map.entry(where, node));
  }

  /** The AWS calls hupd makes with these settings (docs/rollout.md §14, docs/bamboo.md). */
  private List<IamCheck.Need> needs(Optional<HupdSettings> settings) {
    List<IamCheck.Need> needs = new ArrayList<>();
    String arn = "arn:${AWS::Partition}:";
    String region = "${AWS::Region}:${AWS::AccountId}:";
    HupdSettings.Source source =
        settings.map(HupdSettings::source).orElse(new HupdSettings.Source.CloudFormation());
    if (source instanceof HupdSettings.Source.CloudFormation) {
      String stack =
          intrinsics
              .text(
                  com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                      .objectNode()
                      .put("Ref", "AWS::StackId"))
              .text();
      needs.add(
          new IamCheck.Need(
              "cloudformation:DescribeStackResource",
              stack,
              arn + "cloudformation:" + region + "stack/${AWS::StackName}/*",
              "to read the stack's metadata"));
    }
    settings
        .flatMap(HupdSettings::fleet)
        .filter(f -> f.store() instanceof HupdSettings.Store.Ssm)
        .ifPresent(
            f -> {
              String prefix =
                  arn + "ssm:" + region + "parameter/hupd/" + standIns.restore(f.name());
              for (String a :
                  List.of(
                      "GetParameters", "GetParametersByPath", "PutParameter", "DeleteParameters")) {
                needs.add(
                    new IamCheck.Need(
                        "ssm:" + a,
                        prefix + "/rev/1/meta",
                        prefix + "/*",
                        "for the fleet's rollout records (store = ssm)"));
              }
            });
    settings
        .flatMap(HupdSettings::bamboo)
        .ifPresent(
            b -> {
              List<String> secrets = new ArrayList<>(List.of(b.token()));
              b.agentSecurityToken().ifPresent(secrets::add);
              for (String secret : secrets) {
                String s = standIns.restore(secret);
                if (!s.startsWith("ssm:")) {
                  continue;
                }
                String name = s.substring(4);
                String param =
                    arn + "ssm:" + region + "parameter" + (name.startsWith("/") ? "" : "/") + name;
                needs.add(
                    new IamCheck.Need(
                        "ssm:GetParameter", param, param, "for the Bamboo secret " + s));
                needs.add(
                    new IamCheck.Need(
                        "kms:Decrypt",
                        arn + "kms:" + region + "key/${key-id}",
                        "the parameter's KMS key",
                        "to decrypt the Bamboo secret " + s));
              }
            });
    return needs;
  }
}
