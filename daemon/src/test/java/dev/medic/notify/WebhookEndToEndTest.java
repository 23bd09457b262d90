package dev.medic.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.testing.Await;
import dev.medic.testing.HungServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §6 as an operator sees it: the webhook receiver is down when a check fails; once it comes
 * up it receives the critical event, then the resolution when the check recovers — signed, each
 * event once.
 */
class WebhookEndToEndTest {

  private static final String SECRET = "hook-secret";

  @TempDir
  Path tmp;

  private Vertx vertx;
  private Daemon daemon;
  private HttpServer receiver;
  private HttpServer app;

  @AfterEach
  void stop() {
    if (daemon != null) {
      Await.join(daemon.stop());
    }
    if (vertx != null) {
      Await.join(vertx.close());
    }
  }

  @Test
  void aReceiverThatWasDownGetsTheFailureThenTheResolution() throws Exception {
    int hookPort = HungServer.freePort();
    int appPort = HungServer.freePort();
    vertx = Vertx.vertx();
    MedicConfig cfg = new ConfigLoader(Plugins.discover(), vertx).loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          checks.app { type = tcp, host = "127.0.0.1", port = %d, interval = 1s, timeout = 500ms, fall = 1, rise = 1 }
          notify.ops { type = webhook, url = "http://127.0.0.1:%d/hook", secret = "%s", group-wait = 100ms }
        }
        """.formatted(tmp.resolve("journal"), appPort, hookPort, SECRET), "webhook-e2e.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));

    // app is down from the start and so is the receiver: the event waits in the outbox.
    Await.until("a failed delivery", 10_000, () -> tmp.resolve("journal/outbox/ops").toFile().list() != null
        && tmp.resolve("journal/outbox/ops").toFile().list().length > 0);
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    List<Boolean> signaturesOk = new CopyOnWriteArrayList<>();
    receiver = Await.join(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      signaturesOk.add(("sha256=" + hmac(body.getBytes())).equals(req.getHeader("X-Medic-Signature")));
      received.add(body.toJsonObject());
      req.response().setStatusCode(204).end();
    })).listen(hookPort, "127.0.0.1"));
    Await.until("the critical event", 20_000, () -> events(received).stream()
        .anyMatch(e -> "critical".equals(e.getString("severity"))));

    app = Await.join(vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(appPort, "127.0.0.1"));
    Await.until("the resolution", 10_000, () -> events(received).stream()
        .anyMatch(e -> "ok".equals(e.getString("severity"))));

    List<JsonObject> events = events(received);
    assertThat(events).extracting(e -> e.getString("severity")).containsExactly("critical", "ok");
    assertThat(events).extracting(e -> e.getString("check")).containsOnly("app");
    assertThat(events.get(1).getString("previous")).isEqualTo("critical");
    assertThat(signaturesOk).isNotEmpty().containsOnly(true);
    assertThat(events.stream().map(e -> e.getString("id")).distinct().count()).isEqualTo(2);
  }

  private static List<JsonObject> events(List<JsonObject> bodies) {
    return bodies.stream().flatMap(b -> b.getJsonArray("events", new JsonArray()).stream())
        .map(o -> (JsonObject) o).filter(e -> "state".equals(e.getString("kind"))).toList();
  }

  private static String hmac(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
