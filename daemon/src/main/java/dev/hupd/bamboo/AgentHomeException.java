package dev.hupd.bamboo;

import java.io.IOException;

/** An identity file of the agent home cannot be read or makes no sense; names the file. */
public final class AgentHomeException extends IOException {
  public AgentHomeException(String message) {
    super(message);
  }

  public AgentHomeException(String message, Throwable cause) {
    super(message, cause);
  }
}
