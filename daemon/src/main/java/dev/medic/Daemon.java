package dev.medic;

import dev.medic.api.ApiVerticle;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
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
  private SchedulerVerticle scheduler;
  private ApiVerticle api;
  private String schedulerId;
  private String apiId;

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
    d.scheduler = new SchedulerVerticle(config, d.live, metrics, Clock.systemUTC());
    d.api = new ApiVerticle(config.http(), config.instance(), d.live, metrics, d.scheduler::lastHeartbeatNanos);
    // The API first: a check that probes medic's own endpoint must find it listening.
    return vertx.deployVerticle(d.api)
        .compose(id -> {
          d.apiId = id;
          return vertx.deployVerticle(d.scheduler);
        })
        .map(id -> {
          d.schedulerId = id;
          log.atInfo().addKeyValue("instance", config.instance()).addKeyValue("checks", config.checks().size())
              .addKeyValue("api", "http://" + config.http().host() + ":" + d.api.port()).log("medic started");
          return d;
        })
        .recover(e -> d.stop().transform(ar -> Future.failedFuture(e)));
  }

  public int apiPort() {
    return api.port();
  }

  public LiveChecks live() {
    return live;
  }

  public MedicConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Stops probing and serving; bounded so that a stuck probe cannot hold up SIGTERM. */
  public Future<Void> stop() {
    Future<Void> apiDown = apiId == null ? Future.succeededFuture() : vertx.undeploy(apiId);
    return apiDown
        .compose(v -> schedulerId == null ? Future.succeededFuture() : vertx.undeploy(schedulerId))
        .timeout(Duration.ofSeconds(10).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ar -> log.atInfo().log("medic stopped"));
  }
}
