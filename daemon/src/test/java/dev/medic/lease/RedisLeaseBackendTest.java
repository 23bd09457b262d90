package dev.medic.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.testing.Await;
import dev.medic.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Redis backend against a real redis-server on 127.0.0.1; keys are inspected with Jedis. */
class RedisLeaseBackendTest extends LeaseBackendContract {

  private static TestRedis redis;

  @BeforeAll
  static void startRedis() throws IOException {
    redis = TestRedis.start();
  }

  @AfterAll
  static void stopRedis() throws IOException {
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  LeaseBackend backend(Vertx vertx, String instance, Duration ttl) {
    return new RedisLeaseBackendType().create(vertx, Clusters.of(redis.uri(), ttl), instance);
  }

  @Override
  void takeAway(String key) {
    redis.admin(j -> j.del("medic:lease:" + key));
  }

  private static String get(String key) {
    return redis.admin(j -> j.get(key));
  }

  private static long pttl(String key) {
    return redis.admin(j -> j.pttl(key));
  }

  private static long ttl(String key) {
    return redis.admin(j -> j.ttl(key));
  }

  private static boolean exists(String key) {
    return redis.admin(j -> j.exists(key));
  }

  private static long llen(String key) {
    return redis.admin(j -> j.llen(key));
  }

  private static String lindex(String key, long index) {
    return redis.admin(j -> j.lindex(key, index));
  }

  @Test
  void theLeaseIsAKeyHoldingInstanceAndTokenThatExpiresAtTheTtl() {
    String key = key();

    Lease lease = granted(a, key);

    assertThat(get("medic:lease:" + key)).isEqualTo("medic-a:" + lease.fencingToken());
    assertThat(get("medic:lease:" + key + ":fence")).isEqualTo(String.valueOf(lease.fencingToken()));
    assertThat(pttl("medic:lease:" + key)).isBetween(1L, TTL.toMillis());
    assertThat(ttl("medic:lease:" + key + ":fence")).as("the fence never expires").isEqualTo(-1L);

    Await.join(lease.release());

    assertThat(exists("medic:lease:" + key)).isFalse();
    assertThat(exists("medic:lease:" + key + ":fence")).isTrue();
  }

  @Test
  void aBudgetIsAListThatExpiresKeepAfterItsLastWrite() {
    String budget = "app/restart-app";
    Await.join(a.recordAttempt(budget, attempt("2026-05-01T10:00:00Z", "started", "medic-a", 3), Duration.ofMinutes(30)));

    assertThat(llen("medic:attempts:" + budget)).isEqualTo(1L);
    assertThat(ttl("medic:attempts:" + budget)).isBetween(1700L, 1800L);
    JsonObject stored = new JsonObject(lindex("medic:attempts:" + budget, 0));
    assertThat(stored.getJsonObject("attempt").getString("instance")).isEqualTo("medic-a");
    assertThat(stored.getLong("at")).isPositive();
    Await.join(a.clearBudget(budget));
  }

  @Test
  void anInstanceNameWithColonsIsReadBackWhole() {
    assertThat(RedisLeaseBackend.holderOf("host:9779:17")).isEqualTo("host:9779");
    assertThat(RedisLeaseBackend.holderOf("medic-a:1")).isEqualTo("medic-a");
    assertThat(RedisLeaseBackend.holderOf("garbage")).isEqualTo("unknown");
  }

  @Test
  void aBackendThatIsDownFailsAcquireAndTheLeaseItHeldIsLost() throws Exception {
    try (TestRedis own = TestRedis.start()) {
      LeaseBackend backend = new RedisLeaseBackendType().create(vertxA, Clusters.of(own.uri(), TTL), "medic-a");
      Acquisition got = Await.join(backend.acquire("k"));
      assertThat(got).isInstanceOf(Acquisition.Granted.class);
      Lease lease = ((Acquisition.Granted) got).lease();

      own.stop();

      assertThatThrownBy(() -> Await.join(backend.acquire("other")))
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(LeaseBackendUnavailable.class)
          .hasMessageContaining("cannot take the lease on other: lease backend redis://127.0.0.1:" + own.port());
      Await.until("the lease is lost when its renewal cannot reach Redis", 10_000, () -> !lease.held());
      assertThatThrownBy(() -> Await.join(backend.attempts("app/x")))
          .hasCauseInstanceOf(LeaseBackendUnavailable.class);
    }
  }

  @Test
  void aPasswordInTheUriIsUsedAndNeverShown() throws Exception {
    try (TestRedis own = TestRedis.start("requirepass s3cret-pw")) {
      String uri = "redis://:s3cret-pw@127.0.0.1:" + own.port();
      LeaseBackend backend = new RedisLeaseBackendType().create(vertxA, Clusters.of(uri, TTL), "medic-a");
      Acquisition got = Await.join(backend.acquire("k"));
      assertThat(got).isInstanceOf(Acquisition.Granted.class);
      assertThat(Clusters.of(uri, TTL).toString()).doesNotContain("s3cret-pw");

      LeaseBackend wrong = new RedisLeaseBackendType().create(vertxA,
          Clusters.of("redis://:wrong-pw@127.0.0.1:" + own.port(), TTL), "medic-b");
      assertThatThrownBy(() -> Await.join(wrong.acquire("k")))
          .hasCauseInstanceOf(LeaseBackendUnavailable.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw"));
      Await.join(((Acquisition.Granted) got).lease().release());
    }
  }
}
