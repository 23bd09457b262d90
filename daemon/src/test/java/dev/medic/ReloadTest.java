package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.testing.Await;
import dev.medic.testing.HeapCount;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload over a real daemon reading a real file, probing real HTTP targets on loopback, each
 * of which keeps the time of every request it got: so gaps and early re-probes can be seen from
 * the target's side, as an operator's access log would show them.
 */
class ReloadTest {

  private static final String TOKEN = "reload-test-token";

  @TempDir
  Path dir;
  private Vertx targets;
  private final Map<String, HttpServer> servers = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> hits = new ConcurrentHashMap<>();
  private final List<JsonObject> webhook = new CopyOnWriteArrayList<>();
  private HttpServer sink;
  private MedicMetrics metrics;
  private Vertx vertx;
  private Daemon daemon;
  private WebClient client;
  private Path file;

  @BeforeEach
  void start() {
    targets = Vertx.vertx();
    for (String name : List.of("a", "b", "c")) {
      hits.put(name, new CopyOnWriteArrayList<>());
      servers.put(name, join(targets.createHttpServer().requestHandler(req -> {
        hits.get(name).add(System.nanoTime());
        req.response().end("ok");
      }).listen(0, "127.0.0.1")));
    }
    sink = join(targets.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      webhook.addAll(b.toJsonObject().getJsonArray("events").stream().map(JsonObject.class::cast).toList());
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1"));
    file = dir.resolve("medic.conf");
  }

  @AfterEach
  void stop() {
    if (daemon != null) {
      join(daemon.stop());
    }
    if (vertx != null) {
      join(vertx.close());
    }
    join(targets.close());
  }

  private String config(String checks) {
    return "medic {\n  http { port = 0, token = \"" + TOKEN + "\" }\n  startup-spread = 0s\n  journal.dir = \""
        + dir.resolve("journal") + "\"\n  notify.ops { type = webhook, url = \"http://127.0.0.1:" + sink.actualPort()
        + "/hook\", severities = [warning, critical], group-wait = 0s }\n  checks {\n" + checks + "  }\n}\n";
  }

  private String check(String name, String extra) {
    return "    " + name + " { type = http, url = \"http://127.0.0.1:" + servers.get(name).actualPort()
        + "/\", interval = 400ms, fall = 1, rise = 1" + extra + " }\n";
  }

  private void startDaemon(String checks) throws Exception {
    Files.writeString(file, config(checks));
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    vertx = Daemon.newVertx(metrics);
    ConfigLoader loader = new ConfigLoader(Plugins.discover(), vertx);
    MedicConfig cfg = loader.load(Optional.of(file));
    daemon = join(Daemon.start(vertx, cfg, metrics, () -> loader.load(Optional.of(file))));
    client = WebClient.create(vertx);
    Await.until("first round", 10000, daemon::ready);
  }

  private HttpResponse<Buffer> postReload() {
    return join(client.post(daemon.apiPort(), "127.0.0.1", "/reload").bearerTokenAuthentication(TOKEN).send());
  }

  private JsonObject status() {
    return join(client.get(daemon.apiPort(), "127.0.0.1", "/status").putHeader("accept", "application/json").send())
        .bodyAsJsonObject();
  }

  private JsonObject checkStatus(String name) {
    JsonArray all = status().getJsonArray("checks");
    for (int i = 0; i < all.size(); i++) {
      if (all.getJsonObject(i).getString("name").equals(name)) {
        return all.getJsonObject(i);
      }
    }
    return null;
  }

  private double metric(String line) {
    for (String l : metrics.scrape().split("\n")) {
      if (l.startsWith(line + " ")) {
        return Double.parseDouble(l.substring(line.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  @Test
  void aChangedThresholdAppliesWithoutAProbeGapOrAnEarlyProbe() throws Exception {
    startDaemon(check("a", ", thresholds.latency.warning = 30s") + check("b", ""));
    String sinceB = checkStatus("b").getString("since");
    assertThat(checkStatus("a").getString("status")).isEqualTo("ok");
    long reloadAt = System.nanoTime();

    // Any loopback answer takes longer than a microsecond: the new limit makes "a" a warning.
    Files.writeString(file, config(check("a", ", thresholds.latency.warning = 1us") + check("b", "")));
    HttpResponse<Buffer> reply = postReload();

    assertThat(reply.statusCode()).as(reply.bodyAsString()).isEqualTo(200);
    JsonObject body = reply.bodyAsJsonObject();
    assertThat(body.getJsonObject("checks").getJsonArray("changed")).containsExactly("a");
    assertThat(body.getJsonObject("checks").getJsonArray("added")).isEmpty();
    Await.until("a judged by the new threshold", 5000,
        () -> "warning".equals(checkStatus("a").getString("status")));
    // Unchanged "b" kept its state: same since, still ok.
    assertThat(checkStatus("b").getString("since")).isEqualTo(sinceB);
    assertThat(checkStatus("b").getString("status")).isEqualTo("ok");
    waitMillis(1500);

    for (String name : List.of("a", "b")) {
      List<Long> times = List.copyOf(hits.get(name));
      for (int i = 1; i < times.size(); i++) {
        double gapMs = (times.get(i) - times.get(i - 1)) / 1e6;
        boolean aroundReload = times.get(i) > reloadAt - 1_000_000_000L;
        if (aroundReload) {
          // Kept on its 400 ms phase: neither a pause nor an extra probe because of the reload.
          assertThat(gapMs).as(name + " gap " + i + " of " + times.size()).isBetween(250.0, 800.0);
        }
      }
    }
    assertThat(metric("medic_config_last_reload_successful")).isEqualTo(1.0);
    assertThat(webhook).anySatisfy(e -> assertThat(e.getString("check")).isEqualTo("a"));
  }

  @Test
  void anInvalidFileKeepsTheRunningConfigAndSaysWhy() throws Exception {
    startDaemon(check("a", "") + check("b", ""));
    double loadedAt = metric("medic_config_last_reload_success_timestamp_seconds");
    assertThat(loadedAt).isGreaterThan(0);
    int before = hits.get("a").size();

    // A typo, a bad duration and an unknown action: every one is reported, nothing is applied.
    Files.writeString(file, config(check("a", ", intervl = 5s") + check("b", ", timeout = soon")
        + check("c", ", on-critical = [restart-c]")));
    HttpResponse<Buffer> reply = postReload();

    assertThat(reply.statusCode()).isEqualTo(400);
    JsonObject body = reply.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("failed");
    List<String> problems = body.getJsonArray("problems").stream().map(String::valueOf).toList();
    assertThat(problems).hasSize(3);
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(file + ":").contains("medic.checks.a.intervl")
        .contains("did you mean"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("medic.checks.b.timeout"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("restart-c"));

    assertThat(metric("medic_config_last_reload_successful")).isEqualTo(0.0);
    assertThat(metric("medic_config_last_reload_success_timestamp_seconds")).isEqualTo(loadedAt);
    JsonObject st = status();
    assertThat(st.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("name")).toList())
        .containsExactly("a", "b");
    assertThat(st.getJsonObject("config").getJsonObject("lastReload").getString("status")).isEqualTo("failed");
    // Still probing on the old config.
    Await.until("a probed after the failed reload", 5000, () -> hits.get("a").size() > before + 2);
    assertThat(hits.get("c")).isEmpty();
    Await.until("the failed reload notified", 5000, () -> webhook.stream()
        .anyMatch(e -> "daemon".equals(e.getString("kind")) && e.getString("message").contains("config reload failed")));

    // Fixed: the next reload applies and the metric is back to 1.
    Files.writeString(file, config(check("a", "") + check("b", "") + check("c", "")));
    assertThat(postReload().bodyAsJsonObject().getJsonObject("checks").getJsonArray("added")).containsExactly("c");
    assertThat(metric("medic_config_last_reload_successful")).isEqualTo(1.0);
    Await.until("c probed", 5000, () -> !hits.get("c").isEmpty());
  }

  @Test
  void aHundredReloadsLeaveNoTimerOrProbeOfRemovedChecks() throws Exception {
    String withB = check("a", "") + check("b", "");
    String withC = check("a", "") + check("c", "");
    startDaemon(withB);
    // Counted in the whole JVM (other tests' objects may be alive too): what matters is the growth.
    long runtimesBefore = HeapCount.live("dev.medic.schedule.CheckRuntime");
    long probesBefore = HeapCount.live("dev.medic.probe.HttpProbe");
    for (int i = 0; i < 100; i++) {
      Files.writeString(file, config(i % 2 == 0 ? withC : withB));
      JsonObject r = join(daemon.reload("test"));
      assertThat(r.getString("status")).as(r.encode()).isEqualTo("reloaded");
    }
    // The last reload (i = 99) went back to a + b: c is gone.
    Await.until("c's run in flight finished", 5000, () -> {
      int n = hits.get("c").size();
      waitMillis(1000);
      return hits.get("c").size() == n;
    });
    int cHits = hits.get("c").size();
    int aHits = hits.get("a").size();
    waitMillis(1500);
    assertThat(hits.get("c")).as("requests to the removed check's target").hasSize(cHits);
    assertThat(hits.get("a").size()).as("a keeps being probed").isGreaterThan(aHits + 1);
    assertThat(metrics.scrape()).doesNotContain("check=\"c\"");
    // A timer or a probe kept by a removed check would keep its runtime reachable.
    assertThat(HeapCount.live("dev.medic.schedule.CheckRuntime")).as("CheckRuntime instances after 100 reloads")
        .isLessThanOrEqualTo(runtimesBefore + 2);
    assertThat(HeapCount.live("dev.medic.probe.HttpProbe")).as("HttpProbe instances after 100 reloads")
        .isLessThanOrEqualTo(probesBefore + 2);
  }

  private static void waitMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }
}
