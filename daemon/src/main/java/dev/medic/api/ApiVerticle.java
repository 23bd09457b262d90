package dev.medic.api;

import dev.medic.Bus;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.recovery.CheckRunner;
import dev.medic.recovery.Maintenance;
import dev.medic.recovery.RecoveryVerticle;
import dev.medic.schedule.CheckRuntime;
import dev.medic.schedule.LiveChecks;
import dev.medic.schedule.SchedulerVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of DESIGN §7: routes only; answers come from the live checks, the recovery engine
 * and the metrics. Control endpoints (POST, DELETE) need {@code Authorization: Bearer <token>};
 * without a configured token they answer 403, with a wrong or missing one 401.
 */
public final class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);
  private static final long SSE_KEEPALIVE_MS = 15_000;

  private volatile MedicConfig config;
  private final LiveChecks live;
  private final MedicMetrics metrics;
  private final LongSupplier heartbeatNanos;
  private final CheckRunner runner;
  private final RecoveryVerticle recovery;
  private final Maintenance maintenance;
  private final Reloader reloader;
  private volatile byte[] token;
  private HttpServer server;
  private StatusPage page;

  public ApiVerticle(MedicConfig config, LiveChecks live, MedicMetrics metrics, LongSupplier heartbeatNanos,
      CheckRunner runner, RecoveryVerticle recovery, Maintenance maintenance, Reloader reloader) {
    this.config = config;
    this.live = live;
    this.metrics = metrics;
    this.heartbeatNanos = heartbeatNanos;
    this.runner = runner;
    this.recovery = recovery;
    this.maintenance = maintenance;
    this.reloader = reloader;
    this.token = tokenOf(config);
  }

  private static byte[] tokenOf(MedicConfig config) {
    return config.http().token().map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
  }

  /** Takes a reloaded configuration: a new token applies at once; host and port need a restart. */
  public Future<Void> reconfigure(MedicConfig next) {
    config = next;
    token = tokenOf(next);
    return Future.succeededFuture();
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
    router.get("/metrics").handler(this::metrics);
    router.get("/events").handler(this::events);
    router.get("/maintenance").handler(ctx -> json(ctx, 200, windows()));

    router.post().handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.post().handler(this::authorize);
    router.delete().handler(this::authorize);
    router.post("/checks/:name/run").handler(this::runCheck);
    router.post("/checks/:name/reset").handler(this::resetCheck);
    router.post("/actions/:name/run").handler(this::runAction);
    router.post("/maintenance").handler(this::startMaintenance);
    router.delete("/maintenance/:id").handler(this::endMaintenance);
    router.post("/reload").handler(this::reload);

    router.route().last().handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method()
        + " " + ctx.request().path()));
    router.errorHandler(500, ctx -> {
      log.atError().setCause(ctx.failure()).addKeyValue("path", ctx.request().path()).log("API request failed");
      error(ctx, 500, "internal error");
    });
    // Read once, off the event loop: the page is a resource inside the jar.
    return vertx.executeBlocking(StatusPage::load)
        .compose(html -> {
          page = html;
          return vertx.createHttpServer()
              .requestHandler(router)
              .listen(config.http().port(), config.http().host());
        })
        .onSuccess(s -> {
          server = s;
          log.atInfo().addKeyValue("host", config.http().host()).addKeyValue("port", s.actualPort())
              .addKeyValue("control", token == null ? "disabled (no token)" : "enabled").log("API listening");
        });
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  // ---- read-only ------------------------------------------------------------------------------

  private void health(RoutingContext ctx) {
    // Answering at all shows this event loop is responsive; the heartbeat shows the scheduler's is.
    long age = System.nanoTime() - heartbeatNanos.getAsLong();
    boolean ticking = age < SchedulerVerticle.HEARTBEAT_STALE_NANOS;
    json(ctx, ticking ? 200 : 503, new JsonObject()
        .put("status", ticking ? "up" : "down")
        .put("scheduler", ticking ? "ticking" : "stalled for " + TimeUnit.NANOSECONDS.toMillis(age) + " ms"));
  }

  /**
   * The Prometheus text, written off the event loop: at 10,000 checks one scrape is ~200,000 lines
   * and takes a good part of a second, which must delay neither the API nor anything else.
   */
  private void metrics(RoutingContext ctx) {
    vertx.executeBlocking(metrics::scrape, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
    });
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
    // One URL, two representations: caches must keep them apart.
    ctx.response().putHeader("vary", "Accept");
    if (StatusPage.prefersHtml(ctx.request().getHeader("accept"))) {
      StatusPage.serve(ctx.response(), page.render(StatusJson.overall(config.instance(), live, statusRecovery())));
      return;
    }
    String name = ctx.request().getParam("check");
    if (name != null) {
      Optional<CheckRuntime> c = live.find(name);
      if (c.isEmpty()) {
        error(ctx, 404, "no check named \"" + name + "\"");
        return;
      }
      json(ctx, 200, StatusJson.check(c.get(), live, statusRecovery()));
      return;
    }
    // Built and encoded off the event loop: at 10,000 checks that is a fifth of a second.
    vertx.executeBlocking(() -> StatusJson.overall(config.instance(), live, statusRecovery())
        .put("config", reloader.status()).encodePrettily(), false).onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else {
            jsonText(ctx, 200, ar.result());
          }
        });
  }

  private StatusJson.Recovery statusRecovery() {
    return new StatusJson.Recovery() {
      @Override
      public JsonObject view(String check) {
        return recovery.view(check);
      }

      @Override
      public List<JsonObject> recent() {
        return recovery.recent();
      }

      @Override
      public Optional<Maintenance.Window> maintenance(String check) {
        return maintenance.covering(check, Instant.now());
      }

      @Override
      public List<Maintenance.Window> windows() {
        return List.copyOf(maintenance.active(Instant.now()));
      }

      @Override
      public JsonObject journal() {
        return recovery.journalView();
      }
    };
  }

  /** Server-sent events: state changes and recovery steps as they happen. */
  private void events(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    resp.setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .putHeader("x-accel-buffering", "no");
    resp.write(": medic " + config.instance() + "\n\n");
    List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
    consumers.add(vertx.eventBus().<JsonObject>consumer(Bus.STATE, m -> resp.write("event: state\ndata: "
        + m.body().encode() + "\n\n")));
    consumers.add(vertx.eventBus().<JsonObject>consumer(Bus.RECOVERY, m -> resp.write("event: recovery\ndata: "
        + m.body().encode() + "\n\n")));
    // A comment now and then keeps proxies from closing a quiet stream.
    long keepalive = vertx.setPeriodic(SSE_KEEPALIVE_MS, id -> resp.write(": keep-alive\n\n"));
    resp.closeHandler(v -> {
      vertx.cancelTimer(keepalive);
      consumers.forEach(MessageConsumer::unregister);
    });
  }

  // ---- control --------------------------------------------------------------------------------

  private void authorize(RoutingContext ctx) {
    if (token == null) {
      error(ctx, 403, "control endpoints are disabled: set medic.http.token (MEDIC_TOKEN) to enable them");
      return;
    }
    String header = ctx.request().getHeader("authorization");
    byte[] given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    // Constant-time comparison: response timing must not reveal how much of a guess was right.
    if (!MessageDigest.isEqual(given, token)) {
      ctx.response().putHeader("www-authenticate", "Bearer realm=\"medic\"");
      error(ctx, 401, header == null ? "missing Authorization: Bearer token" : "wrong token");
      return;
    }
    ctx.next();
  }

  /** 200 with what changed; 400 with every problem when the file is invalid and the old config stays. */
  private void reload(RoutingContext ctx) {
    reloader.reload("POST /reload").onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, "reload failed: " + ar.cause().getMessage());
      } else {
        json(ctx, "reloaded".equals(ar.result().getString("status")) ? 200 : 400, ar.result());
      }
    });
  }

  private void runCheck(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (live.find(name).isEmpty()) {
      error(ctx, 404, "no check named \"" + name + "\"");
      return;
    }
    runner.runNow(name).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, ar.cause().getMessage());
      } else {
        json(ctx, 200, StatusJson.check(live.find(name).orElseThrow(), live, statusRecovery()));
      }
    });
  }

  private void resetCheck(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (live.find(name).isEmpty()) {
      error(ctx, 404, "no check named \"" + name + "\"");
      return;
    }
    recovery.reset(name).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, ar.cause().getMessage());
      } else {
        json(ctx, 200, ar.result());
      }
    });
  }

  private void runAction(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!config.actions().containsKey(name)) {
      error(ctx, 404, "no action named \"" + name + "\"");
      return;
    }
    Optional<JsonObject> body = body(ctx);
    if (body == null) {
      return;
    }
    String check = body.map(b -> b.getString("check")).orElse(null);
    if (check != null && live.find(check).isEmpty()) {
      error(ctx, 404, "no check named \"" + check + "\"");
      return;
    }
    recovery.runAction(name, check).onComplete(ar -> json(ctx, 200, ar.result()));
  }

  private void startMaintenance(RoutingContext ctx) {
    Optional<JsonObject> parsed = body(ctx);
    if (parsed == null) {
      return;
    }
    if (parsed.isEmpty()) {
      error(ctx, 400, "a JSON body is required: {\"checks\": [..], \"duration\": \"30m\" or \"until\": \"<RFC 3339>\","
          + " \"reason\": \"..\"}");
      return;
    }
    JsonObject b = parsed.get();
    Set<String> checks = new HashSet<>();
    Object raw = b.getValue("checks");
    if (raw != null && !(raw instanceof JsonArray)) {
      error(ctx, 400, "checks must be a list of check names (empty or absent: all checks)");
      return;
    }
    if (raw != null) {
      for (Object c : (JsonArray) raw) {
        if (!(c instanceof String s) || live.find(s).isEmpty()) {
          error(ctx, 400, "no check named \"" + c + "\"");
          return;
        }
        checks.add(s);
      }
    }
    Instant until;
    try {
      if (b.getValue("until") != null) {
        until = Instant.parse(b.getString("until"));
      } else if (b.getValue("duration") != null) {
        until = Instant.now().plus(parseDuration(b.getString("duration")));
      } else {
        error(ctx, 400, "give \"until\" (RFC 3339 time) or \"duration\" (e.g. 30m)");
        return;
      }
    } catch (DateTimeParseException | IllegalArgumentException | ClassCastException e) {
      error(ctx, 400, "bad until/duration: " + e.getMessage() + " (expected e.g. \"2026-12-01T06:00:00Z\" or \"30m\")");
      return;
    }
    if (!until.isAfter(Instant.now())) {
      error(ctx, 400, "the window must end in the future (until " + until + ")");
      return;
    }
    String reason = b.getValue("reason") instanceof String r ? r : "";
    Maintenance.Window w = new Maintenance.Window(UUID.randomUUID().toString().substring(0, 8), Set.copyOf(checks),
        until, reason);
    recovery.startMaintenance(w).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, ar.cause().getMessage());
      } else {
        log.atInfo().addKeyValue("id", w.id()).addKeyValue("checks", checks.isEmpty() ? "all" : String.join(",", checks))
            .addKeyValue("until", until).log("maintenance started");
        json(ctx, 201, w.toJson());
      }
    });
  }

  private void endMaintenance(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    recovery.endMaintenance(id).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, ar.cause().getMessage());
      } else if (ar.result().isEmpty()) {
        error(ctx, 404, "no maintenance window \"" + id + "\"");
      } else {
        log.atInfo().addKeyValue("id", id).log("maintenance ended");
        ctx.response().setStatusCode(204).end();
      }
    });
  }

  private JsonObject windows() {
    JsonArray list = new JsonArray();
    for (Maintenance.Window w : maintenance.active(Instant.now())) {
      list.add(w.toJson());
    }
    return new JsonObject().put("windows", list);
  }

  /** The JSON body: empty when there is none, null after answering 400 for a malformed one. */
  private static Optional<JsonObject> body(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new JsonObject(text));
    } catch (DecodeException | ClassCastException e) {
      error(ctx, 400, "the body is not a JSON object");
      return null;
    }
  }

  /** {@code 30s}, {@code 15m}, {@code 2h}, {@code 1d}. */
  static Duration parseDuration(String s) {
    if (s == null || !s.matches("\\d+(ms|s|m|h|d)")) {
      throw new IllegalArgumentException("\"" + s + "\" is not a duration");
    }
    long n = Long.parseLong(s.replaceAll("\\D", ""));
    return switch (s.replaceAll("\\d", "")) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  static void json(RoutingContext ctx, int code, JsonObject body) {
    jsonText(ctx, code, body.encodePrettily());
  }

  private static void jsonText(RoutingContext ctx, int code, String encoded) {
    ctx.response().setStatusCode(code).putHeader("content-type", "application/json; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .end(encoded);
  }

  static void error(RoutingContext ctx, int code, String message) {
    json(ctx, code, new JsonObject().put("error", message).put("status", code));
  }
}
