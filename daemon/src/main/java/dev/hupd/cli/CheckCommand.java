package dev.hupd.cli;

import dev.hupd.config.BambooSettings;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HookDefinition;
import dev.hupd.config.HupdSettings;
import dev.hupd.host.BambooWiring;
import dev.hupd.host.Configuration;
import dev.hupd.host.Daemon;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hupd check}: validate everything offline and print every problem at once. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = "Validate the configuration without contacting anything; exit 78 if invalid.")
final class CheckCommand implements Callable<Integer> {

  @ParentCommand Main parent;
  @Spec CommandSpec spec;

  @Option(
      names = "--template",
      paramLabel = "FILE",
      description =
          "Check the hupd parts of a CloudFormation template (JSON or YAML) instead: the cfn-hup"
              + " and hupd files of its cfn-init, hook paths, toolchain manifest, rollout policy and"
              + " IAM. Reads the file only.")
  Path template;

  @Option(
      names = "--resource",
      paramLabel = "LOGICAL_ID",
      description =
          "With --template: the resource whose Metadata holds AWS::CloudFormation::Init"
              + " (default: every one that writes /etc/cfn/cfn-hup.conf).")
  String resource;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (template != null) {
      return TemplateReport.print(template, Optional.ofNullable(resource), out, err);
    }
    if (resource != null) {
      err.println("--resource needs --template");
      err.flush();
      return Daemon.EXIT_USAGE;
    }
    Configuration c;
    try {
      c = Configuration.load(parent.locations());
    } catch (ConfigException e) {
      for (ConfigProblem w : e.warnings()) {
        err.println("warning: " + w);
      }
      for (ConfigProblem p : e.problems()) {
        err.println("error: " + p);
      }
      err.println(e.problems().size() + " problem(s) found.");
      err.flush();
      return Daemon.EXIT_CONFIG;
    }
    for (ConfigProblem w : c.cfnHup().warnings()) {
      err.println("warning: " + w);
    }
    err.flush();
    var main = c.cfnHup().main();
    out.println(
        "cfn-hup.conf: stack="
            + main.stack()
            + " interval="
            + main.intervalMinutes()
            + "m"
            + main.region().map(r -> " region=" + r).orElse("")
            + main.url().map(u -> " url=" + u).orElse(""));
    HupdSettings s = c.settings();
    out.println(
        "settings: "
            + s.file().map(Object::toString).orElse("(defaults)")
            + " source="
            + (s.source() instanceof HupdSettings.Source.LocalFile f
                ? "file:" + f.path()
                : s.source() instanceof HupdSettings.Source.Pushed ? "store" : "cloudformation")
            + " state-dir="
            + s.stateDir());
    s.fleet()
        .ifPresent(
            f ->
                out.println(
                    "fleet: "
                        + f.name()
                        + " store="
                        + (f.store() instanceof HupdSettings.Store.Dir d
                            ? "dir:" + d.path()
                            : "ssm" + f.region().map(r -> " region=" + r).orElse(""))
                        + " agent-id="
                        + f.agentId().orElse("(EC2 instance id)")
                        + " roles="
                        + (f.roles().isEmpty() ? "-" : String.join(",", f.roles()))
                        + " rollout="
                        + (f.coordinate() ? "on" : "off")
                        + f.rolloutPath().map(p -> " rollout-path=" + p.text()).orElse("")));
    s.bamboo().ifPresent(b -> out.println(bambooLine(b)));
    BambooWiring.Checked bamboo = BambooWiring.check(c);
    for (ConfigProblem w : bamboo.warnings()) {
      err.println("warning: " + w);
    }
    if (!bamboo.problems().isEmpty()) {
      for (ConfigProblem p : bamboo.problems()) {
        err.println("error: " + p);
      }
      err.println(bamboo.problems().size() + " problem(s) found.");
      err.flush();
      return Daemon.EXIT_CONFIG;
    }
    err.flush();
    for (HookDefinition h : c.cfnHup().hooks()) {
      out.println(
          "hook "
              + h.name()
              + ": triggers="
              + h.triggers().stream().map(t -> t.spelling()).collect(Collectors.joining(","))
              + " path="
              + h.path()
              + h.runas().map(u -> " runas=" + u).orElse("")
              + "  ("
              + h.file()
              + ":"
              + h.line()
              + ")");
    }
    out.println("OK: " + c.cfnHup().hooks().size() + " hook(s)");
    out.flush();
    return Daemon.EXIT_OK;
  }

  /** The Bamboo settings in one line; secrets only by where they are read from. */
  static String bambooLine(BambooSettings b) {
    return "bamboo: "
        + b.url()
        + " token="
        + b.token()
        + b.agentSecurityToken().map(t -> " agent-security-token=" + t).orElse("")
        + " agent-home="
        + b.agentHome()
        + " agent-name="
        + b.agentName()
        + " agent-process="
        + b.agentProcess()
        + b.agentUser().map(u -> " agent-user=" + u).orElse("")
        + " approve="
        + (b.approve() ? "on" : "off")
        + " capabilities="
        + b.capabilities().name().toLowerCase(Locale.ROOT)
        + " identity="
        + b.identity().name().toLowerCase(Locale.ROOT)
        + " proxy="
        + b.proxy()
            .map(p -> p.equals(BambooSettings.NO_PROXY) ? "none" : p.toString())
            .orElse("(as for AWS)")
        + b.caFile().map(f -> " ca-file=" + f).orElse("");
  }
}
