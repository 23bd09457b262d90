package dev.medic.probe;

import io.vertx.core.Future;

/**
 * One configured check's probe, built once from validated settings and run every cycle.
 *
 * <p>Contract: {@link #run()} must return quickly on the event loop; blocking work (files,
 * processes) goes through {@code executeBlocking}. The returned future completes with a result for
 * every outcome of the target — a refused connection is a {@code critical} result, not a failure.
 * A failed future means the probe itself broke; the scheduler turns it, and a probe that misses
 * its deadline, into a critical result naming the cause. The scheduler never runs two calls of
 * one probe at once.
 */
public interface Probe {

  Future<ProbeResult> run();

  /** Releases connections and files. Called when the check is removed or medic stops. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
