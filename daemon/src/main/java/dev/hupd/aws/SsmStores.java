package dev.hupd.aws;

import dev.hupd.config.ConfigException;
import dev.hupd.config.ConfigProblem;
import dev.hupd.config.HupdSettings;
import dev.hupd.config.MainConfig;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the SSM store and resolves the agent id from a host's configuration. */
public final class SsmStores {

  private static final Logger log = LoggerFactory.getLogger(SsmStores.class);

  private SsmStores() {}

  /**
   * The fleet's SSM store: region from {@code ssm-region}, else as for CloudFormation; endpoint
   * from {@code ssm-url}, else the regional one; credentials and proxy as for CloudFormation.
   */
  public static SsmRolloutStore open(
      MainConfig main,
      HupdSettings settings,
      HupdSettings.Fleet fleet,
      Map<String, String> env,
      Map<String, String> jvmProperties)
      throws ConfigException {
    InstanceMetadata imds = InstanceMetadata.fromSettings(settings.imdsEndpoint(), env);
    String region =
        fleet.region().isPresent()
            ? fleet.region().get()
            : RegionResolver.resolve(main, env, RegionResolver.fromInstanceMetadata(imds)).region();
    URI endpoint = Endpoints.ssm(region, fleet.ssmEndpoint());
    HostCredentials credentials = HostCredentials.of(main, imds);
    Optional<URI> proxy =
        ProxySelection.choose(endpoint, settings.proxy(), main.proxy(), env, jvmProperties);
    log.info(
        "event=store.ssm fleet={} region={} endpoint={} credentials=\"{}\" proxy={}",
        fleet.name(),
        region,
        endpoint,
        credentials.description(),
        proxy.map(ProxySelection::redacted).orElse("none"));
    return SsmRolloutStore.create(region, endpoint, credentials.provider(), proxy);
  }

  /**
   * This agent's id: {@code agent-id} from the settings, else the EC2 instance id.
   *
   * @throws ConfigException when neither is available
   */
  public static String agentId(
      HupdSettings settings, HupdSettings.Fleet fleet, Map<String, String> env)
      throws ConfigException {
    if (fleet.agentId().isPresent()) {
      return fleet.agentId().get();
    }
    InstanceMetadata imds = InstanceMetadata.fromSettings(settings.imdsEndpoint(), env);
    String why;
    try {
      Optional<String> id = imds.get("meta-data/instance-id").map(String::strip);
      if (id.isPresent() && id.get().matches("[A-Za-z0-9_.-]{1,64}")) {
        return id.get();
      }
      why = "instance metadata has no usable instance-id";
    } catch (IOException e) {
      why = e.getMessage();
    }
    throw new ConfigException(
        new ConfigProblem(
            settings.file().orElse(HupdSettings.DEFAULT_FILE),
            0,
            "[hupd] agent-id",
            "no agent id: not set, and the EC2 instance id could not be read (" + why + ")",
            "agent-id = <letters, digits, '.', '_' or '-'>, or run on EC2"));
  }
}
