package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.schedule.CheckRuntime;
import dev.medic.testing.HungServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole daemon over real HTTP targets on loopback: 40 healthy servers and 10 that accept and
 * never answer. The hung ones must not slow the healthy ones down in the same round.
 */
class DaemonEndToEndTest {

  @org.junit.jupiter.api.io.TempDir
  java.nio.file.Path journalDir;
  private Vertx targets;
  private final List<HttpServer> healthy = new ArrayList<>();
  private final List<HungServer> hung = new ArrayList<>();
  private Vertx vertx;
  private Daemon daemon;

  @BeforeEach
  void startTargets() throws Exception {
    // The targets live in their own Vert.x, as another process's servers would.
    targets = Vertx.vertx();
    for (int i = 0; i < 40; i++) {
      healthy.add(join(targets.createHttpServer()
          .requestHandler(req -> req.response().putHeader("content-type", "application/json").end("{\"status\":\"UP\"}"))
          .listen(0, "127.0.0.1")));
    }
    for (int i = 0; i < 10; i++) {
      hung.add(HungServer.start());
    }
  }

  @AfterEach
  void stopAll() throws Exception {
    if (daemon != null) {
      join(daemon.stop());
      join(vertx.close());
    }
    join(targets.close());
    for (HungServer h : hung) {
      h.close();
    }
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }

  @Test
  void fortyHealthyAndTenHungTargetsInOneRound() throws Exception {
    StringBuilder checks = new StringBuilder();
    for (int i = 0; i < healthy.size(); i++) {
      checks.append("ok").append(i).append(" { type = http, url = \"http://127.0.0.1:")
          .append(healthy.get(i).actualPort()).append("/health\", expect.json { \"/status\" = UP } }\n");
    }
    for (int i = 0; i < hung.size(); i++) {
      checks.append("hung").append(i).append(" { type = http, url = \"http://127.0.0.1:")
          .append(hung.get(i).port()).append("/health\" }\n");
    }
    MedicMetrics metrics = new MedicMetrics(MedicMetrics.newRegistry());
    vertx = Daemon.newVertx(metrics);
    MedicConfig cfg = new ConfigLoader(ProbeTypes.discover(), vertx).loadString(
        "medic { http.port = 0, timeout = 2s, interval = 30s, journal.dir = \"" + journalDir + "\"\n checks {\n"
            + checks + "} }", "e2e.conf");
    long t0 = System.nanoTime();
    daemon = join(Daemon.start(vertx, cfg, metrics));

    // The round is over when /ready says so: every check has its first result.
    WebClient client = WebClient.create(vertx);
    JsonObject status = null;
    long readyAt = 0;
    while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15)) {
      if (join(client.get(daemon.apiPort(), "127.0.0.1", "/ready").send()).statusCode() == 200) {
        readyAt = System.nanoTime();
        status = join(client.get(daemon.apiPort(), "127.0.0.1", "/status").send()).bodyAsJsonObject();
        break;
      }
      join(Future.<Void>future(p -> vertx.setTimer(50, id -> p.complete())));
    }
    assertThat(status).as("ready within 15 s").isNotNull();
    // 1 s start-up spread + 2 s timeout (+ the scheduler's grace): the hung targets bound the round.
    assertThat(TimeUnit.NANOSECONDS.toMillis(readyAt - t0)).isLessThan(6000);

    List<Double> latencies = new ArrayList<>();
    JsonArray all = status.getJsonArray("checks");
    assertThat(all).hasSize(50);
    for (int i = 0; i < all.size(); i++) {
      JsonObject c = all.getJsonObject(i);
      if (c.getString("name").startsWith("ok")) {
        assertThat(c.getString("status")).as(c.encode()).isEqualTo("ok");
        latencies.add(c.getDouble("latencyMs"));
      } else {
        assertThat(c.getString("status")).as(c.encode()).isEqualTo("critical");
        assertThat(c.getDouble("latencyMs")).isBetween(1900.0, 3000.0);
      }
    }
    latencies.sort(Double::compare);
    double p95 = latencies.get((int) Math.ceil(latencies.size() * 0.95) - 1);
    assertThat(p95).as("p95 latency of the healthy targets, ms").isLessThan(500.0);
    assertThat(status.getString("status")).isEqualTo("critical");
    for (CheckRuntime c : daemon.live().all()) {
      assertThat(c.state().status()).isIn(Status.OK, Status.CRITICAL);
    }
  }
}
