package dev.medic.lease;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every backend's lease shares: a Vert.x timer that renews it every ttl/3 while held, and
 * the bookkeeping of when it would expire. A backend says how to renew once and how to give the
 * lease up; this class decides when, and when the lease counts as lost.
 *
 * <p>The lease counts as held until the moment a renewal that was sent at t and confirmed would
 * have it expire (t + ttl): a renewal that does not come back in time leaves the lease expiring
 * in the backend, and in this instance's view as well. Once lost it is never held again.
 */
abstract class RenewingLease implements Lease {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RenewingLease.class);

  private final Vertx vertx;
  private final String key;
  private final long fencingToken;
  private final long ttlNanos;
  private final long timer;
  private volatile long expiresAtNanos;
  private volatile boolean over;
  private final AtomicBoolean released = new AtomicBoolean();
  /** A renewal is out: the next tick waits for it rather than pile up. */
  private final AtomicBoolean renewing = new AtomicBoolean();

  /** @param sentAtNanos when the request that granted the lease was sent ({@link System#nanoTime()}) */
  RenewingLease(Vertx vertx, String key, long fencingToken, Duration ttl, long sentAtNanos) {
    this.vertx = vertx;
    this.key = key;
    this.fencingToken = fencingToken;
    this.ttlNanos = ttl.toNanos();
    this.expiresAtNanos = sentAtNanos + ttlNanos;
    long period = Math.max(1, ttl.toMillis() / 3);
    this.timer = vertx.setPeriodic(period, period, id -> tick());
  }

  /**
   * Extends the lease by the ttl in the backend if it is still this one: true when it was, false
   * when it has gone or another holder has it. A failed future is a backend that did not answer.
   */
  abstract Future<Boolean> renewOnce();

  /** Gives the lease up in the backend if it is still this one; never someone else's. */
  abstract Future<Void> releaseOnce();

  /** The backend told this lease it is gone (e.g. its session ended): held() is false from now on. */
  final void markLost() {
    end(true);
  }

  /** Called once when the lease is lost (not when released), e.g. to close what it held open. */
  void lost() {}

  @Override
  public final String key() {
    return key;
  }

  @Override
  public final long fencingToken() {
    return fencingToken;
  }

  @Override
  public final boolean held() {
    if (!over && System.nanoTime() - expiresAtNanos >= 0) {
      end(true);
    }
    return !over;
  }

  @Override
  public final Future<Void> release() {
    end(false);
    // Also when lost: a renewal that failed may have left the lease in the backend until its ttl,
    // and handing it over now is better. releaseOnce compares, so another holder's lease stays.
    return released.compareAndSet(false, true) ? releaseOnce() : Future.succeededFuture();
  }

  private synchronized void end(boolean lost) {
    if (over) {
      return;
    }
    over = true;
    vertx.cancelTimer(timer);
    if (lost) {
      lost();
    }
  }

  private void tick() {
    if (!held()) {
      return;
    }
    if (!renewing.compareAndSet(false, true)) {
      return;
    }
    long sent = System.nanoTime();
    long untilExpiry = Math.max(1, expiresAtNanos - sent);
    Future<Boolean> renewal;
    try {
      renewal = renewOnce();
    } catch (RuntimeException | LinkageError e) {
      // Thrown out of here it would leave `renewing` set: no renewal ever again, and the lease
      // lost silently at its ttl. A backend that throws is one that did not answer.
      renewal = Future.failedFuture(e);
    }
    renewal.timeout(untilExpiry, TimeUnit.NANOSECONDS).onComplete(ar -> {
      renewing.set(false);
      if (ar.succeeded() && ar.result()) {
        if (!over) {
          expiresAtNanos = sent + ttlNanos;
        }
      } else {
        if (!over) {
          log.atWarn().addKeyValue("lease", key).addKeyValue("error", ar.failed() ? String.valueOf(ar.cause().getMessage())
              : "held by another instance or gone").log("lease lost: its renewal failed; this instance no longer acts under it");
        }
        end(true);
      }
    });
  }

  /** The time left before the lease expires unless renewed, for messages. */
  Duration remaining() {
    return Duration.ofNanos(Math.max(0, expiresAtNanos - System.nanoTime()));
  }
}
