package dev.hupd.bamboo;

/** A secret could not be read; the message names where from and why, never the value. */
public final class SecretException extends Exception {
  public SecretException(String message) {
    super(message);
  }

  public SecretException(String message, Throwable cause) {
    super(message, cause);
  }
}
