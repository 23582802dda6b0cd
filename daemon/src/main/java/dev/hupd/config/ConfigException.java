package dev.hupd.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a configuration cannot be used; carries every problem found, not just the first. */
public final class ConfigException extends Exception {

  private final List<ConfigProblem> problems;
  private final List<ConfigProblem> warnings;

  public ConfigException(List<ConfigProblem> problems) {
    this(problems, List.of());
  }

  /** Problems that make the configuration unusable, and warnings found on the way. */
  public ConfigException(List<ConfigProblem> problems, List<ConfigProblem> warnings) {
    super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
    this.warnings = List.copyOf(warnings);
  }

  public ConfigException(ConfigProblem problem) {
    this(List.of(problem));
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  public List<ConfigProblem> warnings() {
    return warnings;
  }
}
