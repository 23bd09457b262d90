package dev.medic.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The renewal loop shared by every backend, against a backend that throws instead of answering. */
@ExtendWith(VertxExtension.class)
class RenewingLeaseTest {

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aRenewalThatThrowsCountsAsFailedAtOnceNotAtTheTtl(Vertx vertx, VertxTestContext ctx) {
    AtomicInteger renewals = new AtomicInteger();
    // ttl 6 s: renewed every 2 s. The first renewal throws.
    RenewingLease lease = new RenewingLease(vertx, "restart/app", 1, Duration.ofSeconds(6), System.nanoTime()) {
      @Override
      Future<Boolean> renewOnce() {
        renewals.incrementAndGet();
        throw new IllegalStateException("client closed");
      }

      @Override
      Future<Void> releaseOnce() {
        return Future.succeededFuture();
      }
    };
    assertThat(lease.held()).isTrue();
    // Well before the ttl: the failed renewal has ended the lease (it was never given up silently
    // at its ttl with the renewal loop stuck).
    vertx.setTimer(3_000, id -> ctx.verify(() -> {
      assertThat(renewals.get()).isEqualTo(1);
      assertThat(lease.held()).isFalse();
      ctx.completeNow();
    }));
  }
}
