package dev.medic.notify;

import dev.medic.config.Secrets;
import java.time.Duration;

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
    // The same words as the probes use for the same failures.
    return dev.medic.probe.NetText.failure(cause, hostPort, timeout);
  }

  /** {@code 500ms}, {@code 3s}, {@code 1.5s}: a timeout as an operator writes it. */
  static String human(Duration d) {
    return dev.medic.probe.NetText.duration(d);
  }

  /**
   * {@code "invalid_payload"}: received text quoted, control characters escaped so a reply cannot
   * break a log line, cut at {@value #SNIPPET} characters.
   */
  static String quote(String text) {
    return dev.medic.probe.NetText.quote(text, SNIPPET);
  }

}
