package dev.hupd.host;

import dev.hupd.aws.SsmStores;
import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import dev.hupd.rollout.DirStore;
import dev.hupd.rollout.RolloutStore;
import dev.hupd.rollout.StoreException;
import java.util.Map;

/** Opens the store a fleet's settings name: SSM Parameter Store or a local folder. */
public final class FleetStores {

  private FleetStores() {}

  public static RolloutStore open(
      HupdSettings.Fleet fleet, Configuration config, Map<String, String> env)
      throws ConfigException {
    if (fleet.store() instanceof HupdSettings.Store.Dir d) {
      try {
        return DirStore.open(d.path());
      } catch (StoreException e) {
        throw new ConfigException(
            new ConfigProblem(
                config.settings().file().orElse(HupdSettings.DEFAULT_FILE),
                0,
                "[hupd] store",
                "cannot use " + d.path() + ": " + e.getMessage(),
                "a writable folder on a local filesystem (hard links needed)"));
      }
    }
    return SsmStores.open(
        config.cfnHup().main(), config.settings(), fleet, env, Runner.systemProperties());
  }

  static String agentId(HupdSettings.Fleet fleet, HupdSettings settings, Map<String, String> env)
      throws ConfigException {
    return SsmStores.agentId(settings, fleet, env);
  }

  /** Wakes {@code onChange} when the folder store changes; nothing for SSM (it is polled). */
  static AutoCloseable watch(RolloutStore store, Runnable onChange) {
    if (store instanceof DirStore d) {
      try {
        return d.watch(onChange);
      } catch (StoreException e) {
        return () -> {};
      }
    }
    return () -> {};
  }
}
