package dev.medic.api;

import dev.medic.config.ApiConfig;
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
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of DESIGN §7: routes only; answers come from the live checks, the recovery engine
 * and the metrics. Control endpoints (POST, DELETE) need {@code Authorization: Bearer <token>};
 * without a configured token they answer 403, with a wrong or missing one 401.
 */
public final class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);
  /** The largest request body (the control endpoints take small JSON objects); larger answers 413. */
  static final int MAX_BODY_BYTES = 64 * 1024;
  /**
   * How many answers of each heavy kind ({@code /metrics}; {@code /status} as JSON or page) may be
   * in flight at once, from the start of their build on a worker until they are written: each is
   * as large as the whole state, and one that a client does not read holds its memory.
   */
  static final int MAX_HEAVY_IN_FLIGHT = 4;
  /** Maintenance windows open at once through the API; more answer 409. */
  static final int MAX_WINDOWS = 1000;
  private static final Pattern WINDOW_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

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
  private EventStream events;
  private ConnectionGuard guard;
  private final InFlight metricsInFlight = new InFlight("/metrics");
  private final InFlight statusInFlight = new InFlight("/status");

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

  /** Takes a reloaded configuration: a new token applies at once; host, port and the limits need a restart. */
  public Future<Void> reconfigure(MedicConfig next) {
    ApiConfig was = config.http();
    ApiConfig now = next.http();
    if (!was.idleTimeout().equals(now.idleTimeout()) || !was.headerTimeout().equals(now.headerTimeout())
        || was.maxConnections() != now.maxConnections() || was.maxEventClients() != now.maxEventClients()
        || was.eventsBacklog() != now.eventsBacklog()) {
      log.atWarn().log("medic.http limits (idle-timeout, header-timeout, max-connections, max-event-clients, "
          + "events-backlog) changed: they apply after a restart; the API keeps the ones it started with");
    }
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
    ApiConfig http = config.http();
    // Fixed at start (a reload does not change them): the event stream's and connections' limits.
    int maxEventClients = http.maxEventClients();
    int eventsBacklog = http.eventsBacklog();
    long keepaliveMs = EventStream.keepaliveMillis(http.idleTimeout().toMillis());
    events = new EventStream(vertx, metrics);
    events.start();

    Router router = Router.router(vertx);
    // First, for every request: a query string that cannot be decoded is the client's error.
    router.route().handler(ApiVerticle::decodableQuery);
    router.post().handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES).setHandleFileUploads(false));
    // After the body (if any) has arrived whole: the request deadline is off until the answer ends.
    router.route().handler(ctx -> guard.requestRead(ctx));
    router.get("/health").handler(this::health);
    router.get("/ready").handler(this::ready);
    router.get("/status").handler(this::status);
    router.get("/metrics").handler(this::metrics);
    router.get("/events").handler(ctx -> events.open(ctx, config.instance(), maxEventClients, eventsBacklog,
        keepaliveMs));
    router.get("/maintenance").handler(ctx -> json(ctx, 200, windows()));

    router.post().handler(this::authorize);
    router.delete().handler(this::authorize);
    router.post("/checks/:name/run").handler(this::runCheck);
    router.post("/checks/:name/reset").handler(this::resetCheck);
    router.post("/actions/:name/run").handler(this::runAction);
    router.post("/maintenance").handler(this::startMaintenance);
    router.delete("/maintenance/:id").handler(this::endMaintenance);
    router.post("/reload").handler(this::reload);

    router.route().last().handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method()
        + " " + shorten(ctx.request().path())));
    router.route().failureHandler(ctx -> failed(ctx, ctx.statusCode()));
    // What the router itself refuses (e.g. a path it cannot decode) arrives here, not above.
    for (int code : new int[] {400, 404, 405, 413, 414, 431, 500}) {
      router.errorHandler(code, ctx -> failed(ctx, ctx.statusCode() > 0 ? ctx.statusCode() : code));
    }
    HttpServerOptions options = new HttpServerOptions()
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, http.idleTimeout().toMillis()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        // HTTP/1.1 only: medic's clients are curl, Prometheus and probes; h2c would add streams
        // that the per-connection request deadline does not see.
        .setHttp2ClearTextEnabled(false);
    // Read once, off the event loop: the page (a resource inside the jar) and /proc/self/limits.
    record Read(StatusPage html, java.util.OptionalLong openFiles) {}
    return vertx.executeBlocking(() -> new Read(StatusPage.load(), ConnectionGuard.openFileLimit()))
        .compose(read -> {
          page = read.html();
          guard = new ConnectionGuard(vertx, metrics,
              ConnectionGuard.connectionLimit(http.maxConnections(), read.openFiles()),
              http.headerTimeout().toMillis(), http.idleTimeout().toMillis());
          metrics.apiGauges(guard::open, guard.limit(), events::open);
          return vertx.createHttpServer(options)
              .connectionHandler(guard::connected)
              .requestHandler(router)
              .listen(http.port(), http.host());
        })
        .onSuccess(s -> {
          server = s;
          log.atInfo().addKeyValue("host", http.host()).addKeyValue("port", s.actualPort())
              .addKeyValue("control", token == null ? "disabled (no token)" : "enabled")
              .addKeyValue("maxConnections", guard.limit()).addKeyValue("idleTimeout", http.idleTimeout())
              .addKeyValue("headerTimeout", http.headerTimeout()).log("API listening");
        });
  }

  @Override
  public Future<?> stop() {
    if (events != null) {
      events.stop();
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  /**
   * One place for every failure: the client's (a malformed URL or query, a body over the limit, a
   * bad request found by Vert.x) answers its 4xx as JSON and is logged at DEBUG at most; only
   * medic's own faults answer 500 and are logged at ERROR.
   */
  private void failed(RoutingContext ctx, int status) {
    Throwable cause = ctx.failure();
    int code = status;
    if (cause instanceof ApiError e) {
      code = e.status();
    } else if (cause instanceof HttpException e) {
      code = e.getStatusCode();
    }
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.request().connection().close();
      return;
    }
    String message = switch (code) {
      case 400 -> cause instanceof ApiError e ? e.getMessage() : "malformed request (bad percent-encoding in the "
          + "path or query string, or a bad header)";
      case 404 -> "no such endpoint: " + ctx.request().method() + " " + shorten(ctx.request().path());
      case 405 -> "method not allowed: " + ctx.request().method();
      case 413 -> "the body is larger than " + MAX_BODY_BYTES / 1024 + " KiB";
      case 414 -> "the URL is too long";
      case 431 -> "the request headers are too large";
      default -> null;
    };
    if (message == null && code >= 400 && code < 500) {
      message = cause == null || cause.getMessage() == null ? "bad request" : cause.getMessage();
    }
    if (message == null) {
      code = 500;
      message = "internal error";
      log.atError().setCause(cause).addKeyValue("method", ctx.request().method())
          .addKeyValue("path", shorten(ctx.request().path())).log("API request failed");
    } else {
      log.atDebug().addKeyValue("status", code).addKeyValue("path", shorten(ctx.request().path()))
          .addKeyValue("cause", cause == null ? "" : cause.toString()).log("API request refused");
    }
    error(ctx, code, message);
  }

  /** A query string that does not decode (e.g. {@code ?check=%ZZ}) answers 400 before any route reads it. */
  private static void decodableQuery(RoutingContext ctx) {
    try {
      ctx.request().params();
      ctx.queryParams();
    } catch (IllegalArgumentException | HttpException e) {
      error(ctx, 400, "malformed query string: " + (e.getMessage() == null ? "cannot decode it" : shorten(e.getMessage()))
          + " (percent-encode reserved characters as %XX)");
      return;
    }
    ctx.next();
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
    heavy(ctx, metricsInFlight, metrics::scrape,
        text -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(text));
  }

  /**
   * Builds a heavy answer on a worker and writes it, at most {@link #MAX_HEAVY_IN_FLIGHT} of a
   * kind at once; beyond that 503 with {@code retry-after}. The slot is held until the answer is
   * written (or the client has gone), so that clients which do not read cannot pile answers up.
   */
  private <T> void heavy(RoutingContext ctx, InFlight gate, Callable<T> build,
      java.util.function.Function<T, Future<Void>> answer) {
    if (!gate.tryEnter()) {
      metrics.apiRequestRejected("busy");
      ctx.response().putHeader("retry-after", "1");
      error(ctx, 503, "busy: " + MAX_HEAVY_IN_FLIGHT + " answers of " + gate.what + " are already in flight (limit "
          + MAX_HEAVY_IN_FLIGHT + "); retry in a moment");
      return;
    }
    vertx.executeBlocking(build, false).onComplete(ar -> {
      if (ar.failed()) {
        gate.leave();
        ctx.fail(ar.cause());
        return;
      }
      Future<Void> written;
      try {
        written = answer.apply(ar.result());
      } catch (RuntimeException e) {
        gate.leave();
        throw e;
      }
      written.onComplete(done -> gate.leave());
    });
  }

  /** A count of answers in flight; touched on the API's event loop only. */
  private static final class InFlight {
    final String what;
    private int n;

    InFlight(String what) {
      this.what = what;
    }

    boolean tryEnter() {
      if (n >= MAX_HEAVY_IN_FLIGHT) {
        return false;
      }
      n++;
      return true;
    }

    void leave() {
      n--;
    }
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
      // Built off the event loop, like the JSON: the page embeds the whole state.
      heavy(ctx, statusInFlight, () -> page.render(StatusJson.overall(config.instance(), live, statusRecovery())),
          html -> StatusPage.serve(ctx.response(), html));
      return;
    }
    List<String> names = ctx.queryParam("check");
    if (names.size() > 1) {
      error(ctx, 400, "give one check (?check=NAME), not " + names.size());
      return;
    }
    if (names.size() == 1) {
      String name = names.get(0);
      Optional<CheckRuntime> c = live.find(name);
      if (c.isEmpty()) {
        error(ctx, 404, "no check named \"" + shorten(name) + "\"");
        return;
      }
      json(ctx, 200, StatusJson.check(c.get(), live, statusRecovery()));
      return;
    }
    // Built and encoded off the event loop: at 10,000 checks that is a fifth of a second.
    heavy(ctx, statusInFlight, () -> StatusJson.overall(config.instance(), live, statusRecovery())
        .put("config", reloader.status()).encodePrettily(), text -> jsonText(ctx, 200, text));
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
      error(ctx, 404, "no check named \"" + shorten(name) + "\"");
      return;
    }
    runner.runNow(name).onComplete(ar -> {
      if (ar.failed()) {
        internal(ctx, "run " + name, ar.cause());
        return;
      }
      Optional<CheckRuntime> c = live.find(name);
      if (c.isEmpty()) {
        // Removed by a reload while it ran.
        error(ctx, 404, "no check named \"" + shorten(name) + "\" (removed by a reload)");
      } else {
        json(ctx, 200, StatusJson.check(c.get(), live, statusRecovery()));
      }
    });
  }

  private void resetCheck(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (live.find(name).isEmpty()) {
      error(ctx, 404, "no check named \"" + shorten(name) + "\"");
      return;
    }
    recovery.reset(name).onComplete(ar -> {
      if (ar.failed()) {
        internal(ctx, "reset " + name, ar.cause());
      } else {
        json(ctx, 200, ar.result());
      }
    });
  }

  private void runAction(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!config.actions().containsKey(name)) {
      error(ctx, 404, "no action named \"" + shorten(name) + "\"");
      return;
    }
    Optional<JsonObject> body = body(ctx);
    if (body == null) {
      return;
    }
    String check = null;
    if (body.isPresent()) {
      JsonObject b = body.get();
      for (String f : b.fieldNames()) {
        if (!f.equals("check")) {
          error(ctx, 400, "unknown field \"" + shorten(f) + "\" (expected an optional \"check\": \"NAME\")");
          return;
        }
      }
      Object raw = b.getValue("check");
      if (raw != null && !(raw instanceof String)) {
        error(ctx, 400, "check must be a check name (a string), not " + MaintenanceRequest.typeOf(raw));
        return;
      }
      check = (String) raw;
    }
    if (check != null && live.find(check).isEmpty()) {
      error(ctx, 404, "no check named \"" + shorten(check) + "\"");
      return;
    }
    recovery.runAction(name, check).onComplete(ar -> {
      if (ar.failed()) {
        internal(ctx, "run action " + name, ar.cause());
      } else {
        json(ctx, 200, ar.result());
      }
    });
  }

  private void startMaintenance(RoutingContext ctx) {
    Optional<JsonObject> parsed = body(ctx);
    if (parsed == null) {
      return;
    }
    Instant now = Instant.now();
    MaintenanceRequest req;
    try {
      // The whole body is checked before anything is opened or journaled.
      req = MaintenanceRequest.parse(parsed.orElse(null), n -> live.find(n).isPresent(), now);
    } catch (ApiError e) {
      error(ctx, e.status(), e.getMessage());
      return;
    }
    int open = maintenance.active(now).size();
    if (open >= MAX_WINDOWS) {
      error(ctx, 409, open + " maintenance windows are open (limit " + MAX_WINDOWS + "); end some with "
          + "DELETE /maintenance/{id}");
      return;
    }
    Maintenance.Window w = new Maintenance.Window(UUID.randomUUID().toString().substring(0, 8), req.checks(),
        req.until(), req.reason());
    recovery.startMaintenance(w).onComplete(ar -> {
      if (ar.failed()) {
        internal(ctx, "start maintenance", ar.cause());
      } else {
        log.atInfo().addKeyValue("id", w.id())
            .addKeyValue("checks", req.checks().isEmpty() ? "all" : String.join(",", req.checks()))
            .addKeyValue("until", req.until()).log("maintenance started");
        json(ctx, 201, w.toJson());
      }
    });
  }

  private void endMaintenance(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!WINDOW_ID.matcher(id).matches()) {
      // No window has such an id (they are 8 hex digits, or config-N): nothing to look up.
      error(ctx, 404, "no maintenance window \"" + shorten(id) + "\"");
      return;
    }
    recovery.endMaintenance(id).onComplete(ar -> {
      if (ar.failed()) {
        internal(ctx, "end maintenance " + id, ar.cause());
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

  /** medic's own failure while doing what a valid request asked: 500, logged with the cause. */
  private static void internal(RoutingContext ctx, String what, Throwable cause) {
    log.atError().setCause(cause).addKeyValue("request", what).log("API request failed");
    error(ctx, 500, what + " failed: " + cause.getMessage());
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

  /** Text a client sent, cut to a length fit to echo in an error or a log line. */
  static String shorten(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= 100 ? s : s.substring(0, 100) + "… (" + s.length() + " characters)";
  }

  static Future<Void> json(RoutingContext ctx, int code, JsonObject body) {
    return jsonText(ctx, code, body.encodePrettily());
  }

  private static Future<Void> jsonText(RoutingContext ctx, int code, String encoded) {
    return ctx.response().setStatusCode(code).putHeader("content-type", "application/json; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .end(encoded);
  }

  static void error(RoutingContext ctx, int code, String message) {
    json(ctx, code, new JsonObject().put("error", message).put("status", code));
  }
}
