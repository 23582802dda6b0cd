package dev.hupd.config;

import dev.hupd.metadata.MetadataPath;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A cfn-hup configuration directory ({@code /etc/cfn} by default): {@code cfn-hup.conf} plus {@code
 * hooks.conf} and {@code hooks.d/*}, read unchanged.
 *
 * @param directory the configuration directory
 * @param main the {@code [main]} section
 * @param hooks hooks in the order cfn-hup would run them
 * @param warnings things that work but deserve the operator's attention
 */
public record CfnHupConfig(
    Path directory, MainConfig main, List<HookDefinition> hooks, List<ConfigProblem> warnings) {

  public static final Path DEFAULT_DIRECTORY = Path.of("/etc/cfn");

  private static final List<String> MAIN_KEYS =
      List.of(
          "stack",
          "region",
          "url",
          "credential-file",
          "role",
          "interval",
          "verbose",
          "umask",
          "multi-threaded",
          "sqs_url",
          "proxy");
  private static final List<String> BACKUP_SUFFIXES =
      List.of(
          "~",
          ".bak",
          ".orig",
          ".swp",
          ".tmp",
          ".rpmnew",
          ".rpmsave",
          ".rpmorig",
          ".dpkg-old",
          ".dpkg-new",
          ".dpkg-dist");

  /**
   * Loads and validates everything, collecting every problem before failing.
   *
   * @throws ConfigException listing all problems found
   */
  public static CfnHupConfig load(Path directory) throws ConfigException {
    return load(directory, Input.DISK);
  }

  /**
   * As {@link #load(Path)}, from texts held in memory instead of the disk: {@code files} maps each
   * file's path (e.g. {@code /etc/cfn/hooks.d/reloader.conf}) to its content, as cfn-init would
   * write it. Used to check the files a CloudFormation template declares.
   *
   * @throws ConfigException listing all problems found
   */
  public static CfnHupConfig fromTexts(Path directory, Map<Path, String> files)
      throws ConfigException {
    return load(directory, new Texts(Map.copyOf(files)));
  }

  private static CfnHupConfig load(Path directory, Input input) throws ConfigException {
    List<ConfigProblem> problems = new ArrayList<>();
    List<ConfigProblem> warnings = new ArrayList<>();
    MainConfig main = loadMain(directory.resolve("cfn-hup.conf"), input, problems, warnings);
    List<HookDefinition> hooks = loadHooks(directory, input, problems, warnings);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems, warnings);
    }
    return new CfnHupConfig(directory, main, List.copyOf(hooks), List.copyOf(warnings));
  }

  // ---- cfn-hup.conf ----

  /** Where the files come from: the disk, or a template's texts. */
  private interface Input {
    Input DISK =
        new Input() {
          @Override
          public boolean isFile(Path file) {
            return Files.isRegularFile(file);
          }

          @Override
          public List<Path> list(Path folder) throws IOException {
            if (!Files.isDirectory(folder)) {
              return List.of();
            }
            try (Stream<Path> list = Files.list(folder)) {
              return list.sorted().filter(Files::isRegularFile).toList();
            }
          }

          @Override
          public void read(IniParser parser, Path file) {
            parser.read(file);
          }
        };

    boolean isFile(Path file);

    /** The regular files directly in {@code folder}, sorted; empty when it does not exist. */
    List<Path> list(Path folder) throws IOException;

    void read(IniParser parser, Path file);
  }

  private record Texts(Map<Path, String> files) implements Input {
    @Override
    public boolean isFile(Path file) {
      return files.containsKey(file);
    }

    @Override
    public List<Path> list(Path folder) {
      return files.keySet().stream().filter(p -> folder.equals(p.getParent())).sorted().toList();
    }

    @Override
    public void read(IniParser parser, Path file) {
      parser.read(file, files.get(file));
    }
  }

  private static MainConfig loadMain(
      Path file, Input input, List<ConfigProblem> problems, List<ConfigProblem> warnings) {
    if (!input.isFile(file)) {
      problems.add(
          new ConfigProblem(
              file, 0, "", "main configuration not found", "a cfn-hup.conf with a [main] section"));
      return null;
    }
    IniParser parser = new IniParser();
    input.read(parser, file);
    problems.addAll(parser.problems());
    warnings.addAll(parser.warnings());
    IniDocument doc = parser.document();
    Optional<IniDocument.Section> section = doc.section("main");
    if (section.isEmpty()) {
      if (parser.problems().isEmpty()) {
        problems.add(
            new ConfigProblem(
                file, 0, "[main]", "section is missing", "a [main] section (lower case)"));
      }
      return null;
    }
    for (IniDocument.Entry entry : section.get().entries().values()) {
      if (!MAIN_KEYS.contains(entry.key())) {
        warnings.add(
            new ConfigProblem(
                file,
                entry.line(),
                "[main] " + entry.key(),
                "unknown key, ignored (as cfn-hup does)",
                "one of " + String.join(", ", MAIN_KEYS)));
      }
    }
    Reader r = new Reader(doc, "main", file, problems);
    String stack = r.string("stack").orElse(null);
    boolean stackWritten = doc.entry("main", "stack").isPresent();
    if (!stackWritten || (stack != null && stack.isBlank())) {
      problems.add(
          new ConfigProblem(
              file,
              section.get().line(),
              "[main] stack",
              "required key is missing",
              "stack=<stack name or stack ARN>"));
    }
    Optional<String> region = r.string("region").map(String::strip).filter(s -> !s.isEmpty());
    if (region.isPresent() && !region.get().matches("[a-z]{2}(-[a-z0-9]+)+")) {
      r.problem(
          "region", "not a region name: '" + region.get() + "'", "a region such as eu-west-1");
      region = Optional.empty();
    }
    Optional<URI> url =
        r.uri(
            "url",
            "an http:// or https:// URL, e.g. https://cloudformation.eu-west-1.amazonaws.com");
    Optional<Path> credentialFile =
        r.string("credential-file").filter(s -> !s.isBlank()).map(Path::of);
    Optional<String> role = r.string("role").filter(s -> !s.isBlank());
    if (credentialFile.isPresent() && role.isEmpty()) {
      // as upstream, role= wins and the file is then not read at all
      try {
        CredentialFile.read(credentialFile.get(), file, r.lineOf("credential-file"));
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      }
    }
    int interval = MainConfig.DEFAULT_INTERVAL_MINUTES;
    Optional<String> intervalText = r.string("interval");
    if (intervalText.isPresent()) {
      try {
        interval = Integer.parseInt(intervalText.get().strip());
        if (interval > 525_600) {
          r.problem(
              "interval",
              "more than a year of minutes: " + interval,
              "a whole number of minutes from 1 to 525600");
          interval = MainConfig.DEFAULT_INTERVAL_MINUTES;
        } else if (interval < 1) {
          r.problem(
              "interval",
              "must be 1 minute or greater, got " + interval,
              "a whole number of minutes >= 1");
          interval = MainConfig.DEFAULT_INTERVAL_MINUTES;
        }
      } catch (NumberFormatException e) {
        r.problem(
            "interval",
            "not a whole number: '" + intervalText.get() + "'",
            "a whole number of minutes >= 1, e.g. interval=5");
      }
    }
    boolean verbose = false;
    Optional<String> verboseText = r.string("verbose");
    if (verboseText.isPresent()) {
      Optional<Boolean> b = parseBoolean(verboseText.get());
      if (b.isEmpty()) {
        r.problem(
            "verbose",
            "not a boolean: '" + verboseText.get() + "'",
            "true/false, yes/no, on/off or 1/0");
      } else {
        verbose = b.get();
      }
    }
    int umask = MainConfig.DEFAULT_UMASK;
    Optional<String> umaskText = r.string("umask");
    if (umaskText.isPresent()) {
      try {
        umask = Integer.parseInt("0" + umaskText.get().strip(), 8);
        if (umask > 0777) {
          r.problem(
              "umask",
              "out of range: '" + umaskText.get() + "'",
              "an octal value between 0 and 0777, e.g. 022");
        }
      } catch (NumberFormatException e) {
        r.problem(
            "umask",
            "not an octal number: '" + umaskText.get() + "'",
            "an octal value between 0 and 0777, e.g. 022");
      }
    }
    Optional<URI> proxy = r.uri("proxy", "http://host:port");
    if (stack == null) {
      return null;
    }
    return new MainConfig(
        stack.strip(),
        region.map(String::strip),
        url,
        credentialFile,
        role.map(String::strip),
        interval,
        verbose,
        umask,
        proxy,
        file);
  }

  /** Python's {@code getboolean}. */
  static Optional<Boolean> parseBoolean(String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "1", "yes", "true", "on" -> Optional.of(true);
      case "0", "no", "false", "off" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  // ---- hooks.conf + hooks.d ----

  private static List<HookDefinition> loadHooks(
      Path directory, Input input, List<ConfigProblem> problems, List<ConfigProblem> warnings) {
    Path hooksConf = directory.resolve("hooks.conf");
    Path hooksDir = directory.resolve("hooks.d");
    List<Path> files = new ArrayList<>();
    if (input.isFile(hooksConf)) {
      files.add(hooksConf);
    }
    try {
      for (Path p : input.list(hooksDir)) {
        String name = p.getFileName().toString();
        if (name.startsWith(".")
            || name.startsWith("#")
            || name.contains(".dpkg-")
            || BACKUP_SUFFIXES.stream().anyMatch(name::endsWith)) {
          warnings.add(
              new ConfigProblem(
                  p,
                  0,
                  "",
                  "looks like a hidden or backup file; not loaded",
                  "hook files such as name.conf"));
          continue;
        }
        files.add(p);
      }
    } catch (IOException e) {
      problems.add(
          new ConfigProblem(hooksDir, 0, "", "cannot list folder: " + e, "a readable folder"));
    }
    if (files.isEmpty()) {
      problems.add(
          new ConfigProblem(
              hooksConf,
              0,
              "",
              "no hook configuration found here or in " + hooksDir,
              "hooks.conf or at least one file in hooks.d/"));
      return List.of();
    }
    IniParser parser = new IniParser();
    files.forEach(f -> input.read(parser, f));
    problems.addAll(parser.problems());
    warnings.addAll(parser.warnings());
    List<HookDefinition> hooks = new ArrayList<>();
    int problemsBefore = problems.size();
    for (IniDocument.Section section : parser.document().sections()) {
      Optional<HookDefinition> hook = readHook(parser.document(), section, problems, warnings);
      hook.ifPresent(hooks::add);
    }
    if (hooks.isEmpty() && problems.size() == problemsBefore) {
      problems.add(
          new ConfigProblem(
              files.get(0),
              0,
              "",
              "no hooks found",
              "at least one [hookname] section with triggers, path and action"));
    }
    return hooks;
  }

  private static Optional<HookDefinition> readHook(
      IniDocument doc,
      IniDocument.Section section,
      List<ConfigProblem> problems,
      List<ConfigProblem> warnings) {
    String name = section.name();
    Reader r = new Reader(doc, name, section.file(), problems);
    int before = problems.size();
    Optional<String> triggersText =
        r.required("triggers", "triggers=post.add,post.update,post.remove (any of them)", section);
    List<String> items =
        triggersText.stream()
            .flatMap(t -> Stream.of(t.split(",")))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    if (items.equals(List.of("on.command"))) {
      // A command hook (SQS command service) needs no path; cfn-hup accepts it without one.
      warnings.add(
          new ConfigProblem(
              r.fileOf("triggers"),
              r.lineOf("triggers"),
              "[" + name + "] triggers",
              "command hooks (on.command) are not supported by hupd; hook not loaded",
              "post.add, post.update or post.remove"));
      return Optional.empty();
    }
    Optional<String> pathText = r.required("path", MetadataPath.EXPECTED_FORM, section);
    Optional<String> action = r.required("action", "action=<shell command>", section);
    Set<Trigger> triggers = EnumSet.noneOf(Trigger.class);
    if (triggersText.isPresent()) {
      for (String item : items) {
        Optional<Trigger> t = Trigger.parse(item);
        if (t.isPresent()) {
          triggers.add(t.get());
        } else if (item.equals("on.command")) {
          warnings.add(
              new ConfigProblem(
                  r.fileOf("triggers"),
                  r.lineOf("triggers"),
                  "[" + name + "] triggers",
                  "on.command beside other triggers is ignored (as cfn-hup does)",
                  "post.add, post.update or post.remove"));
        } else {
          r.problem(
              "triggers",
              "unknown trigger '" + item + "'",
              "a comma-separated list of post.add, post.update, post.remove (case-sensitive)");
        }
      }
      if (items.isEmpty()) {
        r.problem(
            "triggers",
            "no trigger given",
            "a comma-separated list of post.add, post.update, post.remove");
      }
    }
    MetadataPath path = null;
    if (pathText.isPresent()) {
      String[] error = new String[1];
      Optional<MetadataPath> parsed = MetadataPath.parse(pathText.get().strip(), error);
      if (parsed.isPresent()) {
        path = parsed.get();
      } else {
        r.problem("path", error[0], MetadataPath.EXPECTED_FORM);
      }
    }
    if (action.isPresent() && action.get().isBlank()) {
      r.problem("action", "action is empty", "action=<shell command>");
    }
    Optional<String> runas = r.string("runas").map(String::strip).filter(s -> !s.isEmpty());
    Optional<Duration> timeout = Optional.empty();
    Optional<String> timeoutText = r.string("timeout");
    if (timeoutText.isPresent()) {
      timeout = Durations.parse(timeoutText.get()).filter(d -> !d.isZero());
      if (timeout.isEmpty()) {
        r.problem("timeout", "not a duration: '" + timeoutText.get() + "'", Durations.EXPECTED);
      }
    }
    OptionalInt maxFailures = OptionalInt.empty();
    Optional<String> maxText = r.string("max-failures");
    if (maxText.isPresent()) {
      try {
        int n = Integer.parseInt(maxText.get().strip());
        if (n < 1) {
          throw new NumberFormatException();
        }
        maxFailures = OptionalInt.of(n);
      } catch (NumberFormatException e) {
        r.problem(
            "max-failures",
            "not a positive whole number: '" + maxText.get() + "'",
            "max-failures=3");
      }
    }
    if (problems.size() > before || path == null || action.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new HookDefinition(
            name,
            triggers,
            path,
            action.get(),
            runas,
            timeout,
            maxFailures,
            section.file(),
            section.line()));
  }

  /** Reads keys of one section, turning interpolation errors into problems. */
  private static final class Reader {
    private final IniDocument doc;
    private final String section;
    private final Path fallbackFile;
    private final List<ConfigProblem> problems;

    Reader(IniDocument doc, String section, Path fallbackFile, List<ConfigProblem> problems) {
      this.doc = doc;
      this.section = section;
      this.fallbackFile = fallbackFile;
      this.problems = problems;
    }

    Optional<String> string(String key) {
      try {
        return doc.get(section, key);
      } catch (ConfigException e) {
        problems.addAll(e.problems());
        return Optional.empty();
      }
    }

    Optional<String> required(String key, String expected, IniDocument.Section s) {
      if (doc.entry(section, key).isEmpty()) {
        problems.add(
            new ConfigProblem(
                s.file(),
                s.line(),
                "[" + section + "] " + key,
                "required key is missing",
                expected));
        return Optional.empty();
      }
      return string(key);
    }

    Optional<URI> uri(String key, String expected) {
      Optional<String> text = string(key).map(String::strip).filter(s -> !s.isEmpty());
      if (text.isEmpty()) {
        return Optional.empty();
      }
      try {
        URI uri = new URI(text.get());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
          problem(key, "not an http(s) URL: '" + text.get() + "'", expected);
          return Optional.empty();
        }
        return Optional.of(uri);
      } catch (URISyntaxException e) {
        problem(key, "not a URL: '" + text.get() + "'", expected);
        return Optional.empty();
      }
    }

    Path fileOf(String key) {
      return doc.entry(section, key).map(IniDocument.Entry::file).orElse(fallbackFile);
    }

    int lineOf(String key) {
      return doc.entry(section, key).map(IniDocument.Entry::line).orElse(0);
    }

    void problem(String key, String message, String expected) {
      problems.add(
          new ConfigProblem(
              fileOf(key), lineOf(key), "[" + section + "] " + key, message, expected));
    }
  }
}
