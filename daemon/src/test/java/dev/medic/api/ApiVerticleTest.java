package dev.medic.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The API over a real daemon on a loopback port, probing scripted checks. */
@ExtendWith(VertxExtension.class)
class ApiVerticleTest {

  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private MedicMetrics metrics;
  private Vertx vertx;
  private Daemon daemon;
  private WebClient client;

  @org.junit.jupiter.api.io.TempDir
  Path journalDir;

  @BeforeEach
  void start() throws Exception {
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    metrics.bindJvm();
    vertx = Daemon.newVertx(metrics);
    Promise<ProbeResult> slow = Promise.promise();
    scripted.script("disk", i -> Future.succeededFuture(ProbeResult.of(Status.OK, "/ 41% used",
        Map.of("value", Measurement.count(41)))));
    scripted.script("slow", i -> i == 1 ? slowFirst(600) : Future.succeededFuture(ProbeResult.ok("fine")));
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(scripted), vertx).loadString("""
        medic {
          http.port = 0
          startup-spread = 0s
          journal.dir = "%s"
          checks {
            disk { type = scripted, thresholds { value { warning = 80, critical = 90 } } }
            slow { type = scripted, depends-on = [disk], description = "answers late once" }
          }
        }
        """.formatted(journalDir), "api-test.conf");
    daemon = join(Daemon.start(vertx, cfg, metrics));
    client = WebClient.create(vertx);
  }

  private Future<ProbeResult> slowFirst(long ms) {
    Promise<ProbeResult> p = Promise.promise();
    vertx.setTimer(ms, id -> p.complete(ProbeResult.ok("late but fine")));
    return p.future();
  }

  @AfterEach
  void stop() {
    join(daemon.stop());
    // Closed on its own: a future chained to a verticle's context cannot complete once the
    // context's event loop is gone.
    join(vertx.close());
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }

  private Future<HttpResponse<Buffer>> get(String path) {
    return client.get(daemon.apiPort(), "127.0.0.1", path).send();
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void readyWaitsForEveryCheckFirstResult(VertxTestContext ctx) {
    get("/ready").compose(first -> {
      ctx.verify(() -> {
        assertThat(first.statusCode()).isEqualTo(503);
        // The disk check answers within milliseconds, but on a busy machine not always before this
        // first request: what matters is that the slow one is waited for.
        assertThat(first.bodyAsJsonObject().getJsonArray("waitingFor").getList()).contains("slow");
      });
      Promise<Void> wait = Promise.promise();
      vertx.setTimer(900, id -> wait.complete());
      return wait.future().compose(v -> get("/ready"));
    }).onComplete(ctx.succeeding(second -> ctx.verify(() -> {
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(second.bodyAsJsonObject().getString("status")).isEqualTo("ready");
      ctx.completeNow();
    })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void healthAnswersWhileTheSchedulerTicks(VertxTestContext ctx) {
    get("/health").onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getString("status")).isEqualTo("up");
      ctx.completeNow();
    })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void statusHasTheContractFields(VertxTestContext ctx) {
    vertx.setTimer(800, id -> get("/status").onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.getHeader("content-type")).startsWith("application/json");
      JsonObject body = r.bodyAsJsonObject();
      assertThat(body.getString("status")).isEqualTo("ok");
      assertThat(body.getJsonArray("actions")).isNotNull();
      JsonObject disk = body.getJsonArray("checks").getJsonObject(0);
      assertThat(disk.fieldNames()).contains("name", "type", "status", "message", "since", "lastRun", "latencyMs",
          "measurements", "consecutive", "flapping", "suppressedBy", "maintenance", "recovery");
      assertThat(disk.getString("name")).isEqualTo("disk");
      assertThat(disk.getString("type")).isEqualTo("scripted");
      assertThat(disk.getString("message")).isEqualTo("/ 41% used");
      assertThat(disk.getJsonObject("measurements").getJsonObject("value").getDouble("value")).isEqualTo(41.0);
      assertThat(disk.getJsonObject("measurements").containsKey("latency")).isTrue();
      JsonObject slow = body.getJsonArray("checks").getJsonObject(1);
      assertThat(slow.getString("description")).isEqualTo("answers late once");
      assertThat(slow.getJsonArray("dependsOn").getList()).containsExactly("disk");
      ctx.completeNow();
    }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void statusOfOneCheckAndJsonErrorsForUnknownNames(VertxTestContext ctx) {
    get("/status?check=disk").compose(one -> {
      ctx.verify(() -> {
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.bodyAsJsonObject().getString("name")).isEqualTo("disk");
      });
      return get("/status?check=nope");
    }).compose(missing -> {
      ctx.verify(() -> {
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.bodyAsJsonObject().getString("error")).contains("nope");
      });
      return get("/no/such/path");
    }).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.bodyAsJsonObject().getString("error")).contains("/no/such/path");
      ctx.completeNow();
    })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void metricsAreValidPrometheusText(VertxTestContext ctx, @TempDir Path tmp) {
    vertx.setTimer(800, id -> get("/metrics").onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(200);
      String text = r.bodyAsString();
      assertThat(text).contains("medic_check_status{check=\"disk\",type=\"scripted\"} 0.0",
          "medic_probe_duration_seconds_bucket", "medic_probes_total", "medic_check_measurement",
          "medic_scheduler_lag_seconds", "jvm_memory_used_bytes", "vertx_http_server");
      Path file = tmp.resolve("metrics.txt");
      Files.writeString(file, text, StandardCharsets.UTF_8);
      // promtool is Prometheus's own linter; .ci/run installs it (Debian package prometheus).
      Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("promtool check metrics said: %s", out).isZero();
      ctx.completeNow();
    }))));
  }
}
