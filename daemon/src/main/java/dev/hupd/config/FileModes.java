package dev.hupd.config;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * The mode rule for files that hold a secret (cfn-hup's {@code credential-file}, hupd.conf's {@code
 * file:} secrets): group and others get no permission at all.
 */
public final class FileModes {

  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private FileModes() {}

  /** True when {@code permissions} give group or others any access. */
  public static boolean groupOrOthersHaveAccess(Set<PosixFilePermission> permissions) {
    return permissions.stream().anyMatch(GROUP_OR_OTHERS::contains);
  }
}
