package dev.hupd.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code [main]} section of {@code cfn-hup.conf}, with cfn-hup 1.4's defaults.
 *
 * @param stack stack name or ARN, sent unchanged as {@code StackName}
 * @param region explicit {@code region=}, if any (resolution happens in {@code aws})
 * @param url explicit CloudFormation endpoint ({@code url=}), if any
 * @param credentialFile {@code credential-file=}, if any
 * @param role {@code role=}, if any
 * @param intervalMinutes polling interval in minutes, at least 1 (default 15)
 * @param verbose {@code verbose=}: DEBUG logging
 * @param umask {@code umask=} as an octal number (default 022)
 * @param proxy hupd extension {@code proxy=}: HTTP proxy for AWS calls
 * @param file where this was read from
 */
public record MainConfig(
    String stack,
    Optional<String> region,
    Optional<URI> url,
    Optional<Path> credentialFile,
    Optional<String> role,
    int intervalMinutes,
    boolean verbose,
    int umask,
    Optional<URI> proxy,
    Path file) {

  public static final int DEFAULT_INTERVAL_MINUTES = 15;
  public static final int DEFAULT_UMASK = 022;
}
