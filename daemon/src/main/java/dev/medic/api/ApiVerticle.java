package dev.medic.api;

import dev.medic.config.ApiConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.schedule.CheckRuntime;
import dev.medic.schedule.LiveChecks;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP API of DESIGN §7: routes only, the answers come from the live checks and metrics. */
public final class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);
  /** The scheduler's heartbeat ticks every second; three missed ticks mean it is stuck. */
  private static final long HEARTBEAT_STALE_NANOS = TimeUnit.SECONDS.toNanos(3);

  private final ApiConfig config;
  private final String instance;
  private final LiveChecks live;
  private final MedicMetrics metrics;
  private final LongSupplier heartbeatNanos;
  private HttpServer server;

  public ApiVerticle(ApiConfig config, String instance, LiveChecks live, MedicMetrics metrics,
      LongSupplier heartbeatNanos) {
    this.config = config;
    this.instance = instance;
    this.live = live;
    this.metrics = metrics;
    this.heartbeatNanos = heartbeatNanos;
  }

  /** The port actually bound (differs from the configured one when that is 0). */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(this::health);
    router.get("/ready").handler(this::ready);
    router.get("/status").handler(this::status);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics.registry()));
    router.route().last().handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method()
        + " " + ctx.request().path()));
    router.errorHandler(500, ctx -> {
      log.atError().setCause(ctx.failure()).addKeyValue("path", ctx.request().path()).log("API request failed");
      error(ctx, 500, "internal error");
    });
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(config.port(), config.host())
        .onSuccess(s -> {
          server = s;
          log.atInfo().addKeyValue("host", config.host()).addKeyValue("port", s.actualPort()).log("API listening");
        });
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void health(RoutingContext ctx) {
    // Answering at all shows this event loop is responsive; the heartbeat shows the scheduler's is.
    long age = System.nanoTime() - heartbeatNanos.getAsLong();
    boolean ticking = age < HEARTBEAT_STALE_NANOS;
    json(ctx, ticking ? 200 : 503, new JsonObject()
        .put("status", ticking ? "up" : "down")
        .put("scheduler", ticking ? "ticking" : "stalled for " + TimeUnit.NANOSECONDS.toMillis(age) + " ms"));
  }

  private void ready(RoutingContext ctx) {
    JsonArray waiting = new JsonArray();
    for (CheckRuntime c : live.all()) {
      if (!c.state().probed()) {
        waiting.add(c.name());
      }
    }
    boolean ready = waiting.isEmpty();
    json(ctx, ready ? 200 : 503, new JsonObject()
        .put("status", ready ? "ready" : "waiting")
        .put("checks", live.all().size())
        .put("waitingFor", waiting));
  }

  private void status(RoutingContext ctx) {
    String name = ctx.request().getParam("check");
    if (name != null) {
      Optional<CheckRuntime> c = live.find(name);
      if (c.isEmpty()) {
        error(ctx, 404, "no check named \"" + name + "\"");
        return;
      }
      json(ctx, 200, StatusJson.check(c.get(), live));
      return;
    }
    json(ctx, 200, StatusJson.overall(instance, live));
  }

  static void json(RoutingContext ctx, int code, JsonObject body) {
    ctx.response().setStatusCode(code).putHeader("content-type", "application/json; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .end(body.encodePrettily());
  }

  static void error(RoutingContext ctx, int code, String message) {
    json(ctx, code, new JsonObject().put("error", message).put("status", code));
  }
}
