package dev.hupd.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * One hupd per state folder: an OS file lock on {@code <state-dir>/hupd.lock}. The kernel drops it
 * when the process dies, so unlike cfn-hup's pid file a crash never blocks the next start.
 */
public final class InstanceLock implements AutoCloseable {

  /** Another process holds the lock. */
  public static final class HeldException extends IOException {
    public HeldException(String message) {
      super(message);
    }
  }

  private final FileChannel channel;
  private final FileLock lock;
  private final Path file;
  private final Object fileKey;

  private InstanceLock(FileChannel channel, FileLock lock, Path file, Object fileKey) {
    this.channel = channel;
    this.lock = lock;
    this.file = file;
    this.fileKey = fileKey;
  }

  /** False once the lock file was deleted or replaced: another hupd could then start. */
  public boolean stillHeld() {
    try {
      Object key =
          Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      return key == null || key.equals(fileKey);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Whether a hupd holds the lock of {@code stateDir} now, for {@code hupd status}: "running (pid
   * N)", "not running", or empty when it cannot tell (e.g. no permission). Creates nothing.
   */
  public static java.util.Optional<String> describeHolder(Path stateDir) {
    Path file = stateDir.resolve("hupd.lock");
    if (!Files.exists(file)) {
      return java.util.Optional.of("not running");
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock probe = ch.tryLock();
      if (probe != null) {
        probe.release();
        return java.util.Optional.of("not running");
      }
      String pid = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
      return java.util.Optional.of("running" + (pid.isEmpty() ? "" : " (pid " + pid + ")"));
    } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
      return java.util.Optional.empty();
    }
  }

  public static InstanceLock acquire(Path stateDir) throws IOException {
    if (!Files.isDirectory(stateDir)) {
      Files.createDirectories(stateDir);
      // last-seen metadata may be sensitive: only hupd's user may read it
      Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwx------"));
    }
    Path file = stateDir.resolve("hupd.lock");
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    if (lock == null) {
      String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
      ch.close();
      throw new HeldException(
          "another hupd"
              + (holder.isEmpty() ? "" : " (pid " + holder + ")")
              + " is using "
              + stateDir);
    }
    ch.truncate(0);
    ch.write(
        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
        0);
    ch.force(false);
    Object key =
        Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    return new InstanceLock(ch, lock, file, key);
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }
}
