package dev.medic.lease;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * A place where medic instances agree who acts: one per daemon, made from {@code medic.cluster}
 * by {@link LeaseBackendTypes#open}. Keys are the caller's (e.g. action and target); the backend
 * puts them under {@code medic.cluster.key-prefix}.
 *
 * <p>Every method answers on a future and never blocks. A failed future means the backend could
 * not be reached or did not answer in time ({@link LeaseBackendUnavailable}): the caller then does
 * what {@code medic.cluster.on-backend-down} says. "Someone else holds it" is not a failure but a
 * {@link Acquisition.HeldBy}.
 */
public interface LeaseBackend {

  /**
   * Tries once to take the lease on {@code key} for the configured ttl. Granted (the lease then
   * renews itself until released), or HeldBy the holder's instance name — which may be this
   * instance's own name when an earlier lease of this instance has not expired yet.
   */
  Future<Acquisition> acquire(String key);

  /**
   * The attempts recorded in a shared budget, oldest first, as journal-like objects
   * ({@code ts, outcome, instance, token}, whatever the caller recorded); empty when there are none.
   */
  Future<List<JsonObject>> attempts(String budgetKey);

  /**
   * Records one attempt in a shared budget: an attempt whose {@code token} field is already there
   * replaces that record (its outcome, once it ran), any other is appended. Records are kept at
   * least {@code keep} (e.g. the policy's {@code within}) after they were last written; older ones
   * are dropped.
   */
  Future<Void> recordAttempt(String budgetKey, JsonObject attempt, Duration keep);

  /** Forgets every attempt of a shared budget (an operator's reset). */
  Future<Void> clearBudget(String budgetKey);

  /**
   * Closes connections and clients. Leases still held are not released: they stop being renewed
   * and expire at their ttl (release them first to hand over at once).
   */
  Future<Void> close();
}
