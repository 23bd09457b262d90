package dev.medic.probe;

import dev.medic.config.Secrets;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateExpiredException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Wording shared by the network probes, so that a refused connection or a TLS failure reads the
 * same whichever probe (or action) met it. Messages never carry secrets: callers pass host and
 * port only.
 */
public final class NetText {

  /** Received text shown in a message is cut here: enough to recognise, not a dump. */
  public static final int SNIPPET = 60;

  private NetText() {}

  /** {@code 2s}, {@code 1.5s}, {@code 500ms}: the timeout as an operator wrote it. */
  public static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return Unit.SECONDS.format(ms / 1000.0);
  }

  /** Elapsed wall time since {@code startNanos}, as the latency of a result. */
  static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** {@code 3 ms}: whole milliseconds read better in a one-line message than {@code 0.0031s}. */
  static String millis(Duration d) {
    return d.toMillis() + " ms";
  }

  /**
   * A connection URI as a message may show it: whatever stands between {@code //} and the last
   * {@code @} is masked — even a password that a URI parser chokes on (an unencoded {@code /} or
   * {@code #}) — and so are query parameters named like secrets.
   */
  static String withoutUserInfo(String uri) {
    return Secrets.maskUri(uri.replaceFirst("//.*@", "//" + Secrets.MASK + "@"));
  }

  /**
   * {@code text} with every occurrence of {@code password} masked, and URI credentials as well:
   * servers do not echo a password, but a client library's message might. Passwords shorter than
   * three characters are left alone rather than masking every such letter pair in the text.
   */
  static String redact(String text, java.util.Optional<String> password) {
    String out = text;
    if (password.isPresent() && password.get().length() >= 3) {
      out = out.replace(password.get(), Secrets.MASK);
    }
    return Secrets.maskUri(out);
  }

  /**
   * {@code "500 nope\r\n"}: the text quoted, control characters escaped so a reply cannot break a
   * log line, and cut at {@value #SNIPPET} characters.
   */
  public static String quote(String text) {
    return quote(text, SNIPPET);
  }

  /** As {@link #quote(String)}, cut at {@code limit} characters. */
  public static String quote(String text, int limit) {
    StringBuilder b = new StringBuilder("\"");
    int n = Math.min(text.length(), limit);
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
    b.append(text.length() > limit ? "...\"" : "\"");
    return b.toString();
  }

  /**
   * What went wrong on the way to {@code hostPort}, for a critical result: {@code connect
   * 127.0.0.1:25 refused}, {@code TLS handshake with example.org:443 failed: certificate not
   * trusted ...}. Unrecognised failures keep their type and message, which is still better than
   * a bare "error".
   */
  public static String failure(Throwable cause, String hostPort, Duration timeout) {
    SSLException tls = find(cause, SSLException.class);
    if (tls != null) {
      return "TLS handshake with " + hostPort + " failed: " + tlsReason(tls);
    }
    if (find(cause, ConnectTimeoutException.class) != null) {
      return "connect " + hostPort + " timed out after " + duration(timeout);
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
      return "no response from " + hostPort + " within " + duration(timeout);
    }
    String message = cause.getMessage();
    return hostPort + ": " + cause.getClass().getSimpleName()
        + (message == null || message.isBlank() ? "" : " " + message);
  }

  private static String tlsReason(SSLException e) {
    if (find(e, CertPathBuilderException.class) != null
        || String.valueOf(e.getMessage()).contains("unable to find valid certification path")) {
      return "certificate not trusted (no path to a trusted CA)";
    }
    CertificateExpiredException expired = find(e, CertificateExpiredException.class);
    if (expired != null) {
      return "certificate expired (" + expired.getMessage() + ")";
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }

  /** The first throwable of {@code type} in the cause chain of {@code t}, or null. */
  static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
