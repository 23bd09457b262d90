package dev.medic.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * The log lines one class writes, kept in memory while a test runs (logback's own list appender):
 * for asserting that a failure was said, with its key=value pairs. Close it to detach.
 */
public final class RecordedLog implements AutoCloseable {

  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private RecordedLog(Class<?> of) {
    this.logger = (Logger) LoggerFactory.getLogger(of);
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
  }

  public static RecordedLog of(Class<?> of) {
    return new RecordedLog(of);
  }

  /** Each line as {@code LEVEL message key=value ...}. */
  public List<String> lines() {
    synchronized (appender) {
      return appender.list.stream().map(RecordedLog::line).toList();
    }
  }

  private static String line(ILoggingEvent e) {
    String pairs = e.getKeyValuePairs() == null ? "" : e.getKeyValuePairs().stream()
        .map(kv -> " " + kv.key + "=" + kv.value).collect(Collectors.joining());
    return e.getLevel() + " " + e.getFormattedMessage() + pairs;
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
