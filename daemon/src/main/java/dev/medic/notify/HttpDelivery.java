package dev.medic.notify;

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
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * One POST with a deadline: the delivery step of the HTTP channels (webhook, Slack, Alertmanager).
 *
 * <p>A 2xx answer is delivered; any other status, a connection failure or the deadline is a failed
 * future with a {@link DeliveryFailure} naming what happened. At the deadline the request is
 * reset, which closes its connection. Connections are not kept alive: notifications are rare, and a
 * pooled connection the receiver closed while idle would fail the next delivery for nothing.
 *
 * <p>The Vert.x client is shared by every channel of the same Vert.x instance with the same trust
 * setting (counted by reference); it is obtained on the first post and released by {@link #close()}.
 */
final class HttpDelivery {

  /** The most of a response body kept for a failure message; the rest is read and dropped. */
  private static final int KEPT = 1024;

  private final Vertx vertx;
  private final Duration timeout;
  private final boolean trustAny;
  private HttpClientAgent client;

  HttpDelivery(Vertx vertx, Duration timeout, boolean trustAny) {
    this.vertx = vertx;
    this.timeout = timeout;
    this.trustAny = trustAny;
  }

  /**
   * Posts {@code body} to {@code to} with {@code Content-Type: application/json} and the given
   * headers (which win over the defaults).
   */
  Future<Void> post(Endpoint to, Map<String, String> headers, Buffer body) {
    // The deadline timer, the request and its callbacks run on one context: no locking needed.
    Context context = vertx.getOrCreateContext();
    if (Vertx.currentContext() == context) {
      return guarded(to, headers, body);
    }
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> guarded(to, headers, body).onComplete(done));
    return done.future();
  }

  synchronized Future<Void> close() {
    HttpClientAgent c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  private Future<Void> guarded(Endpoint to, Map<String, String> headers, Buffer body) {
    try {
      return exchange(to, headers, body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Void> exchange(Endpoint to, Map<String, String> headers, Buffer body) {
    String prefix = "POST " + to.shown() + " → ";
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<Void> result = Promise.promise();
    HttpClientRequest[] inFlight = {null};
    DeliveryFailure[] deadline = {null};

    long timer = vertx.setTimer(timeoutMs, id -> {
      String what = inFlight[0] == null ? "no connection to " + to.hostPort() : "no response";
      deadline[0] = new DeliveryFailure(prefix + what + " within " + DeliveryFailure.human(timeout));
      // Reset first, so that the connection is closed before anyone hears of the failure; the
      // reset's own error is then not the one reported.
      if (inFlight[0] != null) {
        inFlight[0].reset(0, new TimeoutException("deadline of " + timeoutMs + " ms reached"));
      }
      result.tryFail(deadline[0]);
    });

    client().request(options(to, headers, timeoutMs))
        .compose(request -> {
          if (result.future().isComplete()) {
            request.reset();
            return Future.failedFuture(new TimeoutException("connected after the deadline"));
          }
          inFlight[0] = request;
          return request.send(body);
        })
        .compose(response -> kept(response).compose(text -> judge(prefix, response.statusCode(), text)))
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            result.tryComplete();
          } else if (deadline[0] != null) {
            result.tryFail(deadline[0]);
          } else {
            result.tryFail(ar.cause() instanceof DeliveryFailure judged ? judged
                : new DeliveryFailure(prefix + failure(ar.cause(), to)));
          }
        });
    return result.future();
  }

  private static Future<Void> judge(String prefix, int status, String text) {
    if (status >= 200 && status <= 299) {
      return Future.succeededFuture();
    }
    String said = text.isBlank() ? "" : ": " + DeliveryFailure.quote(text.strip());
    return Future.failedFuture(new DeliveryFailure(prefix + "status " + status + " (expected 2xx)" + said));
  }

  private String failure(Throwable cause, Endpoint to) {
    if (cause instanceof HttpClosedException) {
      return "connection closed by " + to.hostPort() + " before a complete response";
    }
    return DeliveryFailure.describe(cause, to.hostPort(), timeout);
  }

  private static RequestOptions options(Endpoint to, Map<String, String> headers, long timeoutMs) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(to.host())
        .setPort(to.port())
        .setSsl(to.ssl())
        .setURI(to.requestUri())
        .setFollowRedirects(false)
        // Backstops for the deadline timer; both end the request on their own.
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs)
        .putHeader("Content-Type", "application/json")
        .putHeader("User-Agent", "medic");
    if (to.authorization() != null) {
      options.putHeader("Authorization", to.authorization());
    }
    headers.forEach((name, value) -> {
      options.removeHeader(name);
      options.putHeader(name, value);
    });
    return options;
  }

  /** The start of the body, for a failure message; the whole body is read so the exchange ends. */
  private static Future<String> kept(HttpClientResponse response) {
    Buffer kept = Buffer.buffer();
    response.handler(chunk -> {
      int room = KEPT - kept.length();
      if (room > 0) {
        kept.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(v -> kept.toString(StandardCharsets.UTF_8));
  }

  private synchronized HttpClientAgent client() {
    if (client == null) {
      // The name holds everything that makes two clients differ: Vert.x hands out the first
      // client made under a name.
      client = vertx.createHttpClient(new HttpClientOptions()
          .setShared(true)
          .setName("medic-notify[trust=" + (trustAny ? "any" : "system") + "]")
          .setKeepAlive(false)
          .setTrustAll(trustAny)
          .setVerifyHost(!trustAny));
    }
    return client;
  }
}
