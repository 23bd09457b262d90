package dev.medic.schedule;

import dev.medic.probe.Probe;
import dev.medic.probe.ProbeResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Runs a probe under a hard deadline: whatever the probe does — hang, throw (even an Error), fail
 * its future, return null or a result without a status — the caller gets a result by
 * {@code timeout} plus a short grace, and a broken probe becomes a critical result naming the cause.
 */
public final class ProbeDeadline {

  /** Past the probe's own timeout, stop waiting: the probe misbehaved. */
  static final long GRACE_MS = 250;

  private ProbeDeadline() {}

  public static Future<ProbeResult> run(Vertx vertx, Probe probe, String type, Duration timeout) {
    long started = System.nanoTime();
    Promise<ProbeResult> outcome = Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis() + GRACE_MS, id -> outcome.tryComplete(
        ProbeResult.critical("timed out after " + human(timeout) + " (no result from the " + type + " probe)")
            .withLatency(Duration.ofNanos(System.nanoTime() - started))));
    Future<ProbeResult> probed;
    try {
      probed = probe.run();
      if (probed == null) {
        probed = Future.failedFuture(new IllegalStateException("the probe returned no future"));
      }
    } catch (Throwable e) {
      // Also an Error (a plug-in built against other classes, a StackOverflowError): thrown out of
      // here it would leave the check marked running, never to be probed again.
      probed = Future.failedFuture(e);
    }
    probed.onComplete(ar -> {
      vertx.cancelTimer(timer);
      ProbeResult r;
      if (ar.succeeded() && ar.result() != null && ar.result().status() != null) {
        r = ar.result();
      } else {
        Throwable cause = ar.failed() ? ar.cause() : new IllegalStateException(ar.result() == null
            ? "the probe gave no result" : "the probe gave a result without a status");
        String m = cause.getMessage();
        r = ProbeResult.critical("probe failed: " + (m == null || m.isBlank() ? cause.getClass().getSimpleName() : m));
      }
      if (r.latency() == null) {
        r = r.withLatency(Duration.ofNanos(System.nanoTime() - started));
      }
      outcome.tryComplete(r);
    });
    return outcome.future();
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }
}
