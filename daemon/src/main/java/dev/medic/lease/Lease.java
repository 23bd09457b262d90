package dev.medic.lease;

import io.vertx.core.Future;

/**
 * A lease this instance was granted. While held it renews itself every ttl/3 on a Vert.x timer, so
 * a long action and its verification keep it; an instance that dies stops renewing, and the lease
 * expires at its ttl for another instance to take.
 */
public interface Lease {

  /** The key it was acquired for, as the caller gave it. */
  String key();

  /**
   * Grows with every grant of the same key, whoever holds it: a fencing token, so that records
   * written under an older lease can be told from those of a newer one.
   */
  long fencingToken();

  /**
   * False once a renewal found the lease taken or gone, failed, or did not come back before the
   * lease would have expired; false after {@link #release()}. Never true again after that.
   */
  boolean held();

  /**
   * Stops renewing and gives the lease up, only if it is still this lease in the backend: a lease
   * lost and taken by another instance stays theirs. Succeeds also when there was nothing to give up.
   */
  Future<Void> release();
}
