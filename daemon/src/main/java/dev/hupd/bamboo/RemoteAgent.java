package dev.hupd.bamboo;

/**
 * An agent as the master lists it ({@code RestBuildAgent}: the elements of {@code /agent/remote}
 * and the {@code general} part of {@code /agent/{id}}).
 *
 * @param id the master's id of the agent
 * @param name the name it registered with
 * @param type {@code REMOTE}, {@code ELASTIC}, {@code EPHEMERAL}, ...; empty when not sent
 * @param active connected to the master (online)
 * @param enabled the master may give it jobs
 * @param busy running a build now
 */
public record RemoteAgent(
    long id, String name, String type, boolean active, boolean enabled, boolean busy) {}
