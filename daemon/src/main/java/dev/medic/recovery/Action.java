package dev.medic.recovery;

import io.vertx.core.Future;

/**
 * One configured recovery action, built once from validated settings.
 *
 * <p>Contract: {@link #run(String)} returns at once on the event loop; blocking work (processes,
 * files) goes through {@code executeBlocking} or is asynchronous. The future completes with an
 * outcome for every result of the attempt — a unit that fails to restart is a failed
 * <em>outcome</em>, not a failed future. A failed future means the action itself broke; the engine
 * records it as a failed attempt naming the cause. The engine enforces the action's timeout too,
 * but an action should stop its own work (kill its processes) by then.
 */
public interface Action {

  /** Runs the action once, on behalf of {@code check} (null when an operator runs it directly). */
  Future<ActionOutcome> run(String check);

  /** What the action would do, for dry-run journal records and the plan: {@code systemctl restart app}. */
  String describe();

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
