package dev.medic.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.recovery.ActionTypes;
import dev.medic.testing.Await;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: every alert a receiver got is resolved once its cause is over, as the receiver sees it:
 * a whole daemon, a real webhook receiver on 127.0.0.1, checks whose results the test decides.
 */
class NotifierResolutionTest {

  @TempDir
  Path journalDir;

  /** Runs are counted from 1. */
  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private final List<JsonObject> received = new CopyOnWriteArrayList<>();
  private final AtomicBoolean receiverDown = new AtomicBoolean();
  private Vertx vertx;
  private Daemon daemon;
  private HttpServer receiver;

  @BeforeEach
  void receiver() {
    vertx = Vertx.vertx();
    receiver = Await.join(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      if (receiverDown.get()) {
        req.response().setStatusCode(503).end("down");
        return;
      }
      body.toJsonObject().getJsonArray("events").forEach(e -> received.add((JsonObject) e));
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    if (daemon != null) {
      Await.join(daemon.stop());
    }
    Await.join(vertx.close());
  }

  private Daemon start(String extra) throws Exception {
    ConfigLoader loader = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(),
        ChannelTypes.of(new WebhookChannelType())), vertx);
    MedicConfig cfg = loader.loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          %s
          checks.app { type = scripted, interval = 1s }
          notify.ops { type = webhook, url = "http://127.0.0.1:%d/hook", group-wait = 10ms, repeat-interval = 0s }
        }
        """.formatted(journalDir, extra, receiver.actualPort()), "resolution-test.conf");
    return Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
  }

  private List<JsonObject> appEvents() {
    return received.stream().filter(e -> "state".equals(e.getString("kind")) && "app".equals(e.getString("check")))
        .toList();
  }

  private boolean lastIsResolved() {
    List<JsonObject> events = appEvents();
    return !events.isEmpty() && "ok".equals(events.get(events.size() - 1).getString("severity"));
  }

  @Test
  void criticalThenUnknownThenOkIsResolved() throws Exception {
    scripted.script("app", i -> Future.succeededFuture(i == 1 ? ProbeResult.critical("refused")
        : i == 2 ? ProbeResult.unknown("probe could not run") : ProbeResult.ok("fine")));
    daemon = start("");
    Await.until("the resolution after unknown", 15_000, this::lastIsResolved);
    List<JsonObject> events = appEvents();
    assertThat(events).extracting(e -> e.getString("status")).containsExactly("critical", "unknown", "ok");
    assertThat(events.get(2).getString("previous")).isEqualTo("unknown");
  }

  @Test
  void aFirstResultThatIsOkTellsNobody() throws Exception {
    scripted.script("app", i -> Future.succeededFuture(i <= 2 ? ProbeResult.ok("fine") : ProbeResult.critical("refused")));
    daemon = start("");
    Await.until("the critical", 15_000, () -> !appEvents().isEmpty());
    assertThat(appEvents()).extracting(e -> e.getString("status")).containsExactly("critical");
  }

  @Test
  void theEndOfFlappingIsSentAndResolves() throws Exception {
    // critical, ok, critical, ok: the fourth change makes it flap (more than 2 within 3s); then ok.
    scripted.script("app", i -> Future.succeededFuture(i <= 4 && i % 2 == 1 ? ProbeResult.critical("refused")
        : ProbeResult.ok("fine")));
    daemon = start("flap { changes = 2, window = 3s }");
    Await.until("flapping announced", 15_000, () -> appEvents().stream()
        .anyMatch(e -> e.getString("title").startsWith("FLAPPING")));
    Await.until("the end of flapping, resolved", 20_000, this::lastIsResolved);
    JsonObject end = appEvents().get(appEvents().size() - 1);
    assertThat(end.getString("title")).startsWith("RESOLVED app: flapping stopped");
    assertThat(end.getJsonObject("details").getBoolean("flappingStopped")).isTrue();
  }

  @Test
  void aCheckOkAfterARestartResolvesWhatWasAnnouncedBefore() throws Exception {
    AtomicBoolean fixed = new AtomicBoolean();
    scripted.script("app", i -> Future.succeededFuture(fixed.get() ? ProbeResult.ok("fine")
        : ProbeResult.critical("refused")));
    daemon = start("");
    Await.until("the critical", 15_000, () -> !appEvents().isEmpty());
    Await.join(daemon.stop());
    daemon = null;
    fixed.set(true); // fixed while medic was not running
    daemon = start("");
    Await.until("the resolution after the restart", 15_000, this::lastIsResolved);
    assertThat(appEvents()).extracting(e -> e.getString("severity")).containsExactly("critical", "ok");
  }

  @Test
  void anAlertThatWasGivenUpIsNotFollowedByALoneResolution() throws Exception {
    receiverDown.set(true);
    AtomicBoolean fixed = new AtomicBoolean();
    scripted.script("app", i -> Future.succeededFuture(fixed.get() ? ProbeResult.ok("fine")
        : ProbeResult.critical("refused")));
    // Each notification is retried for 1s only: the critical is given up while the receiver is down.
    ConfigLoader loader = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(),
        ChannelTypes.of(new WebhookChannelType())), vertx);
    MedicConfig cfg = loader.loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          checks.app { type = scripted, interval = 1s }
          checks.marker { type = scripted, interval = 1s }
          notify.ops { type = webhook, url = "http://127.0.0.1:%d/hook", group-wait = 10ms, repeat-interval = 0s,
                       retry-for = 1s }
        }
        """.formatted(journalDir, receiver.actualPort()), "resolution-test.conf");
    AtomicBoolean markerBad = new AtomicBoolean();
    scripted.script("marker", i -> Future.succeededFuture(markerBad.get() ? ProbeResult.critical("marker")
        : ProbeResult.ok("fine")));
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
    Await.until("the critical given up", 15_000, () -> journalDir.resolve("outbox/given-up").toFile().list() != null
        && journalDir.resolve("outbox/given-up").toFile().list().length > 0);
    receiverDown.set(false);
    fixed.set(true);
    // The app's resolution is routed (medic routed the critical), then dropped at delivery; the
    // marker's critical afterwards shows the channel delivers in order and the resolution is past.
    Await.until("app ok", 10_000, () -> daemon.live().find("app").map(c -> c.state().status().label())
        .orElse("").equals("ok"));
    markerBad.set(true);
    Await.until("the marker's critical", 15_000, () -> received.stream()
        .anyMatch(e -> "marker".equals(e.getString("check"))));
    assertThat(appEvents()).isEmpty();
  }
}
