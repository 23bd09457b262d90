package dev.medic.recovery;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Restarts, starts or kills a container through the Docker Engine API on its Unix socket: one
 * {@code POST /containers/{name}/{operation}} per run, on a connection opened for that run and
 * closed after it.
 *
 * <p>Every answer of the engine is an outcome: 204 (and 304 "already started") succeed; 404 is
 * {@code no container "web"}; any other status fails with the {@code message} the engine gave. A
 * socket that does not exist, refuses or is not readable by medic's user is a failed outcome too,
 * named as such. The action keeps its own deadline ({@link ActionContext#timeout()}): it resets the
 * request then, and says that the engine may still finish the operation, since Docker has no way
 * to cancel a restart once asked.
 */
final class DockerAction implements Action {

  /** What the action asks of the engine; the verb is both the API path segment and the CLI verb. */
  enum Operation {
    RESTART("restarted"),
    START("started"),
    KILL("killed");

    private final String done;

    Operation(String done) {
      this.done = done;
    }

    String verb() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One docker action, validated.
   *
   * @param container a name or id, already checked to be safe in a URL path
   * @param stopTimeout how long the engine waits for the container to stop before it kills it
   *     (restart only); sent as whole seconds, rounded up
   * @param apiVersion e.g. {@code v1.43}, prefixed to the path; empty for the engine's own version
   */
  record Config(String socket, String container, Operation operation, Duration stopTimeout,
      Optional<String> apiVersion) {

    /** Path and query as sent, e.g. {@code /v1.43/containers/web/restart?t=10}. */
    String requestUri() {
      String prefix = apiVersion.map(v -> "/" + v).orElse("");
      String uri = prefix + "/containers/" + container + "/" + operation.verb();
      return operation == Operation.RESTART ? uri + "?t=" + stopSeconds() : uri;
    }

    long stopSeconds() {
      long ms = stopTimeout.toMillis();
      return ms / 1000 + (ms % 1000 == 0 ? 0 : 1);
    }
  }

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;

  DockerAction(Config config, ActionContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  @Override
  public String describe() {
    String stop = config.operation() == Operation.RESTART
        ? " (stop-timeout " + RemoteText.duration(config.stopTimeout()) + ")" : "";
    return "docker " + config.operation().verb() + " " + config.container() + stop + " via " + config.socket();
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    // Said before connecting: a missing socket is the usual fault (no Docker here, or the socket
    // not mounted into medic's container), and "connect failed: ENOENT" would not say which.
    return vertx.fileSystem().exists(config.socket())
        .recover(e -> Future.succeededFuture(true))
        .compose(exists -> exists
            ? exchange()
            : Future.succeededFuture(ActionOutcome.failed("no Docker engine at " + config.socket())));
  }

  private Future<ActionOutcome> exchange() {
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ActionOutcome> outcome = Promise.promise();
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
        .setKeepAlive(false)
        .setName("medic-docker[" + config.socket() + "]"));
    HttpClientRequest[] inFlight = new HttpClientRequest[1];
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (outcome.tryComplete(ActionOutcome.failed("no answer from the Docker engine at " + config.socket()
          + " within " + RemoteText.duration(timeout) + " (the " + config.operation().verb()
          + " of container \"" + config.container() + "\" may still complete)"))) {
        HttpClientRequest r = inFlight[0];
        if (r != null) {
          r.reset(0, new TimeoutException("deadline reached"));
        }
      }
    });
    RequestOptions options = new RequestOptions()
        .setServer(SocketAddress.domainSocketAddress(config.socket()))
        // The engine wants a Host header; any name does over a Unix socket.
        .setHost("docker")
        .setPort(80)
        .setMethod(HttpMethod.POST)
        .setURI(config.requestUri())
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs)
        .putHeader("User-Agent", "medic");
    client.request(options)
        .compose(request -> {
          inFlight[0] = request;
          return request.send();
        })
        .compose(HttpReply::read)
        .eventually(client::close)
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          outcome.tryComplete(ar.succeeded() ? judge(ar.result()) : ActionOutcome.failed(failure(ar.cause())));
        });
    return outcome.future();
  }

  private ActionOutcome judge(HttpReply reply) {
    String container = "container \"" + config.container() + "\"";
    return switch (reply.status()) {
      case 204 -> ActionOutcome.succeeded(config.operation().done + " " + container);
      case 304 -> ActionOutcome.succeeded(container + " was already "
          + (config.operation() == Operation.START ? "running" : "stopped"));
      case 404 -> new ActionOutcome(false, "no " + container, RemoteText.output(reply.body()));
      default -> new ActionOutcome(false, config.operation().verb() + " of " + container + " failed: "
          + reply.statusAndMessage(), RemoteText.output(reply.body()));
    };
  }

  private String failure(Throwable cause) {
    String text = RemoteText.cause(cause);
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.contains("no such file")) {
      return "no Docker engine at " + config.socket();
    }
    if (lower.contains("permission denied") || lower.contains("access denied")) {
      return "permission denied on " + config.socket()
          + " (medic's user needs access to the Docker socket, e.g. membership of the docker group)";
    }
    if (lower.contains("connection refused")) {
      return "no Docker engine listening at " + config.socket() + " (connection refused)";
    }
    return "Docker engine at " + config.socket() + ": " + text;
  }
}
