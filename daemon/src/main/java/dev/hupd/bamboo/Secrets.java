package dev.hupd.bamboo;

import dev.hupd.config.FileModes;
import dev.hupd.metadata.Utf8;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Opens the secrets hupd.conf names ({@code file:PATH}, {@code ssm:NAME}). A secret file must be a
 * regular file (a symlink is followed and its target checked), readable by its owner only, owned by
 * hupd's uid, and hold the secret alone on one line: a file others can read has leaked already, and
 * one someone else owns can be swapped under hupd. Messages name the file and the fix, never the
 * content.
 */
public final class Secrets {

  /** Far more than any token; a bigger file is a mistake, not a secret. */
  static final int MAX_BYTES = 16 * 1024;

  private Secrets() {}

  /**
   * A secret from {@code spec}: {@code file:PATH} or {@code ssm:NAME}, the latter read through
   * {@code ssm} (the {@code aws} package's reader). The secret's name is the spec itself.
   *
   * @throws SecretException for any other form (the spec is not repeated: it may be the secret)
   */
  public static Secret open(String spec, Function<String, Secret.Reader> ssm)
      throws SecretException {
    if (spec.startsWith("file:") && spec.length() > 5) {
      return new Secret(spec, file(Path.of(spec.substring(5))));
    }
    if (spec.startsWith("ssm:") && spec.length() > 4) {
      return new Secret(spec, ssm.apply(spec.substring(4)));
    }
    throw new SecretException(
        "a secret must be named as file:<path> or ssm:<parameter name>; the value given is"
            + " neither (not shown, as it may be the secret itself)");
  }

  /** Reads a secret file on each call, checked as the class comment says. */
  public static Secret.Reader file(Path path) {
    return file(path, Secrets::currentUid);
  }

  /** As {@link #file(Path)}, with hupd's uid from {@code uid} (tests). */
  static Secret.Reader file(Path path, LongSupplier uid) {
    return () -> read(path, uid.getAsLong());
  }

  private static String read(Path path, long uid) throws SecretException {
    String where = describe(path);
    PosixFileAttributes attributes = attributes(path, where, uid);
    checkShape(path, where, attributes);
    checkOwner(path, where, uid);
    return line(where, bytes(path, where, uid));
  }

  private static PosixFileAttributes attributes(Path path, String where, long uid)
      throws SecretException {
    try {
      return Files.readAttributes(path, PosixFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new SecretException(
          "secret file "
              + where
              + " does not exist; write the token alone on one line into it and run chmod 600 "
              + path);
    } catch (AccessDeniedException e) {
      throw new SecretException(
          "secret file "
              + where
              + " cannot be read by uid "
              + uid
              + "; run chown "
              + uid
              + " "
              + path);
    } catch (IOException | UnsupportedOperationException e) {
      throw new SecretException(
          "secret file " + where + " cannot be examined: " + e.getClass().getSimpleName(), e);
    }
  }

  private static void checkShape(Path path, String where, PosixFileAttributes a)
      throws SecretException {
    if (!a.isRegularFile()) {
      throw new SecretException(
          "secret file " + where + " is not a regular file; put the token in a plain file");
    }
    if (FileModes.groupOrOthersHaveAccess(a.permissions())) {
      throw new SecretException(
          "secret file "
              + where
              + " is accessible to group or others (mode "
              + mode(a.permissions())
              + "); run chmod 600 "
              + path);
    }
  }

  private static void checkOwner(Path path, String where, long uid) throws SecretException {
    long owner;
    try {
      owner = ((Number) Files.getAttribute(path, "unix:uid")).longValue();
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      throw new SecretException("secret file " + where + " has no readable owner", e);
    }
    if (owner != uid) {
      throw new SecretException(
          "secret file "
              + where
              + " is owned by uid "
              + owner
              + ", not by hupd's uid "
              + uid
              + "; run chown "
              + uid
              + " "
              + path);
    }
  }

  private static byte[] bytes(Path path, String where, long uid) throws SecretException {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw new SecretException(
            "secret file " + where + " is larger than " + MAX_BYTES + " bytes; is it the token?");
      }
      return bytes;
    } catch (AccessDeniedException e) {
      throw new SecretException("secret file " + where + " cannot be read by uid " + uid, e);
    } catch (IOException e) {
      throw new SecretException(
          "secret file " + where + " cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }

  /** The single line: trailing line breaks and surrounding blanks (editor leftovers) dropped. */
  private static String line(String where, byte[] bytes) throws SecretException {
    String text =
        Utf8.strict(bytes)
            .orElseThrow(() -> new SecretException("secret file " + where + " is not UTF-8 text"));
    String value = text.replaceAll("[\r\n]+$", "").strip();
    if (value.isEmpty()) {
      throw new SecretException(
          "secret file " + where + " is empty; write the token alone on its first line");
    }
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new SecretException(
          "secret file " + where + " has more than one line; it must hold the token alone");
    }
    return value;
  }

  /** {@code /etc/hupd/t}, or {@code /etc/hupd/t (-> /srv/t)} for a symlink. */
  private static String describe(Path path) {
    if (!Files.isSymbolicLink(path)) {
      return path.toString();
    }
    try {
      return path + " (-> " + path.toRealPath() + ")";
    } catch (IOException e) {
      return path + " (a dangling symlink)";
    }
  }

  private static String mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= 1 << (8 - p.ordinal());
    }
    return String.format("%04o", mode);
  }

  private static long currentUid() {
    return new com.sun.security.auth.module.UnixSystem().getUid();
  }
}
