package dev.medic.probe;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection a datastore probe keeps open from run to run, and what its end means.
 *
 * <p>A connection that ends on its own — the server was killed, restarted, or ended the session —
 * is <em>lost</em>: the probe's check is asked to re-probe at once ({@link ProbeContext#reprobe()}),
 * so a dead server is seen in about a second instead of at the next cycle. A connection the probe
 * ends itself — after a failed run, at its deadline, on {@link #close()} — is <em>discarded</em>
 * and asks for nothing: that run has already reported. The next run opens a new connection.
 *
 * <p>Everything happens on one context, fixed at the first run (the scheduler's, when medic runs):
 * the runs, the connection's handlers, the discarding. So there is no lock, and a handler can tell
 * a lost connection from a discarded one by identity alone: a discarded one is no longer
 * {@link #current}.
 *
 * @param <C> the client's connection type
 */
final class KeptConnection<C> {

  private static final Logger log = LoggerFactory.getLogger(KeptConnection.class);

  private final Vertx vertx;
  private final String check;
  private final String target;
  private final Runnable reprobe;
  private final Function<C, Future<?>> closer;

  private Context context;
  // Touched only on the context.
  private C current;
  /** Bumped by every discard: a connection opened for an earlier generation is not kept. */
  private int generation;
  private volatile boolean closed;

  /**
   * @param target how messages and logs name the server, without credentials
   * @param closer ends a connection (and whatever was made for it alone)
   */
  KeptConnection(ProbeContext probeContext, String target, Function<C, Future<?>> closer) {
    this.vertx = probeContext.vertx();
    this.check = probeContext.checkName();
    this.target = target;
    this.reprobe = probeContext.reprobe();
    this.closer = closer;
  }

  /** The context everything runs on: the caller's at the first run, or a new one off Vert.x threads. */
  synchronized Context context() {
    if (context == null) {
      context = vertx.getOrCreateContext();
    }
    return context;
  }

  /**
   * Runs {@code work} on the probe's context. A bug in it (a thrown exception) becomes a failed
   * future for the scheduler to report, never a lost promise.
   */
  <T> Future<T> call(Supplier<Future<T>> work) {
    Context c = context();
    if (Vertx.currentContext() == c) {
      return guarded(work);
    }
    Promise<T> done = Promise.promise();
    c.runOnContext(v -> guarded(work).onComplete(done));
    return done.future();
  }

  private static <T> Future<T> guarded(Supplier<Future<T>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** True while a connection is kept: the next run will not have to connect. */
  boolean kept() {
    return current != null;
  }

  /**
   * The kept connection, or a new one from {@code open}, which must watch it with
   * {@link #lost(Object, Throwable)}. A connection that comes in after a discard (a run gave up on
   * it at its deadline) is ended rather than kept.
   */
  Future<C> get(Supplier<Future<C>> open) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the probe is closed"));
    }
    if (current != null) {
      return Future.succeededFuture(current);
    }
    int openedFor = generation;
    return guarded(open).compose(c -> {
      if (openedFor != generation || closed) {
        end(c);
        return Future.failedFuture(new IllegalStateException("connected after the run gave up"));
      }
      current = c;
      return Future.succeededFuture(c);
    });
  }

  /**
   * To be called from the connection's close and exception handlers. The kept connection ending
   * on its own asks for a re-probe, once; one already discarded asks for nothing.
   *
   * @param cause what the client said, or null on a plain close
   */
  void lost(C connection, Throwable cause) {
    if (connection != current) {
      return;
    }
    current = null;
    if (cause != null) {
      // Some clients report the failure without closing: make sure the socket goes.
      end(connection);
    }
    if (closed) {
      return;
    }
    var event = log.atInfo().addKeyValue("check", check).addKeyValue("target", target);
    if (cause != null) {
      event = event.addKeyValue("cause", cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }
    event.log("kept connection lost, re-probing now");
    reprobe.run();
  }

  /**
   * Ends the kept connection, if any, without asking for a re-probe: after a failure or at a
   * deadline. Completes when it is closed (closing errors are only logged).
   */
  Future<Void> discard() {
    generation++;
    C c = current;
    current = null;
    return c == null ? Future.succeededFuture() : end(c);
  }

  /** Discards the connection for good; later runs fail. */
  Future<Void> close() {
    return close(Future::succeededFuture);
  }

  /**
   * Discards the connection for good, then runs {@code alsoClose} on the context (for what the
   * probe made besides the connection). Nothing at all if the probe never ran.
   */
  Future<Void> close(Supplier<Future<Void>> alsoClose) {
    synchronized (this) {
      if (context == null) {
        closed = true;
        return Future.succeededFuture();
      }
    }
    return call(() -> {
      closed = true;
      return discard().compose(v -> alsoClose.get());
    });
  }

  private Future<Void> end(C c) {
    Future<?> closing;
    try {
      closing = closer.apply(c);
    } catch (RuntimeException e) {
      closing = Future.failedFuture(e);
    }
    return closing.<Void>mapEmpty().recover(e -> {
      log.atDebug().addKeyValue("check", check).addKeyValue("target", target)
          .addKeyValue("cause", String.valueOf(e.getMessage())).log("closing a connection failed");
      return Future.succeededFuture();
    });
  }
}
