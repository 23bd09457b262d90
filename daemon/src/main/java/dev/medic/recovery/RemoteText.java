package dev.medic.recovery;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Wording shared by the actions that talk to a remote API or server (docker, kubernetes,
 * redis-clear, pg-terminate), so that a timeout or an API error reads the same whichever met it.
 * Nothing here ever receives a secret: callers pass names, paths and masked URIs only.
 */
final class RemoteText {

  /** Text quoted from a reply is cut here: enough to recognise, not a dump. */
  static final int SNIPPET = 200;

  /** The most of a reply body kept as an outcome's output. */
  static final int MAX_OUTPUT = 4 * 1024;

  private RemoteText() {}

  /** {@code 10s}, {@code 1.5s}, {@code 500ms}, {@code 2m}: a duration as an operator writes it. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 != 0) {
      return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  /** The text quoted, control characters escaped so that a reply cannot break a log line, and cut. */
  static String quote(String text) {
    return dev.medic.probe.NetText.quote(text, SNIPPET);
  }

  /**
   * What an API said about a refused request: the {@code message} field of its JSON error body
   * (the Docker Engine API and the Kubernetes {@code Status} both put it there), else the body
   * quoted, else nothing.
   */
  static String apiMessage(Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8).trim();
    if (text.isEmpty()) {
      return "";
    }
    try {
      Object message = new JsonObject(text).getValue("message");
      if (message instanceof String s && !s.isBlank()) {
        return oneLine(s.trim());
      }
    } catch (DecodeException | ClassCastException e) {
      // not a JSON object: quote what came back
    }
    return quote(text);
  }

  /** A reply body as an outcome's output: text, cut at {@value #MAX_OUTPUT} bytes. */
  static String output(Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8);
    return text.length() > MAX_OUTPUT ? text.substring(0, MAX_OUTPUT) + "..." : text;
  }

  /** The first line of {@code s}, cut: API messages sometimes carry a stack or a second paragraph. */
  static String oneLine(String s) {
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl).trim();
    return line.length() > SNIPPET ? line.substring(0, SNIPPET) + "..." : line;
  }

  /** The innermost message of a failure, which names the cause rather than the wrapper. */
  static String cause(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null || message.isBlank() ? root.getClass().getSimpleName() : oneLine(message);
  }

  /** {@code 1 session}, {@code 2 sessions}. */
  static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
