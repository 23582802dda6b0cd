package dev.hupd.rollout;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parameter store agents coordinate through: SSM Parameter Store in production ({@code
 * dev.hupd.aws.SsmRolloutStore}), a local folder for development and tests ({@link DirStore}).
 *
 * <p>The only atomic primitive is {@link #create}: exactly one caller creates a name. Names are
 * absolute, {@code /}-separated, like SSM's ({@code /hupd/<fleet>/rev/8/meta}); values are at most
 * {@link #MAX_VALUE} characters (SSM's standard tier).
 */
public interface RolloutStore extends AutoCloseable {

  /** Most names one {@link #get} and one {@link #delete} take, and most entries in a page. */
  int MAX_BATCH = 10;

  /** Longest value, in characters. */
  int MAX_VALUE = 4096;

  /**
   * Reads the newest version of up to {@link #MAX_BATCH} names in one call. Names that do not exist
   * are missing from the result. A read may be stale: it can return an older version, or miss a
   * name that was just created.
   */
  Map<String, Entry> get(Collection<String> names) throws StoreException;

  /**
   * Creates {@code name} at version 1.
   *
   * @return the version written (1)
   * @throws StoreException of kind {@link StoreException.Kind#ALREADY_EXISTS} if the name exists
   */
  long create(String name, String value) throws StoreException;

  /** Writes a new version of {@code name}, creating it if absent; returns the version written. */
  long overwrite(String name, String value) throws StoreException;

  /**
   * One page of the names under {@code path} (recursively), at most {@link #MAX_BATCH} entries. A
   * page may hold fewer entries, even none, while more remain: loop until {@link Page#next} is
   * empty.
   */
  Page list(String path, Optional<String> token) throws StoreException;

  /** Deletes up to {@link #MAX_BATCH} names; absent names are ignored. */
  void delete(Collection<String> names) throws StoreException;

  /** Moves {@code label} to {@code version} of {@code name}; a convenience, never a decision. */
  default void label(String name, long version, String label) throws StoreException {}

  /** One line for logs, e.g. {@code ssm region=eu-west-1 endpoint=…} or {@code dir:/var/tmp/x}. */
  String description();

  @Override
  default void close() {}

  /**
   * One version of one parameter.
   *
   * @param name the full name
   * @param value the value
   * @param version 1 for the first write, then +1 per write
   * @param modifiedMs when the store recorded this version (epoch ms, the store's clock)
   */
  record Entry(String name, String value, long version, long modifiedMs) {}

  /**
   * A page of {@link #list}.
   *
   * @param entries newest version of each name, in no guaranteed order
   * @param next the token for the next page; empty on the last page
   */
  record Page(List<Entry> entries, Optional<String> next) {}
}
