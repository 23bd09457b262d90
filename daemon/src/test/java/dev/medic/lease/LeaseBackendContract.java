package dev.medic.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every lease backend must do, run against each one's real server. Two instances,
 * {@code medic-a} and {@code medic-b}, each with its own Vert.x (as two daemons would have),
 * contend for the same keys; a third backend, {@code medic-c}, looks on. Leases last {@link #TTL}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class LeaseBackendContract {

  static final Duration TTL = Duration.ofSeconds(1);

  Vertx vertxA;
  Vertx vertxB;
  LeaseBackend a;
  LeaseBackend b;
  LeaseBackend c;
  private final List<Lease> toRelease = new ArrayList<>();

  /** A backend for {@code instance} on the test's server, with leases of {@code ttl}. */
  abstract LeaseBackend backend(Vertx vertx, String instance, Duration ttl) throws Exception;

  /**
   * Makes the backend forget the lease on {@code key} behind its holder's back (an operator, or a
   * holder paused past its ttl), so that another instance may take it.
   */
  abstract void takeAway(String key) throws Exception;

  /** True when the backend notices a holder's death at once (a closed session), not at the ttl. */
  boolean deathHandsOverAtOnce() {
    return false;
  }

  @BeforeEach
  void twoInstances() throws Exception {
    vertxA = Vertx.vertx();
    vertxB = Vertx.vertx();
    a = backend(vertxA, "medic-a", TTL);
    b = backend(vertxB, "medic-b", TTL);
    c = backend(vertxB, "medic-c", TTL);
  }

  @AfterEach
  void closeInstances() {
    for (Lease l : toRelease) {
      try {
        Await.join(l.release());
      } catch (RuntimeException e) {
        // its Vert.x may be closed already
      }
    }
    for (Vertx v : List.of(vertxA, vertxB)) {
      v.close().await();
    }
  }

  static String key() {
    return "restart-app/app-" + UUID.randomUUID().toString().substring(0, 8);
  }

  Lease granted(LeaseBackend backend, String key) {
    Acquisition got = Await.join(backend.acquire(key));
    assertThat(got).as("acquisition of %s", key).isInstanceOf(Acquisition.Granted.class);
    Lease lease = ((Acquisition.Granted) got).lease();
    toRelease.add(lease);
    return lease;
  }

  static void assertHeldBy(LeaseBackend backend, String key, String holder) {
    assertThat(Await.join(backend.acquire(key))).as("acquisition of %s", key)
        .isEqualTo(new Acquisition.HeldBy(holder));
  }

  @Test
  void exactlyOneOfTwoContendersGetsTheLeaseAndTheOtherLearnsWho() {
    String key = key();

    Lease lease = granted(a, key);

    assertThat(lease.key()).isEqualTo(key);
    assertThat(lease.held()).isTrue();
    assertHeldBy(b, key, "medic-a");
    assertHeldBy(c, key, "medic-a");
    assertThat(lease.held()).isTrue();
  }

  @Test
  void aReleasedLeaseGoesToTheNextAndTokensGrowWithEveryGrant() {
    String key = key();
    Lease first = granted(a, key);

    Await.join(first.release());

    assertThat(first.held()).isFalse();
    Lease second = granted(b, key);
    assertHeldBy(a, key, "medic-b");
    Await.join(second.release());
    Lease third = granted(a, key);
    assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
    assertThat(third.fencingToken()).isGreaterThan(second.fencingToken());
    // Another key counts on its own, and does not disturb this one's.
    Lease other = granted(b, key());
    assertThat(other.held()).isTrue();
    assertThat(third.held()).isTrue();
  }

  @Test
  void aHolderThatDiesWithoutReleasingLosesTheLeaseAtItsTtl() throws Exception {
    String key = key();
    granted(a, key);
    long grantedAt = System.nanoTime();

    vertxA.close().await(); // no release: its renewal timer and its connections end with it

    if (!deathHandsOverAtOnce()) {
      assertHeldBy(b, key, "medic-a");
    }
    AtomicReference<Lease> taken = new AtomicReference<>();
    Await.until("medic-b takes the lease of the dead medic-a", 15_000, () -> {
      if (Await.join(b.acquire(key)) instanceof Acquisition.Granted g) {
        taken.set(g.lease());
        return true;
      }
      return false;
    });
    toRelease.add(taken.get());
    if (!deathHandsOverAtOnce()) {
      assertThat(Duration.ofNanos(System.nanoTime() - grantedAt)).isGreaterThanOrEqualTo(TTL.minusMillis(50));
    }
    assertThat(taken.get().held()).isTrue();
    assertHeldBy(c, key, "medic-b");
  }

  @Test
  void aHeldLeaseRenewsItselfPastSeveralTtls() throws Exception {
    String key = key();
    Lease lease = granted(a, key);
    long start = System.nanoTime();
    Duration window = TTL.multipliedBy(4);

    Await.until("four ttls pass with medic-a holding", 20_000, () -> {
      assertHeldBy(b, key, "medic-a");
      assertThat(lease.held()).as("held after %d ms", (System.nanoTime() - start) / 1_000_000).isTrue();
      return System.nanoTime() - start > window.toNanos();
    });

    Await.join(lease.release());
    granted(b, key);
  }

  @Test
  void aLeaseTakenAwayIsLostAndItsReleaseLeavesTheNewHolderAlone() throws Exception {
    String key = key();
    Lease old = granted(a, key);

    takeAway(key);
    AtomicReference<Lease> taken = new AtomicReference<>();
    Await.until("medic-b takes the lease medic-a lost", 15_000, () -> {
      if (Await.join(b.acquire(key)) instanceof Acquisition.Granted g) {
        taken.set(g.lease());
        return true;
      }
      return false;
    });
    toRelease.add(taken.get());
    Await.until("medic-a notices its lease is gone", 10_000, () -> !old.held());

    Await.join(old.release());

    assertHeldBy(c, key, "medic-b");
    assertThat(taken.get().held()).isTrue();
    assertThat(taken.get().fencingToken()).isGreaterThan(old.fencingToken());
  }

  @Test
  void aSharedBudgetIsSeenByEveryInstanceAndAnOutcomeReplacesItsStart() {
    String budget = "app/restart-app-" + UUID.randomUUID().toString().substring(0, 8);
    Duration keep = Duration.ofMinutes(30);
    JsonObject started1 = attempt("2026-05-01T10:00:00Z", "started", "medic-a", 7);
    JsonObject started2 = attempt("2026-05-01T10:05:00Z", "started", "medic-b", 8);
    JsonObject failed1 = attempt("2026-05-01T10:00:00Z", "failure", "medic-a", 7);

    assertThat(Await.join(c.attempts(budget))).isEmpty();
    Await.join(a.recordAttempt(budget, started1, keep));
    Await.join(b.recordAttempt(budget, started2, keep));
    Await.join(a.recordAttempt(budget, failed1, keep));

    assertThat(Await.join(c.attempts(budget))).containsExactly(failed1, started2);
    assertThat(Await.join(a.attempts(budget))).containsExactly(failed1, started2);
    assertThat(Await.join(c.attempts("app/other-" + budget))).isEmpty();

    Await.join(b.clearBudget(budget));

    assertThat(Await.join(a.attempts(budget))).isEmpty();
    Await.join(a.recordAttempt(budget, started1, keep));
    assertThat(Await.join(c.attempts(budget))).containsExactly(started1);
  }

  @Test
  void recordsOlderThanKeepAreDropped() throws Exception {
    String budget = "app/restart-app-" + UUID.randomUUID().toString().substring(0, 8);
    Duration keep = Duration.ofMillis(1500);
    JsonObject old = attempt("2026-05-01T10:00:00Z", "failure", "medic-a", 1);
    JsonObject recent = attempt("2026-05-01T10:00:02Z", "failure", "medic-b", 2);
    Await.join(a.recordAttempt(budget, old, keep));
    long written = System.nanoTime();
    assertThat(Await.join(b.attempts(budget))).containsExactly(old);

    Await.until("keep passes", 10_000, () -> System.nanoTime() - written > keep.plusMillis(500).toNanos());
    Await.join(b.recordAttempt(budget, recent, keep));

    assertThat(Await.join(c.attempts(budget))).containsExactly(recent);
  }

  static JsonObject attempt(String ts, String outcome, String instance, long token) {
    return new JsonObject().put("ts", ts).put("outcome", outcome).put("instance", instance).put("token", token);
  }
}
