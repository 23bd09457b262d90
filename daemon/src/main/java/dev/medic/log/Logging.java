package dev.medic.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies {@code medic.log} (format and level) to the logback set up by {@code logback.xml}. */
public final class Logging {

  private Logging() {}

  public static void configure(String format, String level, String instance) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    // Read by %property{instance} in every text line and written as a field of every JSON line.
    context.putProperty("instance", instance);
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
    if ("json".equals(format)) {
      // logback.xml puts STDERR behind an AsyncAppender (a stalled reader must not block a caller).
      var appender = root.getAppender("ASYNC") instanceof ch.qos.logback.classic.AsyncAppender async
          ? async.getAppender("STDERR") : root.getAppender("STDERR");
      if (appender instanceof ConsoleAppender<ILoggingEvent> console) {
        // One JSON object per line, with key/value pairs as fields, for Loki or ELK.
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(true);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.start();
        console.stop();
        Encoder<ILoggingEvent> old = console.getEncoder();
        console.setEncoder(encoder);
        console.start();
        old.stop();
      }
    }
  }
}
