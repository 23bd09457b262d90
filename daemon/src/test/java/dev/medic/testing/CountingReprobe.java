package dev.medic.testing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** A probe context's {@code reprobe} that counts the requests and lets a test wait for the first. */
public final class CountingReprobe implements Runnable {

  private final AtomicInteger count = new AtomicInteger();
  private final CompletableFuture<Void> first = new CompletableFuture<>();

  @Override
  public void run() {
    count.incrementAndGet();
    first.complete(null);
  }

  public int count() {
    return count.get();
  }

  /** Waits (on the test thread) for the first request; fails after {@code seconds}. */
  public void awaitFirst(long seconds) throws InterruptedException, ExecutionException, TimeoutException {
    first.get(seconds, TimeUnit.SECONDS);
  }
}
