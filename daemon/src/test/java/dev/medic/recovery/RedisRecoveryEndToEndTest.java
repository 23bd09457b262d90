package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Status;
import dev.medic.testing.Await;
import dev.medic.testing.HungServer;
import dev.medic.testing.RedisBinary;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop against a real redis-server: medic watches it, it is killed with SIGKILL, medic
 * confirms the failure, runs a command action that starts it again, verifies, journals — and the
 * check is ok again.
 */
class RedisRecoveryEndToEndTest {

  @TempDir
  Path tmp;

  private Vertx vertx;
  private Daemon daemon;
  private RedisBinary redis;
  private int port;

  @AfterEach
  void stop() throws Exception {
    if (daemon != null) {
      Await.join(daemon.stop());
      Await.join(vertx.close());
    }
    if (redis != null && java.nio.file.Files.exists(redis.pidFile(port))) {
      RedisBinary.kill9(redis.pid(port));
    }
  }

  @Test
  void aKilledRedisIsStartedAgainVerifiedAndJournaled() throws Exception {
    redis = RedisBinary.extract(tmp);
    port = HungServer.freePort();
    long firstPid = redis.start(port);
    StringBuilder command = new StringBuilder("[");
    for (String arg : redis.command(port)) {
      command.append(command.length() > 1 ? ", " : "").append('"').append(arg).append('"');
    }
    command.append(']');
    vertx = Vertx.vertx();
    MedicConfig cfg = new ConfigLoader(Plugins.discover(), vertx).loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          checks.cache {
            type = redis
            uri = "redis://127.0.0.1:%d"
            interval = 5s
            fall = 2
            retry-interval = 1s
            on-critical = [start-redis]
          }
          actions.start-redis {
            type = command
            command = %s
            grace = 1s
            max-attempts = 3
          }
        }
        """.formatted(tmp.resolve("journal"), port, command), "redis-e2e.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
    Await.until("cache ok", 10_000, () -> status() == Status.OK);

    long killedAt = System.nanoTime();
    RedisBinary.kill9(firstPid);
    Await.until("cache critical", 10_000, () -> status() == Status.CRITICAL);
    Await.until("cache ok again", 20_000, () -> status() == Status.OK);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt);
    assertThat(seconds).as("kill -9 to ok, s").isLessThanOrEqualTo(20);
    assertThat(redis.pid(port)).isNotEqualTo(firstPid);

    // The state record of the recovery is written just after the state is published.
    Await.until("journaled", 5_000, () -> {
      try {
        return Journal.read(tmp.resolve("journal")).stream().filter(r -> "state".equals(r.getString("kind"))).count()
            >= 3;
      } catch (java.io.IOException e) {
        return false;
      }
    });
    List<JsonObject> journal = Journal.read(tmp.resolve("journal"));
    List<JsonObject> attempts = journal.stream().filter(r -> "attempt".equals(r.getString("kind"))).toList();
    assertThat(attempts).hasSize(1);
    assertThat(attempts.get(0).getString("outcome")).isEqualTo("success");
    assertThat(attempts.get(0).getString("message")).contains("; cache ok after ");
    assertThat(journal.stream().filter(r -> "state".equals(r.getString("kind"))).map(r -> r.getString("to")))
        .containsSubsequence("ok", "critical", "ok");
    JsonObject view = daemon.recovery().view("cache");
    JsonArray actions = view.getJsonArray("actions");
    assertThat(actions.getJsonObject(0).getInteger("used")).isEqualTo(1);
  }

  private Status status() {
    return daemon.live().find("cache").orElseThrow().state().status();
  }
}
