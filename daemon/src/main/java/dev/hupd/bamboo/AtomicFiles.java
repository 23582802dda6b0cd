package dev.hupd.bamboo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;

/**
 * Replaces small files whole (temp file, fsync, rename, fsync of the folder), so a reader such as
 * the agent at its start never sees half a file, and a crash leaves the old or the new one.
 */
final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Writes {@code bytes} to {@code file} with {@code mode} unless it holds them already (then only
   * a differing mode is corrected); creates missing folders.
   *
   * @return whether the bytes changed
   */
  static boolean write(Path file, byte[] bytes, Set<PosixFilePermission> mode) throws IOException {
    if (same(file, bytes)) {
      if (!Files.getPosixFilePermissions(file).equals(mode)) {
        Files.setPosixFilePermissions(file, mode);
      }
      return false;
    }
    Path folder = file.toAbsolutePath().getParent();
    Files.createDirectories(folder);
    Path tmp = folder.resolve("." + file.getFileName() + ".hupd-tmp");
    Files.deleteIfExists(tmp);
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        // before any byte is written, so a secret is never readable by others even briefly
        Files.setPosixFilePermissions(tmp, mode);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("atomic rename not supported in " + folder, e);
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    }
    return true;
  }

  private static boolean same(Path file, byte[] bytes) throws IOException {
    try {
      if (!Files.isRegularFile(file) || Files.size(file) != bytes.length) {
        return false;
      }
      return Arrays.equals(Files.readAllBytes(file), bytes);
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
