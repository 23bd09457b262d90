package dev.medic.probe;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Runs one probe conversation on a single Vert.x context: its deadline timer, connect and socket
 * callbacks then need no locking, and a socket's handler is set before its first bytes can arrive.
 * A bug that throws becomes a failed future for the scheduler to report, never a lost promise.
 */
final class OneContext {

  private OneContext() {}

  static <T> Future<T> run(Vertx vertx, Supplier<Future<T>> conversation) {
    Context context = vertx.getOrCreateContext();
    if (Vertx.currentContext() == context) {
      return guarded(conversation);
    }
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> guarded(conversation).onComplete(result));
    return result.future();
  }

  private static <T> Future<T> guarded(Supplier<Future<T>> conversation) {
    try {
      return conversation.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
