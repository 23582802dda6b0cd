package dev.hupd.hooks;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One action to run.
 *
 * @param hookName for log lines
 * @param action the shell command from the hook's {@code action=}
 * @param runas user to run as, if any
 * @param environment variables added to the daemon's own ({@code CFN_OLD_*}, {@code CFN_NEW_*})
 * @param timeout after this the whole process group is terminated
 */
public record ActionRequest(
    String hookName,
    String action,
    Optional<String> runas,
    Map<String, String> environment,
    Duration timeout) {}
