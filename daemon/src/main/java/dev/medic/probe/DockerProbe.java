package dev.medic.probe;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Asks the Docker engine about one container over its Unix socket, as {@code docker inspect}
 * does, and judges {@code State}: not running, paused, restarting or unhealthy is critical; a
 * health check still {@code starting} is a warning; running and healthy, or running without a
 * health check, is ok.
 *
 * <p>HTTP over a Unix domain socket needs no native transport: Vert.x connects to a {@link
 * SocketAddress#domainSocketAddress} with NIO on JDK 16+. The client is made on the first run and
 * does not keep connections alive: a connection to a local socket costs microseconds, and a
 * restarted engine then never meets a stale pooled connection. The probe keeps its own deadline.
 */
final class DockerProbe implements Probe {

  /** How much of a failing health check's output goes into the message. */
  private static final int HEALTH_OUTPUT_LIMIT = 200;
  /** Docker's StartedAt of a container that never started. */
  private static final Instant NEVER = Instant.parse("0001-01-01T00:00:00Z");

  /**
   * One docker check, validated.
   *
   * @param valid false when a key was wrong; such a probe reports {@code unknown}
   * @param container the name (without Docker's leading "/") or id
   * @param apiVersion e.g. {@code 1.43}, for a versioned path {@code /v1.43/containers/...}
   */
  record Config(boolean valid, String socket, String container, Optional<String> apiVersion) {

    String path() {
      return apiVersion.map(v -> "/v" + v).orElse("") + "/containers/" + container + "/json";
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final Duration timeout;
  private HttpClient client;

  DockerProbe(ProbeContext context, Config config) {
    this.vertx = context.vertx();
    this.config = config;
    this.timeout = context.timeout();
  }

  @Override
  public Future<ProbeResult> run() {
    if (!config.valid()) {
      return Future.succeededFuture(ProbeResult.unknown("container, socket or api-version is not valid "
          + "(run medic check for the cause)"));
    }
    long start = System.nanoTime();
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ProbeResult> result = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> result.tryComplete(ProbeResult.critical(
        "no answer from the Docker engine at " + config.socket() + " within " + NetText.duration(timeout))));

    RequestOptions request = new RequestOptions()
        .setServer(SocketAddress.domainSocketAddress(config.socket()))
        .setHost("localhost")
        .setMethod(HttpMethod.GET)
        .setURI(config.path())
        .putHeader("Accept", "application/json")
        // Backstops for the deadline timer; both end the request on their own.
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs);
    client().request(request)
        .compose(HttpClientRequest::send)
        .compose(response -> response.body().map(body -> judge(response.statusCode(), body)))
        .recover(this::unreachable)
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          result.tryComplete(ar.succeeded()
              ? ar.result()
              : ProbeResult.critical("Docker engine at " + config.socket() + ": " + describe(ar.cause())));
        });
    return result.future().map(r -> r.latency() == null ? r.withLatency(NetText.since(start)) : r);
  }

  @Override
  public synchronized Future<Void> close() {
    HttpClient c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  private synchronized HttpClient client() {
    if (client == null) {
      client = vertx.createHttpClient(new HttpClientOptions()
          .setKeepAlive(false)
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()))));
    }
    return client;
  }

  // ---- failures before an answer ---------------------------------------------------------------

  /**
   * Why the engine could not be asked. A missing socket is the common case (Docker not installed,
   * or the socket not mounted into medic's container) and is named as such; the file system is
   * asked only after a failure, so a healthy run costs nothing for it.
   */
  private Future<ProbeResult> unreachable(Throwable cause) {
    return vertx.fileSystem().exists(config.socket())
        .recover(e -> Future.succeededFuture(true))
        .map(exists -> {
          if (!exists) {
            return ProbeResult.critical("no Docker engine at " + config.socket() + " (the socket does not exist)");
          }
          String why = describe(cause);
          String lower = why.toLowerCase(Locale.ROOT);
          if (lower.contains("connection refused")) {
            return ProbeResult.critical("no Docker engine at " + config.socket()
                + " (the socket refuses connections: is dockerd running?)");
          }
          if (lower.contains("permission denied")) {
            return ProbeResult.critical("cannot use the Docker engine at " + config.socket()
                + ": permission denied (medic's user needs access to the socket, e.g. the docker group)");
          }
          return ProbeResult.critical("cannot reach the Docker engine at " + config.socket() + ": " + why);
        });
  }

  private static String describe(Throwable cause) {
    String m = cause.getMessage();
    return m == null || m.isBlank() ? cause.getClass().getSimpleName() : m;
  }

  // ---- judging the answer ---------------------------------------------------------------------

  private ProbeResult judge(int status, Buffer body) {
    JsonObject json;
    try {
      json = body.length() == 0 ? new JsonObject() : body.toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      return ProbeResult.unknown("the Docker engine at " + config.socket() + " answered " + status
          + " with a body that is not a JSON object: " + NetText.quote(body.toString()));
    }
    String engineMessage = json.getString("message", "");
    String named = "container " + NetText.quote(config.container());
    if (status == 404) {
      // An unknown API version or path is also a 404, with another message than a missing container.
      if (engineMessage.toLowerCase(Locale.ROOT).contains("page not found")) {
        return ProbeResult.unknown("the Docker engine at " + config.socket() + " does not know "
            + config.path() + " (is api-version right?)");
      }
      return ProbeResult.critical("no " + named);
    }
    if (status >= 400 && status < 500) {
      // 400 "client version 1.99 is too new": medic's request is wrong, not the container.
      return ProbeResult.unknown("the Docker engine at " + config.socket() + " refused " + config.path()
          + " with " + status + ": " + NetText.quote(engineMessage));
    }
    if (status != 200) {
      return ProbeResult.critical("the Docker engine at " + config.socket() + " answered " + status
          + (engineMessage.isEmpty() ? "" : ": " + NetText.quote(engineMessage)));
    }
    try {
      JsonObject state = json.getJsonObject("State");
      if (state == null) {
        return ProbeResult.unknown("the Docker engine at " + config.socket() + " answered without a State for " + named);
      }
      return judgeState(named, state, json.getValue("RestartCount"));
    } catch (ClassCastException e) {
      return ProbeResult.unknown("the Docker engine at " + config.socket() + " answered with a State medic cannot read "
          + "(a field of an unexpected type: " + e.getMessage() + ")");
    }
  }

  private static ProbeResult judgeState(String named, JsonObject state, Object restartCount) {
    Map<String, Measurement> m = new LinkedHashMap<>();
    long restarts = restartCount instanceof Number n ? n.longValue() : 0;
    m.put("restarts", Measurement.count(restarts));
    boolean running = Boolean.TRUE.equals(state.getValue("Running"));
    String status = state.getString("Status", running ? "running" : "not running");
    Object exitCode = state.getValue("ExitCode");

    if (!running) {
      StringBuilder message = new StringBuilder(named).append(" is not running: ").append(status);
      if (exitCode instanceof Number code) {
        message.append(", exit code ").append(code.intValue());
      }
      if (Boolean.TRUE.equals(state.getValue("OOMKilled"))) {
        message.append(", killed for lack of memory (OOM)");
      }
      String error = state.getString("Error", "");
      if (!error.isBlank()) {
        message.append(": ").append(NetText.quote(error));
      }
      return ProbeResult.of(Status.CRITICAL, message.toString(), m);
    }
    // Docker keeps Running true while a container is paused or waiting to be restarted.
    if (Boolean.TRUE.equals(state.getValue("Restarting"))) {
      return ProbeResult.of(Status.CRITICAL, named + " is restarting"
          + (exitCode instanceof Number code ? " (last exit code " + code.intValue() + ")" : "")
          + ", " + restarts + (restarts == 1 ? " restart" : " restarts"), m);
    }
    if (Boolean.TRUE.equals(state.getValue("Paused"))) {
      return ProbeResult.of(Status.CRITICAL, named + " is paused", m);
    }

    Optional<Double> uptime = startedAt(state).map(at -> Math.max(0, Duration.between(at, Instant.now()).toMillis() / 1000.0));
    uptime.ifPresent(u -> m.put("uptime", Measurement.seconds(u)));
    String since = uptime.map(u -> " for " + ProcessProbe.age(u)).orElse("");
    String restartText = restarts == 0 ? "" : ", " + restarts + (restarts == 1 ? " restart" : " restarts");

    JsonObject health = state.getJsonObject("Health");
    String healthStatus = health == null ? "" : health.getString("Status", "");
    switch (healthStatus) {
      case "unhealthy" -> {
        Object streak = health.getValue("FailingStreak");
        String failing = streak instanceof Number n && n.longValue() > 0
            ? " (" + n.longValue() + (n.longValue() == 1 ? " failed check" : " failed checks in a row") + ")"
            : "";
        String output = lastHealthOutput(health);
        return ProbeResult.of(Status.CRITICAL, named + " is unhealthy" + failing
            + (output.isEmpty() ? "" : ": " + output), m);
      }
      case "starting" -> {
        return ProbeResult.of(Status.WARNING, named + " is starting (its health check has not passed yet)"
            + restartText, m);
      }
      case "healthy" -> {
        return ProbeResult.of(Status.OK, named + " running" + since + ", healthy" + restartText, m);
      }
      default -> {
        return ProbeResult.of(Status.OK, named + " running" + since + ", no health check" + restartText, m);
      }
    }
  }

  private static Optional<Instant> startedAt(JsonObject state) {
    String at = state.getString("StartedAt", "");
    try {
      Instant started = OffsetDateTime.parse(at).toInstant();
      return started.equals(NEVER) ? Optional.empty() : Optional.of(started);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** The last non-blank line the latest health check printed, control characters removed. */
  private static String lastHealthOutput(JsonObject health) {
    JsonArray log = health.getJsonArray("Log");
    if (log == null || log.isEmpty() || !(log.getValue(log.size() - 1) instanceof JsonObject last)) {
      return "";
    }
    String output = last.getString("Output", "");
    String line = output.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElse("");
    line = line.replaceAll("\\p{Cntrl}", " ");
    return line.length() <= HEALTH_OUTPUT_LIMIT ? line : line.substring(0, HEALTH_OUTPUT_LIMIT - 1) + "…";
  }

  @Override
  public String toString() {
    return "docker probe: " + config.container() + " at " + config.socket();
  }
}
