package dev.hupd.bamboo;

/**
 * One row of the master's agent authentication list ({@code /agent/authentication}).
 *
 * @param uuid the agent's UUID
 * @param ip the address the agent connected from; several, comma-separated, behind a proxy
 * @param approved false while the UUID waits for approval
 */
public record AgentAuthentication(String uuid, String ip, boolean approved) {}
