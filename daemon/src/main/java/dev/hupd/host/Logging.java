package dev.hupd.host;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Logging setup, done in code so there is nothing to misconfigure: one line per event on stderr
 * (journald adds its own metadata), optionally also a file rotated at 10 MB with 5 kept. The AWS
 * SDK is held at WARN, since its DEBUG output is verbose and request-level.
 */
public final class Logging {

  private static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: %msg%n";

  private Logging() {}

  public static void configure(boolean verbose, Optional<Path> logFile) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(verbose ? Level.DEBUG : Level.INFO);
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(ctx);
    console.setName("console");
    console.setTarget("System.err");
    console.setEncoder(encoder(ctx));
    console.start();
    root.addAppender(console);
    if (logFile.isPresent()) {
      RollingFileAppender<ILoggingEvent> file = new RollingFileAppender<>();
      file.setContext(ctx);
      file.setName("file");
      file.setFile(logFile.get().toString());
      FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
      rolling.setContext(ctx);
      rolling.setParent(file);
      rolling.setFileNamePattern(logFile.get() + ".%i");
      rolling.setMinIndex(1);
      rolling.setMaxIndex(5);
      rolling.start();
      SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
      trigger.setContext(ctx);
      trigger.setMaxFileSize(FileSize.valueOf("10MB"));
      trigger.start();
      file.setRollingPolicy(rolling);
      file.setTriggeringPolicy(trigger);
      file.setEncoder(encoder(ctx));
      file.start();
      root.addAppender(file);
    }
    for (String noisy : new String[] {"software.amazon.awssdk", "io.netty", "org.apache"}) {
      ctx.getLogger(noisy).setLevel(Level.WARN);
    }
  }

  public static void setVerbose(boolean verbose) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(verbose ? Level.DEBUG : Level.INFO);
  }

  /** Flushes and stops appenders; called on the way out. */
  public static void shutdown() {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
  }

  private static PatternLayoutEncoder encoder(LoggerContext ctx) {
    PatternLayoutEncoder e = new PatternLayoutEncoder();
    e.setContext(ctx);
    e.setPattern(PATTERN);
    e.start();
    return e;
  }
}
