package dev.medic.testing;

import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting in tests that drive a whole daemon from the test thread (never an event loop). */
public final class Await {

  private Await() {}

  /** Polls {@code condition} every 20 ms until it holds, failing after {@code ms}. */
  public static void until(String what, long ms, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20);
    }
  }

  /** The future's result, on the test thread. */
  public static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }
}
