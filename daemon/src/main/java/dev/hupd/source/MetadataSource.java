package dev.hupd.source;

import dev.hupd.metadata.StackResource;

/**
 * Where stack resource metadata comes from. The apply pipeline asks for each logical id at most
 * once per pass; implementations do not cache across passes.
 *
 * <p>Implementations: {@link FileMetadataSource} (local files, the embedded default) and {@code
 * dev.hupd.aws.CloudFormationSource} (DescribeStackResource).
 */
public interface MetadataSource extends AutoCloseable {

  /**
   * Reads one resource.
   *
   * @throws SourceException when it cannot be read now; never means "removed"
   */
  StackResource describe(String logicalId) throws SourceException;

  /** One line for logs and {@code hupd check}, e.g. {@code cloudformation stack=… endpoint=…}. */
  String description();

  /**
   * Asks to be told when the source's data may have changed, so the daemon polls at once instead of
   * at the next interval. Sources that cannot tell (CloudFormation) ignore this.
   */
  default void watch(Runnable onChange) {}

  @Override
  default void close() {}
}
