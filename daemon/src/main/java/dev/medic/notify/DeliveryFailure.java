package dev.medic.notify;

import dev.medic.config.Secrets;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Why a batch was not delivered: the failed future of {@link Channel#send}. Its message names the
 * target (secrets masked) and what happened there ({@code POST http://127.0.0.1:9093/api/v2/alerts
 * → status 400 (expected 2xx): "bad alert"}); the outbox shows it and retries. No stack trace: the
 * cause is the receiver, not this code.
 */
final class DeliveryFailure extends RuntimeException {

  /** Received text quoted in a message is cut here: enough to recognise, not a dump. */
  static final int SNIPPET = 120;

  DeliveryFailure(String message) {
    super(Secrets.maskUri(message), null, false, false);
  }

  /**
   * What went wrong on the way to {@code hostPort}: {@code connect 127.0.0.1:25 refused}, {@code
   * TLS handshake with example.org:443 failed: ...}. Unrecognised failures keep their type and
   * message.
   */
  static String describe(Throwable cause, String hostPort, Duration timeout) {
    if (cause instanceof DeliveryFailure) {
      return cause.getMessage();
    }
    SSLException tls = find(cause, SSLException.class);
    if (tls != null) {
      boolean untrusted = find(tls, CertPathBuilderException.class) != null
          || String.valueOf(tls.getMessage()).contains("unable to find valid certification path");
      return "TLS handshake with " + hostPort + " failed: "
          + (untrusted ? "certificate not trusted (no path to a trusted CA; tls.trust = any skips the check)"
              : rootMessage(tls));
    }
    if (find(cause, ConnectTimeoutException.class) != null) {
      return "connect " + hostPort + " timed out after " + human(timeout);
    }
    if (find(cause, NoRouteToHostException.class) != null) {
      return "connect " + hostPort + " failed: no route to host";
    }
    if (find(cause, ConnectException.class) != null) {
      return "connect " + hostPort + " refused";
    }
    if (find(cause, UnknownHostException.class) != null) {
      return "cannot resolve the host of " + hostPort + " (unknown host name)";
    }
    if (find(cause, TimeoutException.class) != null) {
      return "no response from " + hostPort + " within " + human(timeout);
    }
    String message = cause.getMessage();
    return hostPort + ": " + cause.getClass().getSimpleName()
        + (message == null || message.isBlank() ? "" : " " + message);
  }

  /** {@code 500ms}, {@code 3s}, {@code 1.5s}: a timeout as an operator writes it. */
  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    return ms % 1000 == 0 ? ms / 1000 + "s" : (ms / 100) / 10.0 + "s";
  }

  /**
   * {@code "invalid_payload"}: received text quoted, control characters escaped so a reply cannot
   * break a log line, cut at {@value #SNIPPET} characters.
   */
  static String quote(String text) {
    StringBuilder b = new StringBuilder("\"");
    int n = Math.min(text.length(), SNIPPET);
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\r' -> b.append("\\r");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append(text.length() > SNIPPET ? "...\"" : "\"").toString();
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
