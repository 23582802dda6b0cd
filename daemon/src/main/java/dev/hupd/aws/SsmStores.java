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
    Connection c = connection(main, settings, Optional.of(fleet), env, jvmProperties);
    log.info(
        "event=store.ssm fleet={} region={} endpoint={} credentials=\"{}\" proxy={}",
        fleet.name(),
        c.region(),
        c.endpoint(),
        c.credentials().description(),
        c.proxy().map(ProxySelection::redacted).orElse("none"));
    return SsmRolloutStore.create(c.region(), c.endpoint(), c.credentials().provider(), c.proxy());
  }

  /**
   * Where and as whom SSM is called: the fleet's {@code ssm-region} and {@code ssm-url} when a
   * fleet is set, else the region as for CloudFormation and the regional endpoint; credentials and
   * proxy as for CloudFormation.
   */
  record Connection(
      String region, URI endpoint, HostCredentials credentials, Optional<URI> proxy) {}

  static Connection connection(
      MainConfig main,
      HupdSettings settings,
      Optional<HupdSettings.Fleet> fleet,
      Map<String, String> env,
      Map<String, String> jvmProperties)
      throws ConfigException {
    InstanceMetadata imds = InstanceMetadata.fromSettings(settings.imdsEndpoint(), env);
    Optional<String> configured = fleet.flatMap(HupdSettings.Fleet::region);
    String region =
        configured.isPresent()
            ? configured.get()
            : RegionResolver.resolve(main, env, RegionResolver.fromInstanceMetadata(imds)).region();
    URI endpoint = Endpoints.ssm(region, fleet.flatMap(HupdSettings.Fleet::ssmEndpoint));
    HostCredentials credentials = HostCredentials.of(main, imds);
    Optional<URI> proxy =
        ProxySelection.choose(endpoint, settings.proxy(), main.proxy(), env, jvmProperties);
    return new Connection(region, endpoint, credentials, proxy);
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
