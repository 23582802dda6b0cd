package dev.hupd.apply;

import dev.hupd.source.MetadataSource;

/** Lets tests in other packages use {@link InMemorySource}. */
public final class InMemorySourceAccess {

  private final InMemorySource source = new InMemorySource();

  public InMemorySourceAccess put(String id, String metadataJson) {
    source.put(id, metadataJson);
    return this;
  }

  public MetadataSource source() {
    return source;
  }
}
