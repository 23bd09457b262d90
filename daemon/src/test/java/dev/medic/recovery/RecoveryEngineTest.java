package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.testing.Await;
import dev.medic.testing.HungServer;
import dev.medic.testing.ServerActionType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recovery engine inside a whole daemon: a real TCP check of a loopback port and an action
 * that really starts (or pretends to restart) the server on that port.
 */
class RecoveryEngineTest {

  private static final String TOKEN = "test-token-123";

  @TempDir
  Path journalDir;

  private final ServerActionType actions = new ServerActionType();
  private Vertx vertx;
  private Daemon daemon;
  private WebClient client;
  private MedicMetrics metrics;

  @AfterEach
  void stop() {
    stopDaemon();
    if (vertx != null) {
      Await.join(actions.stopServers());
      Await.join(vertx.close());
    }
  }

  private void stopDaemon() {
    if (daemon != null) {
      Await.join(daemon.stop());
      daemon = null;
    }
  }

  private void start(String checks, String actionsConf, String extra) throws Exception {
    if (vertx == null) {
      vertx = Vertx.vertx();
      client = WebClient.create(vertx);
    }
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    MedicConfig cfg = new ConfigLoader(ProbeTypes.discover(), ActionTypes.of(actions), vertx).loadString("""
        medic {
          http { port = 0, token = "%s" }
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          retry-interval = 200ms
          %s
          checks { %s }
          actions { %s }
        }
        """.formatted(TOKEN, journalDir, extra, checks, actionsConf), "recovery-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, metrics));
  }



  private Status status(String check) {
    return daemon.live().find(check).orElseThrow().state().status();
  }

  private List<JsonObject> journal() throws Exception {
    return Journal.read(journalDir);
  }

  private long count(String kind) throws Exception {
    return journal().stream().filter(r -> kind.equals(r.getString("kind"))).count();
  }

  private HttpResponse<Buffer> post(String path, String token, JsonObject body) {
    var req = client.post(daemon.apiPort(), "127.0.0.1", path);
    if (token != null) {
      req.putHeader("authorization", "Bearer " + token);
    }
    return Await.join(body == null ? req.send() : req.sendJsonObject(body));
  }

  @Test
  void aFixingActionRunsOnceIsVerifiedAndJournaled() throws Exception {
    int port = HungServer.freePort();
    start("app { type = tcp, host = \"127.0.0.1\", port = " + port + ", interval = 1s, timeout = 500ms,"
        + " on-critical = [start-app] }", "start-app { type = start-server, port = " + port + ", grace = 100ms }", "");
    // The attempt is counted once its record is on disk, on the event loop after the write:
    // wait for the counter too, not only for the line in the file.
    Await.until("app ok again and the attempt journaled and counted", 10_000, () -> {
      try {
        return status("app") == Status.OK && count("attempt") == 1 && metrics.scrape()
            .contains("medic_recovery_attempts_total{action=\"start-app\",check=\"app\",outcome=\"success\"} 1.0");
      } catch (Exception e) {
        return false;
      }
    });
    assertThat(actions.runs()).containsExactly("app");
    List<JsonObject> attempts = journal().stream().filter(r -> "attempt".equals(r.getString("kind"))).toList();
    assertThat(attempts).hasSize(1);
    assertThat(attempts.get(0).getString("outcome")).isEqualTo("success");
    assertThat(attempts.get(0).getString("message")).contains("; app ok after ");
    assertThat(count("attempt-started")).isEqualTo(1);
    JsonObject view = daemon.recovery().view("app");
    assertThat(view.getJsonArray("actions").getJsonObject(0).getInteger("used")).isEqualTo(1);
    assertThat(view.getJsonArray("actions").getJsonObject(0).getInteger("remaining")).isEqualTo(2);
    String scrape = metrics.scrape();
    assertThat(scrape).contains(
        "medic_recovery_attempts_total{action=\"start-app\",check=\"app\",outcome=\"success\"} 1.0",
        "medic_recovery_budget_remaining{action=\"start-app\",check=\"app\"} 2.0");
  }

  @Test
  void aSharedActionDoesNothingWhileItsLeaseBackendIsDownByDefault() throws Exception {
    int port = HungServer.freePort();
    int nobody = HungServer.freePort();
    start("app { type = tcp, host = \"127.0.0.1\", port = " + port + ", interval = 1s, timeout = 500ms,"
        + " on-critical = [start-app] }", "start-app { type = start-server, port = " + port + ", scope = shared }",
        "cluster { lease = \"redis://127.0.0.1:" + nobody + "\", ttl = 1s }");
    Await.until("held because the backend is down", 10_000, () -> {
      JsonObject v = daemon.recovery().view("app");
      return v != null && "held".equals(v.getString("state"));
    });
    assertThat(daemon.recovery().view("app").getString("heldBecause"))
        .contains("lease backend unreachable", "on-backend-down = skip");
    Thread.sleep(1500);
    assertThat(actions.runs()).as("no instance acts without the lease").isEmpty();
    assertThat(journal()).anySatisfy(r -> assertThat(r.getString("message", "")).contains("lease backend unreachable"));
  }

  @Test
  void aSharedActionRunsOnItsOwnBudgetWhenTheBackendIsDownAndOnBackendDownIsLocal() throws Exception {
    int port = HungServer.freePort();
    int nobody = HungServer.freePort();
    start("app { type = tcp, host = \"127.0.0.1\", port = " + port + ", interval = 1s, timeout = 500ms,"
        + " on-critical = [start-app] }", "start-app { type = start-server, port = " + port + ", scope = shared,"
        + " grace = 100ms }", "cluster { lease = \"redis://127.0.0.1:" + nobody + "\", ttl = 1s, on-backend-down = local }");
    Await.until("fixed by this instance alone", 10_000, () -> {
      try {
        return status("app") == Status.OK && count("attempt") == 1;
      } catch (Exception e) {
        return false;
      }
    });
    assertThat(actions.runs()).containsExactly("app");
    JsonObject attempt = journal().stream().filter(r -> "attempt".equals(r.getString("kind"))).findFirst().orElseThrow();
    assertThat(attempt.getString("outcome")).isEqualTo("success");
    assertThat(attempt.containsKey("token")).as("no lease, no fencing token").isFalse();
  }

  @Test
  void aMaintenanceWindowFromTheConfigHoldsActions() throws Exception {
    int port = HungServer.freePort();
    String until = java.time.Instant.now().plusSeconds(600).toString();
    start("app { type = tcp, host = \"127.0.0.1\", port = " + port + ", interval = 1s, timeout = 500ms,"
        + " on-critical = [start-app] }", "start-app { type = start-server, port = " + port + " }",
        "maintenance = [ { checks = [app], until = \"" + until + "\", reason = \"planned\" } ]");
    Await.until("held", 5_000, () -> {
      JsonObject v = daemon.recovery().view("app");
      return v != null && "held".equals(v.getString("state"));
    });
    Thread.sleep(1200);
    assertThat(actions.runs()).isEmpty();
    assertThat(daemon.recovery().view("app").getString("heldBecause")).contains("maintenance", "planned");
  }

  @Test
  void aNeverFixingActionStopsAtItsBudgetAlsoAcrossARestart() throws Exception {
    int port = HungServer.freePort();
    String check = "app { type = tcp, host = \"127.0.0.1\", port = " + port + ", interval = 1s, timeout = 500ms,"
        + " on-critical = [restart-app] }";
    String action = "restart-app { type = start-server, port = " + port + ", fixes = false, max-attempts = 3,"
        + " backoff { initial = 100ms, max = 400ms }, grace = 50ms }";
    start(check, action, "");
    Await.until("exhausted", 15_000, () -> {
      JsonObject v = daemon.recovery().view("app");
      return v != null && "exhausted".equals(v.getString("state"));
    });
    assertThat(actions.runs()).hasSize(3);
    assertThat(count("exhausted")).isEqualTo(1);
    assertThat(journal().stream().filter(r -> "attempt".equals(r.getString("kind")))
        .map(r -> r.getString("outcome"))).containsExactly("failure", "failure", "failure");

    // medic restarts: the budget is read back from the journal and stays spent.
    stopDaemon();
    start(check, action, "");
    Thread.sleep(2500);
    assertThat(actions.runs()).hasSize(3);
    assertThat(daemon.recovery().view("app").getString("state")).isEqualTo("exhausted");
    assertThat(count("exhausted")).isEqualTo(1);

    // An operator resets it: the action runs again.
    assertThat(post("/checks/app/reset", TOKEN, null).statusCode()).isEqualTo(200);
    Await.until("runs again after reset", 5_000, () -> actions.runs().size() > 3);
  }

  @Test
  void dryRunJournalsAndRunsNothing() throws Exception {
    int port = HungServer.freePort();
    start("app { type = tcp, host = \"127.0.0.1\", port = " + port + ", interval = 1s, timeout = 500ms,"
        + " on-critical = [start-app] }", "start-app { type = start-server, port = " + port + " }", "dry-run = true");
    Await.until("a dry-run attempt", 5_000, () -> {
      try {
        return journal().stream().anyMatch(r -> "dry-run".equals(r.getString("outcome")));
      } catch (Exception e) {
        return false;
      }
    });
    assertThat(actions.runs()).isEmpty();
    assertThat(status("app")).isEqualTo(Status.CRITICAL);
  }

  @Test
  void noActionsWhileADependencyIsCritical() throws Exception {
    int dbPort = HungServer.freePort();
    int appPort = HungServer.freePort();
    start("db { type = tcp, host = \"127.0.0.1\", port = " + dbPort + ", interval = 1s, timeout = 500ms }\n"
        + "app { type = tcp, host = \"127.0.0.1\", port = " + appPort + ", interval = 1s, timeout = 500ms,"
        + " depends-on = [db], on-critical = [start-app] }",
        "start-app { type = start-server, port = " + appPort + " }", "");
    Await.until("suppressed", 5_000, () -> {
      try {
        return count("suppressed") > 0;
      } catch (Exception e) {
        return false;
      }
    });
    Thread.sleep(1500);
    assertThat(actions.runs()).isEmpty();
    assertThat(daemon.recovery().view("app").getString("heldBecause")).contains("depends on db");
  }

  @Test
  void maintenanceHoldsActionsUntilItEnds() throws Exception {
    int port = HungServer.freePort();
    // A first check ahead of app, so that app's first probe comes 1 s in: after the window opens.
    start("root { type = disk, path = \"/\" }\n app { type = tcp, host = \"127.0.0.1\", port = " + port
        + ", interval = 1s, timeout = 500ms, on-critical = [start-app] }",
        "start-app { type = start-server, port = " + port + ", grace = 100ms }", "startup-spread = 2s");
    HttpResponse<Buffer> created = post("/maintenance", TOKEN, new JsonObject().put("checks", List.of("app"))
        .put("duration", "10m").put("reason", "upgrade"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String id = created.bodyAsJsonObject().getString("id");
    Thread.sleep(2500);
    assertThat(actions.runs()).isEmpty();
    JsonObject app = Await.join(client.get(daemon.apiPort(), "127.0.0.1", "/status?check=app").send()).bodyAsJsonObject();
    assertThat(app.getJsonObject("maintenance").getString("reason")).isEqualTo("upgrade");
    assertThat(app.getString("status")).isEqualTo("critical");

    var deleted = client.delete(daemon.apiPort(), "127.0.0.1", "/maintenance/" + id)
        .putHeader("authorization", "Bearer " + TOKEN).send();
    assertThat(Await.join(deleted).statusCode()).isEqualTo(204);
    Await.until("fixed after maintenance", 5_000, () -> status("app") == Status.OK);
    assertThat(actions.runs()).containsExactly("app");
  }

  @Test
  void controlEndpointsWantTheToken() throws Exception {
    int port = HungServer.freePort();
    start("app { type = tcp, host = \"127.0.0.1\", port = " + port + ", timeout = 500ms }", "", "");
    assertThat(post("/checks/app/run", null, null).statusCode()).isEqualTo(401);
    assertThat(post("/checks/app/run", "wrong", null).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> ok = post("/checks/app/run", TOKEN, null);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.bodyAsJsonObject().getString("status")).isEqualTo("critical");
    assertThat(post("/checks/nope/run", TOKEN, null).statusCode()).isEqualTo(404);
    assertThat(post("/actions/nope/run", TOKEN, null).statusCode()).isEqualTo(404);
    HttpResponse<Buffer> bad = client.post(daemon.apiPort(), "127.0.0.1", "/maintenance")
        .putHeader("authorization", "Bearer " + TOKEN).sendBuffer(Buffer.buffer("{not json")).toCompletionStage()
        .toCompletableFuture().join();
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("error")).contains("not a JSON object");
    assertThat(post("/maintenance", TOKEN, new JsonObject().put("checks", List.of("nope")).put("duration", "5m"))
        .statusCode()).isEqualTo(400);
    var del = client.delete(daemon.apiPort(), "127.0.0.1", "/maintenance/none")
        .putHeader("authorization", "Bearer " + TOKEN).send();
    assertThat(Await.join(del).statusCode()).isEqualTo(404);
  }

  @Test
  void withoutATokenControlEndpointsAnswer403(@TempDir Path other) throws Exception {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    MedicConfig cfg = new ConfigLoader(ProbeTypes.discover(), ActionTypes.of(actions), vertx).loadString(
        "medic { http.port = 0, journal.dir = \"" + other + "\", checks.root { type = disk, path = \"/\" } }", "t.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
    HttpResponse<Buffer> r = post("/checks/root/run", "anything", null);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("error")).contains("medic.http.token");
    assertThat(Files.exists(other.resolve(Journal.FILE))).isTrue();
  }

  @Test
  void eventsStreamStateChangesAndRecoverySteps() throws Exception {
    int port = HungServer.freePort();
    // app is probed 1 s in, after the stream below is open: every step of the repair is seen.
    start("root { type = disk, path = \"/\" }\n app { type = tcp, host = \"127.0.0.1\", port = " + port
        + ", interval = 1s, timeout = 500ms, on-critical = [start-app] }",
        "start-app { type = start-server, port = " + port + ", grace = 100ms }", "startup-spread = 2s");
    StringBuilder received = new StringBuilder();
    var conn = Await.join(vertx.createHttpClient().request(io.vertx.core.http.HttpMethod.GET, daemon.apiPort(),
        "127.0.0.1", "/events").compose(req -> req.send()));
    assertThat(conn.getHeader("content-type")).startsWith("text/event-stream");
    conn.handler(b -> {
      synchronized (received) {
        received.append(b.toString());
      }
    });
    Await.until("events", 10_000, () -> {
      synchronized (received) {
        return received.toString().contains("\"event\":\"succeeded\"");
      }
    });
    String text;
    synchronized (received) {
      text = received.toString();
    }
    assertThat(text).contains("event: state", "\"to\":\"critical\"", "event: recovery", "\"event\":\"started\"",
        "\"to\":\"ok\"");
  }
}
