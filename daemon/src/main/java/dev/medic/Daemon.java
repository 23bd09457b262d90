package dev.medic;

import dev.medic.api.ApiVerticle;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.notify.NotifierVerticle;
import dev.medic.notify.Outbox;
import dev.medic.recovery.Journal;
import dev.medic.recovery.Maintenance;
import dev.medic.recovery.RecoveryVerticle;
import dev.medic.schedule.LiveChecks;
import dev.medic.schedule.SchedulerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running medic: one Vert.x instance with the scheduler and the API deployed over a validated
 * configuration. Start-up is one Future chain; {@link #stop()} undeploys in reverse.
 */
public final class Daemon {

  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private final Vertx vertx;
  private final MedicConfig config;
  private final MedicMetrics metrics;
  private final LiveChecks live = new LiveChecks();
  private final Maintenance maintenance = new Maintenance();
  private final java.util.List<String> deployments = new java.util.ArrayList<>();
  private SchedulerVerticle scheduler;
  private RecoveryVerticle recovery;
  private NotifierVerticle notifier;
  private ApiVerticle api;
  private Journal journal;

  private Daemon(Vertx vertx, MedicConfig config, MedicMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
  }

  /** A Vert.x instance whose own meters (HTTP, pools, event bus) land in {@code metrics}. */
  public static Vertx newVertx(MedicMetrics metrics) {
    return Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
  }

  public static Future<Daemon> start(Vertx vertx, MedicConfig config, MedicMetrics metrics) {
    Daemon d = new Daemon(vertx, config, metrics);
    Clock clock = Clock.systemUTC();
    return Journal.open(vertx, config.journalDir())
        .recover(e -> Future.failedFuture(new IllegalStateException("cannot open the journal in "
            + config.journalDir() + " (" + e.getMessage() + "); set medic.journal.dir to a writable directory", e)))
        .compose(journal -> {
          d.journal = journal;
          d.scheduler = new SchedulerVerticle(config, d.live, metrics, clock);
          d.recovery = new RecoveryVerticle(config, d.live, d.scheduler, journal, d.maintenance, metrics, clock,
              new java.util.Random());
          d.notifier = new NotifierVerticle(config, d.live, d.maintenance, Outbox.open(vertx, config.journalDir()),
              metrics, clock);
          d.api = new ApiVerticle(config, d.live, metrics, d.scheduler::lastHeartbeatNanos, d.scheduler, d.recovery,
              d.maintenance);
          // The API first, so that a check of medic's own endpoint finds it listening; recovery
          // and the notifier before the scheduler, so that they hear the first results.
          return vertx.deployVerticle(d.api);
        })
        .compose(id -> {
          d.deployments.add(id);
          return vertx.deployVerticle(d.recovery);
        })
        .compose(id -> {
          d.deployments.add(id);
          return vertx.deployVerticle(d.notifier);
        })
        .compose(id -> {
          d.deployments.add(id);
          return vertx.deployVerticle(d.scheduler);
        })
        .map(id -> {
          d.deployments.add(id);
          log.atInfo().addKeyValue("instance", config.instance()).addKeyValue("checks", config.checks().size())
              .addKeyValue("actions", config.actions().size()).addKeyValue("journal", config.journalDir())
              .addKeyValue("api", "http://" + config.http().host() + ":" + d.api.port()).log("medic started");
          return d;
        })
        .recover(e -> d.stop().transform(ar -> Future.failedFuture(e)));
  }

  public int apiPort() {
    return api.port();
  }

  /** What {@code /ready} answers: every check has had its first result. */
  public boolean ready() {
    return live.ready();
  }

  /** What {@code /health} goes by: the scheduler's heartbeat is fresh. */
  public boolean schedulerTicking() {
    return scheduler != null && scheduler.ticking();
  }

  public LiveChecks live() {
    return live;
  }

  public MedicConfig config() {
    return config;
  }

  public RecoveryVerticle recovery() {
    return recovery;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * Stops probing, recovering and serving, in the reverse order of start, then flushes the
   * journal; bounded so that a stuck probe or action cannot hold up SIGTERM for long.
   */
  public Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      chain = chain.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    return chain
        .compose(v -> journal == null ? Future.<Void>succeededFuture() : journal.close())
        .timeout(Duration.ofSeconds(15).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ar -> log.atInfo().log("medic stopped"));
  }
}
