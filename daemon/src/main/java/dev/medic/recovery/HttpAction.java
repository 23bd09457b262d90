package dev.medic.recovery;

import dev.medic.probe.NetText;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Calls an HTTP endpoint once per attempt, e.g. a reload hook; the attempt succeeds when the
 * status is one of those expected.
 *
 * <p>Every way the call can go wrong (refused, timed out, TLS, an unexpected status) is a failed
 * outcome naming the method and url (credentials masked), never a failed future. The action keeps
 * its own deadline and on reaching it resets the request, which closes the connection. The client
 * is made on the first run, for this action alone, without keep-alive: a recovery hook is called
 * rarely, and a pooled connection the server has long dropped would only fail the next attempt.
 */
final class HttpAction implements Action {

  /** Response body kept as the outcome's output; the rest is read and dropped. */
  static final int BODY_LIMIT = 16 * 1024;

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private HttpClientAgent client;

  HttpAction(Config config, ActionContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  /**
   * One validated http action.
   *
   * @param target empty when the configured url was not valid (the configuration then has a problem)
   * @param headers sent as given; values may be secrets and are never shown
   * @param statuses accepted statuses; empty means any 2xx
   */
  record Config(HttpMethod method, Optional<Target> target, Map<String, String> headers, Optional<String> body,
      List<Integer> statuses, boolean trustAny) {

    boolean accepts(int status) {
      return statuses.isEmpty() ? status >= 200 && status <= 299 : statuses.contains(status);
    }

    String expected() {
      if (statuses.isEmpty()) {
        return "2xx";
      }
      String list = statuses.stream().map(String::valueOf).collect(Collectors.joining(", "));
      return statuses.size() == 1 ? list : "one of " + list;
    }
  }

  /**
   * Where the request goes.
   *
   * @param requestUri path and query as sent on the request line
   * @param shown the url as messages show it: no user or password, secret-looking query values masked
   */
  record Target(boolean ssl, String host, int port, String requestUri, String shown) {}

  private enum Phase { CONNECTING, WAITING, READING }

  /** The mutable state of one attempt, touched only on its context. */
  private static final class Exchange {
    Phase phase = Phase.CONNECTING;
    HttpClientRequest request;
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    if (config.target().isEmpty()) {
      return Future.succeededFuture(ActionOutcome.failed("url is not valid (run medic check for the cause)"));
    }
    // The deadline timer, the request and its callbacks all run on one context, so the state of
    // one exchange needs no locking.
    Context context = vertx.getOrCreateContext();
    Promise<ActionOutcome> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        exchange(config.target().get()).onComplete(result);
      } catch (RuntimeException e) {
        result.fail(e);
      }
    });
    return result.future();
  }

  private Future<ActionOutcome> exchange(Target target) {
    String prefix = config.method().name() + " " + target.shown() + " → ";
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ActionOutcome> result = Promise.promise();
    Exchange ex = new Exchange();
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (result.tryComplete(ActionOutcome.failed(prefix + timedOut(ex.phase))) && ex.request != null) {
        ex.request.reset(0, new TimeoutException("deadline of " + timeoutMs + " ms reached"));
      }
    });
    client().request(requestOptions(target, timeoutMs))
        .compose(request -> {
          if (result.future().isComplete()) {
            request.reset();
            return Future.failedFuture(new TimeoutException("connected after the deadline"));
          }
          ex.request = request;
          ex.phase = Phase.WAITING;
          return config.body().map(request::send).orElseGet(request::send);
        })
        .compose(response -> {
          ex.phase = Phase.READING;
          return readBody(response).map(body -> judge(prefix, response.statusCode(), body));
        })
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          result.tryComplete(ar.succeeded()
              ? ar.result()
              : ActionOutcome.failed(prefix + failure(ar.cause(), target, ex.phase)));
        });
    return result.future();
  }

  private ActionOutcome judge(String prefix, int status, Body body) {
    String output = body.truncated()
        ? body.text() + "\n[body truncated after " + BODY_LIMIT / 1024 + " KiB]"
        : body.text();
    if (config.accepts(status)) {
      return new ActionOutcome(true, prefix + status, output);
    }
    String line = body.text().lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
    return new ActionOutcome(false,
        prefix + "status " + status + " (expected " + config.expected() + ")" + (line.isEmpty() ? "" : ": " + NetText.quote(line)),
        output);
  }

  private RequestOptions requestOptions(Target target, long timeoutMs) {
    RequestOptions options = new RequestOptions()
        .setMethod(config.method())
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.ssl())
        .setURI(target.requestUri())
        .setFollowRedirects(false)
        // Backstops for the deadline timer; both end the request on their own.
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs);
    config.headers().forEach(options::putHeader);
    if (config.headers().keySet().stream().noneMatch("User-Agent"::equalsIgnoreCase)) {
      options.putHeader("User-Agent", "medic");
    }
    return options;
  }

  private record Body(String text, boolean truncated) {}

  /** Reads the whole body, so the exchange is complete, keeping its first {@value #BODY_LIMIT} bytes. */
  private static Future<Body> readBody(HttpClientResponse response) {
    Buffer kept = Buffer.buffer();
    boolean[] truncated = {false};
    response.handler(chunk -> {
      int room = BODY_LIMIT - kept.length();
      if (chunk.length() > room) {
        truncated[0] = true;
      }
      if (room > 0) {
        kept.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(v -> new Body(kept.toString(StandardCharsets.UTF_8), truncated[0]));
  }

  private String timedOut(Phase phase) {
    String within = " within " + NetText.duration(timeout);
    return switch (phase) {
      case CONNECTING -> "no connection" + within;
      case WAITING -> "no response" + within;
      case READING -> "response not complete" + within;
    };
  }

  private String failure(Throwable cause, Target target, Phase phase) {
    String hostPort = target.host() + ":" + target.port();
    if (cause instanceof TimeoutException || cause.getCause() instanceof TimeoutException) {
      return timedOut(phase);
    }
    if (cause instanceof HttpClosedException) {
      return "connection closed by " + hostPort + " before a complete response";
    }
    return NetText.failure(cause, hostPort, timeout);
  }

  private synchronized HttpClientAgent client() {
    if (client == null) {
      client = vertx.httpClientBuilder()
          .with(new HttpClientOptions()
              .setKeepAlive(false)
              .setTrustAll(config.trustAny())
              .setVerifyHost(!config.trustAny()))
          .build();
    }
    return client;
  }

  @Override
  public synchronized Future<Void> close() {
    HttpClientAgent c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  @Override
  public String describe() {
    return config.method().name() + " " + config.target().map(Target::shown).orElse("(invalid url)");
  }
}
