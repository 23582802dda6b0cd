package dev.hupd.bamboo;

/**
 * One agent-specific capability as the master stores it ({@code /agent/{id}/capability}).
 *
 * @param key e.g. {@code system.jdk.JDK 17} (raw spaces; escaping belongs to the properties file)
 * @param value e.g. {@code /usr/lib/jvm/java-17}
 * @param source where the master says it came from; null when it does not say (not every master and
 *     agent type sends it, and its spellings are not pinned down)
 */
public record Capability(String key, String value, String source) {}
