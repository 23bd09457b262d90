package dev.medic;

import dev.medic.api.ApiVerticle;
import dev.medic.api.Reloader;
import dev.medic.config.ConfigException;
import dev.medic.config.ConfigProblem;
import dev.medic.config.ConfigSource;
import dev.medic.config.MedicConfig;
import dev.medic.log.Logging;
import dev.medic.metrics.MedicMetrics;
import dev.medic.notify.NotifierVerticle;
import dev.medic.notify.Outbox;
import dev.medic.recovery.Journal;
import dev.medic.recovery.Maintenance;
import dev.medic.recovery.RecoveryVerticle;
import dev.medic.schedule.LiveChecks;
import dev.medic.schedule.SchedulerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
public final class Daemon implements Reloader {

  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private final Vertx vertx;
  private volatile MedicConfig config;
  private final ConfigSource source;
  private final MedicMetrics metrics;
  private final Clock clock = Clock.systemUTC();
  /** Reloads run one after another: a second SIGHUP waits for the first. */
  private Future<JsonObject> reloading = Future.succeededFuture();
  private volatile JsonObject lastReload;
  private volatile java.time.Instant loadedAt;
  private final LiveChecks live = new LiveChecks();
  private final Maintenance maintenance = new Maintenance();
  private final java.util.List<String> deployments = new java.util.ArrayList<>();
  private SchedulerVerticle scheduler;
  private RecoveryVerticle recovery;
  private NotifierVerticle notifier;
  /** The notifier is deployed and not stopping: daemon notices can go to it. */
  private volatile boolean notifying;
  private ApiVerticle api;
  private Journal journal;
  private java.util.Optional<dev.medic.lease.LeaseBackend> leases = java.util.Optional.empty();

  private Daemon(Vertx vertx, MedicConfig config, ConfigSource source, MedicMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.source = source;
    this.metrics = metrics;
  }

