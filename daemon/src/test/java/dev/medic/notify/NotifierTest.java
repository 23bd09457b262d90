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
import dev.medic.testing.RecordingChannelType;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing, grouping, repeats, hold-backs and the durable outbox, inside a whole daemon. */
class NotifierTest {

  @TempDir
  Path journalDir;

  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private final RecordingChannelType recording = new RecordingChannelType();
  private Vertx vertx;
  private Daemon daemon;
  private MedicMetrics metrics;

  @AfterEach
  void stop() {
    stopDaemon();
  }

  private void stopDaemon() {
    if (daemon != null) {
      Await.join(daemon.stop());
      Await.join(vertx.close());
      daemon = null;
    }
  }

  private void start(String checks, String channels, String extra) throws Exception {
    vertx = Vertx.vertx();
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    MedicConfig cfg = new ConfigLoader(new Plugins(ProbeTypes.of(scripted), ActionTypes.of(),
        ChannelTypes.of(recording)), vertx).loadString("""
        medic {
          http.port = 0
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          %s
          checks { %s }
          notify { %s }
        }
        """.formatted(journalDir, extra, checks, channels), "notify-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, metrics));
  }



  private List<Event> stateEvents() {
    return recording.events().stream().filter(e -> "state".equals(e.kind())).toList();
  }

  @Test
  void aFailureAndItsResolutionArriveWithStableIds() throws Exception {
    AtomicReference<ProbeResult> result = new AtomicReference<>(ProbeResult.critical("connect refused"));
    scripted.script("app", i -> Future.succeededFuture(result.get()));
    start("app { type = scripted, interval = 300ms, timeout = 200ms }",
        "ops { type = recording, group-wait = 100ms }", "");
    Await.until("critical delivered", 5_000, () -> !stateEvents().isEmpty());
    Event critical = stateEvents().get(0);
    assertThat(critical.severity()).isEqualTo("critical");
    assertThat(critical.check()).isEqualTo("app");
    assertThat(critical.title()).isEqualTo("CRITICAL app: connect refused");
    assertThat(critical.id()).isNotBlank();
    assertThat(critical.details().getJsonObject("measurements").containsKey("latency")).isTrue();

    result.set(ProbeResult.ok("fine"));
    Await.until("resolution delivered", 5_000, () -> stateEvents().size() >= 2);
    Event resolved = stateEvents().get(1);
    assertThat(resolved.resolved()).isTrue();
    assertThat(resolved.previous()).isEqualTo("critical");
    assertThat(resolved.title()).startsWith("RESOLVED app");
    assertThat(resolved.id()).isNotEqualTo(critical.id());
    assertThat(metrics.scrape()).contains("medic_notifications_total{channel=\"ops\",outcome=\"sent\"}");
  }

  @Test
  void whatHappensTogetherIsSentAsOneMessage() throws Exception {
    scripted.script("a", i -> Future.succeededFuture(ProbeResult.critical("down")));
    scripted.script("b", i -> Future.succeededFuture(ProbeResult.critical("down")));
    start("a { type = scripted }\n b { type = scripted }", "ops { type = recording, group-wait = 800ms }", "");
    Await.until("a batch", 5_000, () -> !recording.batches().isEmpty());
    Thread.sleep(300);
    List<Event> first = recording.batches().get(0);
    assertThat(first).extracting(Event::check).contains("a", "b");
  }

  @Test
  void aReceiverThatIsDownGetsTheEventOnceItIsBack() throws Exception {
    recording.down(true);
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    start("app { type = scripted }", "ops { type = recording, group-wait = 50ms }", "");
    Await.until("two failed attempts", 10_000, () -> recording.attempts().size() >= 2);
    assertThat(recording.events()).isEmpty();
    recording.down(false);
    Await.until("delivered", 15_000, () -> !stateEvents().isEmpty());
    Thread.sleep(500);
    assertThat(stateEvents()).hasSize(1);
    assertThat(metrics.scrape()).contains("medic_notifications_total{channel=\"ops\",outcome=\"failed\"}");
  }

  @Test
  void eventsInTheOutboxSurviveARestartAndKeepTheirIds() throws Exception {
    recording.down(true);
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    start("app { type = scripted, interval = 30s }", "ops { type = recording, group-wait = 50ms }", "");
    Await.until("a failed attempt", 10_000, () -> !recording.attempts().isEmpty());
    stopDaemon();
    try (Stream<Path> files = Files.list(journalDir.resolve("outbox").resolve("ops"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".json")).count()).isGreaterThanOrEqualTo(1);
    }

    recording.down(false);
    // The check is fine after the restart: what arrives is the event from before.
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.ok("fine")));
    start("app { type = scripted, interval = 30s }", "ops { type = recording, group-wait = 50ms }", "");
    Await.until("delivered after the restart", 10_000, () -> !stateEvents().isEmpty());
    assertThat(stateEvents().get(0).severity()).isEqualTo("critical");
    assertThat(stateEvents().get(0).message()).isEqualTo("refused");
    Await.until("outbox emptied", 5_000, () -> {
      try (Stream<Path> files = Files.list(journalDir.resolve("outbox").resolve("ops"))) {
        return files.noneMatch(f -> f.toString().endsWith(".json"));
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void routingBySeverityAndCheckAndResolutionsOnlyWhereAnnounced() throws Exception {
    AtomicReference<ProbeResult> app = new AtomicReference<>(ProbeResult.of(dev.medic.probe.Status.WARNING, "slow",
        java.util.Map.of()));
    scripted.script("app", i -> Future.succeededFuture(app.get()));
    scripted.script("db", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    start("app { type = scripted, interval = 300ms, timeout = 200ms }\n db { type = scripted }",
        "pager { type = recording, severities = [critical], group-wait = 50ms }\n"
            + "app-team { type = recording, checks = [app], group-wait = 50ms }", "");
    Await.until("events", 5_000, () -> stateEvents().size() >= 2);
    app.set(ProbeResult.ok("fine"));
    Await.until("resolution", 5_000, () -> stateEvents().stream().anyMatch(Event::resolved));
    Thread.sleep(500);
    // pager took db's critical only; app-team took app's warning and its resolution.
    List<String> seen = stateEvents().stream().map(e -> e.check() + ":" + e.severity()).toList();
    assertThat(seen).containsExactlyInAnyOrder("db:critical", "app:warning", "app:ok");
    assertThat(recording.attempts().stream().filter("pager"::equals).count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aStillBadCheckIsRepeatedAtRepeatInterval() throws Exception {
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    start("app { type = scripted, interval = 30s }", "ops { type = recording, group-wait = 50ms, repeat-interval = 1s }",
        "");
    Await.until("two repeats", 8_000, () -> stateEvents().size() >= 3);
    assertThat(stateEvents().get(1).title()).startsWith("STILL CRITICAL app");
    assertThat(stateEvents().get(1).details().getInteger("repeat")).isEqualTo(1);
    assertThat(stateEvents().stream().map(Event::id).distinct().count()).isEqualTo(stateEvents().size());
  }

  @Test
  void maintenanceAndCriticalDependenciesHoldNotificationsBack() throws Exception {
    scripted.script("db", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    // app answers after db has been judged, as an app behind a dead database would.
    scripted.script("app", i -> {
      io.vertx.core.Promise<ProbeResult> p = io.vertx.core.Promise.promise();
      vertx.setTimer(150, id -> p.complete(ProbeResult.critical("502")));
      return p.future();
    });
    scripted.script("batch", i -> Future.succeededFuture(ProbeResult.critical("stuck")));
    String until = java.time.Instant.now().plusSeconds(600).toString();
    start("db { type = scripted }\n app { type = scripted, depends-on = [db] }\n batch { type = scripted }",
        "ops { type = recording, group-wait = 300ms }",
        "maintenance = [ { checks = [batch], until = \"" + until + "\" } ]");
    Await.until("db's event", 5_000, () -> !stateEvents().isEmpty());
    Thread.sleep(1000);
    assertThat(stateEvents()).extracting(Event::check).containsExactly("db");
  }
}
