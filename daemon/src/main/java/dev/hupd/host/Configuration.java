package dev.hupd.host;

import dev.hupd.config.CfnHupConfig;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything read from disk at start-up or on reload: the cfn-hup directory and hupd's settings.
 *
 * @param cfnHup cfn-hup.conf and hooks
 * @param settings hupd.conf
 */
public record Configuration(CfnHupConfig cfnHup, HupdSettings settings) {

  /** Where to read from. */
  public record Locations(Path configDir, Path settingsFile, boolean settingsExplicit) {}

  /** Loads both, reporting the problems of both together. */
  public static Configuration load(Locations where) throws ConfigException {
    List<ConfigProblem> problems = new ArrayList<>();
    List<ConfigProblem> warnings = new ArrayList<>();
    CfnHupConfig cfn = null;
    HupdSettings settings = null;
    try {
      cfn = CfnHupConfig.load(where.configDir());
    } catch (ConfigException e) {
      problems.addAll(e.problems());
      warnings.addAll(e.warnings());
    }
    try {
      settings = HupdSettings.load(where.settingsFile(), where.settingsExplicit());
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems, warnings);
    }
    return new Configuration(cfn, settings);
  }
}
