package dev.medic.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Bus;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.PostgresProbeType;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.RedisProbeType;
import dev.medic.probe.Status;
import dev.medic.testing.TestPostgres;
import dev.medic.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reactive detection end to end, with the real scheduler: a datastore killed with SIGKILL between
 * two cycles drops the probe's kept connection, the probe asks for a re-probe, and the check is
 * confirmed critical (default fall 2, retry-interval 2s) in seconds — not at the next 30 s cycle.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class DatastoreReactiveTest {

  /** Reprobe at once, critical once, retry after 2 s, critical again: about 2 s. Far below 30 s. */
  private static final long LIMIT_MS = 5000;

  private static TestPostgres pg;
  private static TestRedis redis;

  @BeforeAll
  static void startServers() throws Exception {
    pg = TestPostgres.start();
    redis = TestRedis.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void aKilledRedisIsCriticalWithinSeconds(Vertx vertx) throws Exception {
    long tookMs = killedUntilCritical(vertx, "cache { type = redis, uri = \"" + redis.uri() + "\" }", "cache",
        redis::kill);
    assertThat(tookMs).as("ms from kill -9 to a confirmed critical").isLessThan(LIMIT_MS);
    assertThat(lastMessage("cache")).isEqualTo("redis 127.0.0.1:" + redis.port() + ": connection refused");
  }

  @Test
  void aKilledPostgresIsCriticalWithinSeconds(Vertx vertx) throws Exception {
    long tookMs = killedUntilCritical(vertx, "db { type = postgres, uri = \"" + pg.uri() + "\" }", "db", pg::kill);
    assertThat(tookMs).as("ms from kill -9 of the postmaster to a confirmed critical").isLessThan(LIMIT_MS);
    assertThat(lastMessage("db")).isEqualTo("postgres 127.0.0.1:" + pg.port() + "/postgres: connection refused");
  }

  private interface Kill {
    void run() throws Exception;
  }

  private LiveChecks live;

  /**
   * Deploys the scheduler with one check at the default 30 s interval, waits for its first ok,
   * kills the server and returns how long until the check's state turned critical.
   */
  private long killedUntilCritical(Vertx vertx, String check, String name, Kill kill) throws Exception {
    CompletableFuture<Void> ok = new CompletableFuture<>();
    CompletableFuture<Long> critical = new CompletableFuture<>();
    vertx.eventBus().<JsonObject>consumer(Bus.STATE, m -> {
      if (m.body().getString("check").equals(name)) {
        switch (m.body().getString("to")) {
          case "ok" -> ok.complete(null);
          case "critical" -> critical.complete(System.nanoTime());
          default -> { }
        }
      }
    });
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(new RedisProbeType(), new PostgresProbeType()), vertx)
        .loadString("medic { interval = 30s\n checks { " + check + " } }", "reactive.conf");
    assertThat(cfg.checks().get(name).interval().toSeconds()).isEqualTo(30);
    live = new LiveChecks();
    vertx.deployVerticle(new SchedulerVerticle(cfg, live, new MedicMetrics(MedicMetrics.newRegistry()),
        Clock.systemUTC())).await();
    ok.get(10, TimeUnit.SECONDS);

    long killedAt = System.nanoTime();
    kill.run();
    long criticalAt = critical.get(15, TimeUnit.SECONDS);
    assertThat(live.find(name).orElseThrow().state().status()).isEqualTo(Status.CRITICAL);
    return TimeUnit.NANOSECONDS.toMillis(criticalAt - killedAt);
  }

  private String lastMessage(String name) {
    return live.find(name).orElseThrow().state().lastResult().message();
  }
}
