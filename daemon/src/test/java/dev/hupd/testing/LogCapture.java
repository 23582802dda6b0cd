package dev.hupd.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects log events of every logger while open, so tests can count WARN/ERROR lines. */
public final class LogCapture implements AutoCloseable {

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root;

  public LogCapture() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appender.setContext(ctx);
    appender.start();
    root.addAppender(appender);
  }

  public List<ILoggingEvent> events() {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  public List<String> lines(Level level) {
    return events().stream()
        .filter(e -> e.getLevel().equals(level))
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  /** Bytes that would be written at INFO and above, one line per event. */
  public long bytesAtInfoOrAbove() {
    return events().stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
        .mapToLong(e -> e.getFormattedMessage().length() + 1L)
        .sum();
  }

  /** Every formatted message, for "never logged" checks. */
  public String all() {
    StringBuilder out = new StringBuilder();
    for (ILoggingEvent e : events()) {
      out.append(e.getFormattedMessage()).append('\n');
    }
    return out.toString();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