  /** A Vert.x instance whose own meters (HTTP, pools, event bus) land in {@code metrics}. */
  public static Vertx newVertx(MedicMetrics metrics) {
    return Vertx.builder()
        // Without HTTP client meters: per request they cost ~7 % of an http probe's CPU and say what
        // medic_probe_duration_seconds and medic_probes_total already say, per check.
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.HTTP_CLIENT)))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
  }

  /** A daemon that cannot reload (tests, embedded use): a reload reports that there is nothing to re-read. */
  public static Future<Daemon> start(Vertx vertx, MedicConfig config, MedicMetrics metrics) {
    return start(vertx, config, metrics, () -> {
      throw new IllegalStateException("this medic was started without a configuration source to re-read");
    });
  }

  /** @param source re-read on SIGHUP and {@code POST /reload} */
  public static Future<Daemon> start(Vertx vertx, MedicConfig config, MedicMetrics metrics, ConfigSource source) {
    Daemon d = new Daemon(vertx, config, source, metrics);
    Clock clock = d.clock;
    d.loadedAt = clock.instant();
    metrics.configLoaded(true, d.loadedAt);
    return Journal.open(vertx, config.journalDir())
        .recover(e -> Future.failedFuture(new IllegalStateException("cannot open the journal in "
            + config.journalDir() + " (" + e.getMessage() + "); set medic.journal.dir to a writable directory", e)))
        .compose(journal -> {
          d.journal = journal;
          // Connects lazily: a lease backend that is down does not keep medic from starting.
          d.leases = dev.medic.lease.LeaseBackendTypes.discover().open(vertx, config.cluster(), config.instance());
          d.scheduler = new SchedulerVerticle(config, d.live, metrics, clock);
          d.recovery = new RecoveryVerticle(config, d.live, d.scheduler, journal, d.maintenance, metrics, clock,
              new java.util.Random(), d.leases, d::daemonNotice);
          d.notifier = new NotifierVerticle(config, d.live, d.maintenance, Outbox.open(vertx, config.journalDir()),
              metrics, clock, d.leases);
          d.api = new ApiVerticle(config, d.live, metrics, d.scheduler::lastHeartbeatNanos, d.scheduler, d.recovery,
              d.maintenance, d);
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
          d.notifying = true;
          return vertx.deployVerticle(d.scheduler);
        })
        .map(id -> {
          d.deployments.add(id);
          log.atInfo().addKeyValue("checks", config.checks().size())
              .addKeyValue("actions", config.actions().size()).addKeyValue("journal", config.journalDir())
              .addKeyValue("api", "http://" + config.http().host() + ":" + d.api.port()).log("medic started");
          return d;
        })
        .recover(e -> d.stop().transform(ar -> Future.failedFuture(e)));
  }

  /** Tells the channels about medic itself, once the notifier runs (before, the log has said it). */
  private void daemonNotice(String step, String severity, String message) {
    if (notifying) {
      notifier.daemonNotice(step, severity, message);
    }
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

  @Override
  public Future<JsonObject> reload(String trigger) {
    Promise<JsonObject> done = Promise.promise();
    synchronized (this) {
      reloading = reloading.transform(ar -> reloadNow(trigger)).onComplete(done);
    }
    return done.future();
  }

  @Override
  public JsonObject status() {
    MedicConfig c = config;
    return new JsonObject().put("source", c.source()).put("loadedAt", loadedAt.toString()).put("lastReload", lastReload);
  }

  /**
   * Reads the configuration again and, when it is valid, hands it to every verticle (scheduler
   * first, so the others see the new set of checks); when it is not, keeps the running one and
   * says why everywhere an operator looks: the log (each problem as {@code medic check} prints
   * it), {@code /status}, the metric and a notification.
   */
  private Future<JsonObject> reloadNow(String trigger) {
    log.atInfo().addKeyValue("trigger", trigger).addKeyValue("source", config.source()).log("reloading configuration");
    return vertx.executeBlocking(source::load, false).transform(loaded -> {
      java.time.Instant at = clock.instant();
      if (loaded.failed()) {
        return Future.succeededFuture(failed(trigger, at, loaded.cause()));
      }
      MedicConfig next = loaded.result();
      MedicConfig previous = config;
      restartOnly(previous, next);
      Logging.configure(next.logFormat(), next.logLevel(), next.instance());
      return scheduler.reconfigure(next).compose(checks -> recovery.reconfigure(next)
          .compose(v -> notifier.reconfigure(next))
          .compose(v -> api.reconfigure(next))
          .map(v -> {
            config = next;
            loadedAt = at;
            metrics.configLoaded(true, at);
            JsonObject result = new JsonObject().put("status", "reloaded").put("at", at.toString())
                .put("trigger", trigger).put("source", next.source())
                .put("checks", new JsonObject().put("added", new JsonArray(checks.added()))
                    .put("changed", new JsonArray(checks.changed())).put("removed", new JsonArray(checks.removed())));
            lastReload = result;
            log.atInfo().addKeyValue("checks", next.checks().size()).addKeyValue("added", checks.added().size())
                .addKeyValue("changed", checks.changed().size()).addKeyValue("removed", checks.removed().size())
                .log("configuration reloaded");
            notifier.daemonNotice("reloaded", "info", "medic " + next.instance() + " reloaded its configuration ("
                + checks.added().size() + " added, " + checks.changed().size() + " changed, "
                + checks.removed().size() + " removed)");
            return result;
          }));
    });
  }

  private JsonObject failed(String trigger, java.time.Instant at, Throwable cause) {
    JsonArray problems = new JsonArray();
    if (cause instanceof ConfigException ce) {
      for (ConfigProblem p : ce.problems()) {
        problems.add(p.toString());
        log.atError().log(p.toString());
      }
    } else {
      problems.add(String.valueOf(cause.getMessage()));
      log.atError().log(String.valueOf(cause.getMessage()));
    }
    String message = "config reload failed: " + problems.size() + " problem(s) in " + config.source()
        + "; still running the configuration loaded at " + loadedAt;
    log.atError().addKeyValue("trigger", trigger).addKeyValue("problems", problems.size()).log(message);
    metrics.configLoaded(false, at);
    notifier.daemonNotice("reload-failed", "warning", "medic " + config.instance() + ": " + message + " (first: "
        + problems.getString(0) + ")");
    JsonObject result = new JsonObject().put("status", "failed").put("at", at.toString()).put("trigger", trigger)
        .put("source", config.source()).put("error", message).put("problems", problems);
    lastReload = result;
    return result;
  }

  /** Settings that a reload cannot move under a running daemon: said, not silently ignored. */
  private static void restartOnly(MedicConfig previous, MedicConfig next) {
    if (!previous.http().host().equals(next.http().host()) || previous.http().port() != next.http().port()) {
      log.atWarn().log("medic.http.host/port changed: the API keeps listening where it is until medic restarts");
    }
    if (!previous.cluster().equals(next.cluster())) {
      log.atWarn().log("medic.cluster changed: the lease backend stays " + previous.cluster().leaseShown()
          + " until medic restarts");
    }
    if (!previous.journalDir().equals(next.journalDir())) {
      log.atWarn().log("medic.journal.dir changed: the journal stays in " + previous.journalDir()
          + " until medic restarts");
    }
  }

  /**
   * Stops probing, recovering and serving, in the reverse order of start, then flushes the
   * journal; bounded so that a stuck probe or action cannot hold up SIGTERM for long.
   */
  public Future<Void> stop() {
    notifying = false;
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      chain = chain.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    return chain
        .compose(v -> journal == null ? Future.<Void>succeededFuture() : journal.close())
        .compose(v -> leases.map(l -> l.close().recover(e -> Future.<Void>succeededFuture()))
            .orElse(Future.succeededFuture()))
        .timeout(Duration.ofSeconds(15).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ar -> log.atInfo().log("medic stopped"));
  }
}
