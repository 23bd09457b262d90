package dev.medic.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.testing.Await;
import dev.medic.testing.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PostgreSQL backend against a real server on 127.0.0.1, inspected through pg_locks with JDBC. */
class PostgresLeaseBackendTest extends LeaseBackendContract {

  private static TestPostgres pg;

  @BeforeAll
  static void startPostgres() throws IOException {
    pg = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    if (pg != null) {
      pg.close();
    }
  }

  @Override
  LeaseBackend backend(Vertx vertx, String instance, Duration ttl) {
    return new PostgresLeaseBackendType().create(vertx, Clusters.of(pg.uri(), ttl), instance);
  }

  @Override
  boolean deathHandsOverAtOnce() {
    return true; // closing the holder's Vert.x closes its session, and the lock goes with it
  }

  /** Ends the session holding the key's lock, as an administrator's pg_terminate_backend would. */
  @Override
  void takeAway(String key) throws Exception {
    assertThat(pg.queryLong("SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE " + lockOf(key)))
        .isEqualTo(1);
  }

  private static String lockOf(String key) {
    long id = PostgresLeaseBackend.lockId("medic:lease:" + key);
    return "locktype = 'advisory' AND granted AND objsubid = 1 AND classid::bigint = " + (id >>> 32)
        + " AND objid::bigint = " + (id & 0xffffffffL);
  }

  @Test
  void theLeaseIsAnAdvisoryLockOfASessionNamedForItsInstance() throws Exception {
    String key = key();

    Lease lease = granted(a, key);

    assertThat(pg.queryLong("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid) WHERE "
        + lockOf(key).replace("locktype", "l.locktype") + " AND s.application_name = 'medic:medic-a'")).isEqualTo(1);
    assertThat(pg.queryLong("SELECT token FROM medic_lease_fence WHERE key = 'medic:lease:" + key + "'"))
        .isEqualTo(lease.fencingToken());
    long sessions = pg.sessionsNamed("medic:medic-a");

    Await.join(lease.release());

    assertThat(pg.queryLong("SELECT count(*) FROM pg_locks WHERE " + lockOf(key))).isZero();
    assertThat(pg.awaitSessionsNamed("medic:medic-a", sessions - 1, Duration.ofSeconds(10)))
        .as("the lease's own session is closed").isEqualTo(sessions - 1);
  }

  @Test
  void aLeaseWhoseSessionEndsIsLostAtOnceNotAtTheNextRenewal() throws Exception {
    // A long ttl: a renewal would come only after 20 s, so only the closed session can tell.
    LeaseBackend slow = backend(vertxA, "medic-slow", Duration.ofSeconds(60));
    String key = key();
    Lease lease = granted(slow, key);

    takeAway(key);

    Await.until("the lease is lost when its session ends", 5_000, () -> !lease.held());
  }

  @Test
  void aLosingContenderKeepsNoSessionOpen() throws Exception {
    String key = key();
    granted(a, key);
    assertHeldBy(b, key, "medic-a");
    long before = pg.sessionsNamed("medic:medic-b");

    for (int i = 0; i < 5; i++) {
      assertHeldBy(b, key, "medic-a");
    }

    assertThat(pg.awaitSessionsNamed("medic:medic-b", before, Duration.ofSeconds(10))).isEqualTo(before);
  }

  @Test
  void aHolderThatFreezesLosesTheLeaseWhenTheServerEndsItsIdleSession() throws Exception {
    // One event loop, blocked by the test: the holder's process is alive (its socket open, the
    // kernel answers keepalives) but does nothing, as under SIGSTOP or a long GC pause.
    Vertx frozen = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)
        .setBlockedThreadCheckInterval(TimeUnit.HOURS.toMillis(1)));
    CountDownLatch thaw = new CountDownLatch(1);
    try {
      LeaseBackend holder = backend(frozen, "medic-frozen", TTL);
      String key = key();
      Lease lease = granted(holder, key);
      frozen.runOnContext(v -> {
        try {
          thaw.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      long frozenAt = System.nanoTime();
      assertHeldBy(b, key, "medic-frozen");

      AtomicReference<Lease> taken = new AtomicReference<>();
      Await.until("medic-b takes the frozen holder's lease", 20_000, () -> {
        if (Await.join(b.acquire(key)) instanceof Acquisition.Granted g) {
          taken.set(g.lease());
          return true;
        }
        return false;
      });
      assertThat(Duration.ofNanos(System.nanoTime() - frozenAt)).isGreaterThanOrEqualTo(TTL.minusMillis(300));
      Await.join(taken.get().release());

      thaw.countDown();
      Await.until("the thawed holder sees its lease lost", 10_000, () -> !lease.held());
    } finally {
      thaw.countDown();
      frozen.close().await();
    }
  }

  @Test
  void aBackendThatIsDownFailsAcquireAndTheLeaseItHeldIsLost() throws Exception {
    try (TestPostgres own = TestPostgres.start()) {
      LeaseBackend backend = new PostgresLeaseBackendType().create(vertxA, Clusters.of(own.uri(), TTL), "medic-a");
      Acquisition got = Await.join(backend.acquire("k"));
      assertThat(got).isInstanceOf(Acquisition.Granted.class);
      Lease lease = ((Acquisition.Granted) got).lease();

      own.stop();

      Await.until("the lease is lost with its session", 10_000, () -> !lease.held());
      assertThatThrownBy(() -> Await.join(backend.acquire("other")))
          .hasCauseInstanceOf(LeaseBackendUnavailable.class)
          .hasMessageContaining("cannot take the lease on other: lease backend postgresql://postgres@127.0.0.1:"
              + own.port());
      assertThatThrownBy(() -> Await.join(backend.recordAttempt("app/x", attempt("t", "started", "a", 1),
          Duration.ofMinutes(1)))).hasCauseInstanceOf(LeaseBackendUnavailable.class);
      Await.join(lease.release()); // nothing left to give up: not an error
    }
  }

  @Test
  void aPasswordInTheUriIsUsedAndNeverShown() throws Exception {
    // A database of its own, where the app role creates the tables itself.
    pg.sql("CREATE DATABASE fleet OWNER " + TestPostgres.APP_ROLE);
    String uri = pg.appUri(TestPostgres.APP_PASSWORD, "fleet");
    LeaseBackend app = new PostgresLeaseBackendType().create(vertxA, Clusters.of(uri, TTL), "medic-app");
    Lease lease = granted(app, key());
    assertThat(lease.held()).isTrue();

    LeaseBackend wrong = new PostgresLeaseBackendType().create(vertxA,
        Clusters.of(pg.appUri("not-the-password", "fleet"), TTL), "medic-wrong");
    assertThatThrownBy(() -> Await.join(wrong.acquire(key())))
        .hasCauseInstanceOf(LeaseBackendUnavailable.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password").contains("****"));
  }
}
