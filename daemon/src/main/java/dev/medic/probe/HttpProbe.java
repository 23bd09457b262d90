package dev.medic.probe;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.pointer.JsonPointer;
import io.vertx.core.net.PemTrustOptions;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Sends one HTTP request per run and judges status, body text and JSON fields.
 *
 * <p>Every outcome of the target is a result, never a failed future: refused, timed out, TLS
 * failure, wrong status, missing text, JSON mismatch are all {@code critical} with a message that
 * states what was found and what was expected. The probe keeps its own deadline
 * ({@link ProbeContext#timeout()}) and on reaching it resets the request, which closes the
 * connection: a hung server cannot keep a pooled connection busy for the next run.
 *
 * <p>Connections come from a Vert.x client shared by every HTTP probe of the same Vert.x instance
 * with the same {@code keep-alive} and TLS settings (a shared client, counted by reference), so
 * thousands of checks do not mean thousands of pools. It is obtained on the first {@link #run()}
 * and released by {@link #close()}.
 */
public final class HttpProbe implements Probe {

  /** The most of a body kept for judging; the rest is read and dropped. */
  static final int MAX_BODY = 256 * 1024;

  /** Redirects followed at most; a loop ends here as a critical result. */
  static final int MAX_REDIRECTS = 10;

  private static final Object MISSING = new Object();

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  /** Every run's message starts with this ({@code GET http://host/path → }): built once. */
  private final String prefix;
  /** Whether the configured headers name a User-Agent; if not, the request says {@code medic}. */
  private final boolean ownUserAgent;
  private HttpClientAgent client;

  HttpProbe(Config config, ProbeContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
    this.prefix = config.target().map(t -> config.method().name() + " " + t.display() + " → ").orElse("");
    this.ownUserAgent = config.headers().keySet().stream().anyMatch("User-Agent"::equalsIgnoreCase);
  }

  /**
   * One http check, validated.
   *
   * @param target where to send the request; empty when the configured url was invalid
   * @param headers sent as given; values may be secrets and are never shown
   */
  record Config(
      HttpMethod method,
      Optional<Target> target,
      Map<String, String> headers,
      Optional<String> body,
      Expectations expect,
      boolean followRedirects,
      boolean keepAlive,
      Tls tls) {}

  /**
   * The parsed url.
   *
   * @param requestUri path and query as sent on the request line
   * @param shown the url without user and password, from which redirects are resolved
   * @param display {@code shown} with secrets in the query (token=, signature=…) masked, for
   *     messages; masked once here, since every run's message starts with it
   */
  record Target(boolean ssl, String host, int port, String requestUri, String shown, String display) {

    /**
     * From parts already checked: scheme {@code http} or {@code https}, a host without IPv6
     * brackets, {@code port} -1 for the scheme's default; path and query are taken from {@code uri}.
     */
    static Target of(String scheme, String host, int port, URI uri) {
      boolean ssl = scheme.equals("https");
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
      String shownHost = host.contains(":") ? "[" + host + "]" : host;
      String shown = scheme + "://" + shownHost + (port == -1 ? "" : ":" + port) + requestUri;
      return new Target(ssl, host, port != -1 ? port : ssl ? 443 : 80, requestUri, shown,
          dev.medic.config.Secrets.maskUri(shown));
    }

    boolean sameOrigin(Target other) {
      return ssl == other.ssl && host.equalsIgnoreCase(other.host) && port == other.port;
    }
  }

  /**
   * What the response must satisfy.
   *
   * @param statuses accepted status codes; empty means any 2xx
   */
  record Expectations(List<Integer> statuses, Optional<String> bodyContains, List<JsonExpectation> json) {

    boolean accepts(int status) {
      return statuses.isEmpty() ? status >= 200 && status <= 299 : statuses.contains(status);
    }

    String expectedStatus() {
      if (statuses.isEmpty()) {
        return "2xx";
      }
      String list = statuses.stream().map(String::valueOf).collect(Collectors.joining(", "));
      return statuses.size() == 1 ? list : "one of " + list;
    }
  }

  /** A JSON Pointer and the scalar (string, number, boolean) found there. */
  record JsonExpectation(String pointer, JsonPointer compiled, Object expected) {}

  /**
   * How the server certificate is checked.
   *
   * @param trustAny no chain and no hostname verification
   * @param ca a PEM file of CAs trusted instead of the system trust store
   */
  record Tls(boolean trustAny, Optional<String> ca) {}

  @Override
  public Future<ProbeResult> run() {
    if (config.target().isEmpty()) {
      return Future.succeededFuture(ProbeResult.unknown("url is not valid (run medic check for the cause)"));
    }
    // The deadline timer, the request and its callbacks all run on one context, so the state of
    // one exchange needs no locking.
    Target target = config.target().get();
    Context context = vertx.getOrCreateContext();
    if (Vertx.currentContext() == context) {
      return guarded(target);
    }
    Promise<ProbeResult> result = Promise.promise();
    context.runOnContext(v -> guarded(target).onComplete(result));
    return result.future();
  }

  /** A bug in this probe is a failed future for the scheduler to report, never a lost promise. */
  private Future<ProbeResult> guarded(Target target) {
    try {
      return exchange(target);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public synchronized Future<Void> close() {
    HttpClientAgent c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  private enum Phase { CONNECTING, WAITING, READING }

  /** The mutable state of one run, touched only on its context. */
  private static final class Exchange {
    Phase phase = Phase.CONNECTING;
    /** The request in flight: the one the deadline resets. */
    HttpClientRequest request;
    /** Where that request goes: the configured url, or where a redirect led. */
    Target target;
  }

  /** The response that ends a run, after any redirects. */
  private record Answer(HttpClientResponse response, Target target, int redirects) {}

  /** A Location this probe cannot follow; its message is the result's. */
  private static final class BadRedirect extends RuntimeException {
    BadRedirect(String message) {
      super(message, null, false, false);
    }
  }

  private Future<ProbeResult> exchange(Target target) {
    long start = System.nanoTime();
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ProbeResult> result = Promise.promise();
    Exchange ex = new Exchange();

    long timer = vertx.setTimer(timeoutMs, id -> {
      if (result.tryComplete(critical(prefix + redirected(ex, target) + timedOut(ex.phase), start))
          && ex.request != null) {
        // For HTTP/1.x a reset closes the connection, so it never goes back to the pool.
        ex.request.reset(0, new TimeoutException("deadline of " + timeoutMs + " ms reached"));
      }
    });

    hop(ex, result.future(), target, config.method(), config.body(), true, 0, timeoutMs)
        .compose(answer -> {
          ex.phase = Phase.READING;
          return readBody(answer.response()).map(body -> judge(prefix, answer, body, NetText.since(start)));
        })
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          result.tryComplete(ar.succeeded()
              ? ar.result()
              : critical(prefix + redirected(ex, target) + failure(ar.cause(), ex.target, ex.phase), start));
        });
    return result.future();
  }

  /**
   * One request, and the next one when it answers with a redirect to follow. Redirects are
   * followed here rather than by Vert.x so that the deadline always resets the request in flight.
   *
   * @param sameOrigin false once a redirect left the configured origin: configured headers (which
   *     may carry credentials) are then no longer sent
   */
  private Future<Answer> hop(Exchange ex, Future<ProbeResult> result, Target target, HttpMethod method,
      Optional<String> body, boolean sameOrigin, int redirects, long timeoutMs) {
    ex.phase = Phase.CONNECTING;
    ex.target = target;
    return client().request(requestOptions(target, method, sameOrigin, timeoutMs))
        .compose(request -> {
          if (result.isComplete()) {
            request.reset();
            return Future.failedFuture(new TimeoutException("connected after the deadline"));
          }
          ex.request = request;
          ex.phase = Phase.WAITING;
          return body.map(request::send).orElseGet(request::send);
        })
        .compose(response -> {
          String location = response.getHeader("Location");
          if (!config.followRedirects() || location == null || !isRedirect(response.statusCode())
              || redirects == MAX_REDIRECTS) {
            return Future.succeededFuture(new Answer(response, target, redirects));
          }
          Target next = redirect(target, location)
              .orElseThrow(() -> new BadRedirect("redirect to " + NetText.quote(location)
                  + " cannot be followed (expected an http or https URL)"));
          int status = response.statusCode();
          // As browsers and curl do: 307 and 308 repeat the request, the others turn into a GET.
          boolean repeat = status == 307 || status == 308;
          HttpMethod nextMethod = repeat || method == HttpMethod.HEAD ? method : HttpMethod.GET;
          Optional<String> nextBody = repeat ? body : Optional.empty();
          return readBody(response).compose(drained -> hop(ex, result, next, nextMethod, nextBody,
              sameOrigin && target.sameOrigin(next), redirects + 1, timeoutMs));
        });
  }

  /** Names where a redirect led when a failure happened there rather than at the configured url. */
  private static String redirected(Exchange ex, Target configured) {
    return ex.target == null || ex.target == configured ? "" : "redirected to " + ex.target.display() + ": ";
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** Where a Location header points, relative ones resolved against {@code from}. */
  static Optional<Target> redirect(Target from, String location) {
    try {
      URI next = URI.create(from.shown()).resolve(location.trim());
      String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
      String host = next.getHost();
      if (!(scheme.equals("http") || scheme.equals("https")) || host == null || host.isEmpty()
          || next.getPort() == 0 || next.getPort() > 65535) {
        return Optional.empty();
      }
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return Optional.of(Target.of(scheme, host, next.getPort(), next));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private RequestOptions requestOptions(Target target, HttpMethod method, boolean sameOrigin, long timeoutMs) {
    RequestOptions options = new RequestOptions()
        .setMethod(method)
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.ssl())
        .setURI(target.requestUri())
        .setFollowRedirects(false)
        // Backstops for the deadline timer; both end the request on their own.
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs);
    if (sameOrigin) {
      config.headers().forEach(options::putHeader);
    }
    if (!(sameOrigin && ownUserAgent)) {
      options.putHeader("User-Agent", "medic");
    }
    return options;
  }

  /** Reads the whole body (so latency covers it and the connection can be reused), keeping the start. */
  private static Future<Body> readBody(HttpClientResponse response) {
    Buffer kept = Buffer.buffer();
    boolean[] truncated = {false};
    response.handler(chunk -> {
      int room = MAX_BODY - kept.length();
      if (chunk.length() > room) {
        truncated[0] = true;
      }
      if (room > 0) {
        kept.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(v -> new Body(kept, truncated[0]));
  }

  private record Body(Buffer bytes, boolean truncated) {

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  private ProbeResult judge(String prefix, Answer answer, Body body, Duration latency) {
    int status = answer.response().statusCode();
    Expectations expect = config.expect();
    if (answer.redirects() > 0) {
      prefix = prefix + "after " + answer.redirects() + (answer.redirects() == 1 ? " redirect" : " redirects")
          + " to " + answer.target().display() + ": ";
    }
    if (!expect.accepts(status)) {
      String location = answer.response().getHeader("Location");
      String redirect = "";
      if (location != null && isRedirect(status)) {
        redirect = config.followRedirects()
            ? "; stopped after " + MAX_REDIRECTS + " redirects"
            : "; redirect to " + NetText.quote(location) + " not followed (follow-redirects = false)";
      }
      return critical(prefix + "status " + status + " (expected " + expect.expectedStatus() + redirect + ")", latency);
    }
    if (expect.bodyContains().isPresent() && !body.text().contains(expect.bodyContains().get())) {
      return critical(prefix + "body does not contain " + NetText.quote(expect.bodyContains().get())
          + (body.truncated() ? " in its first " + MAX_BODY / 1024 + " KiB" : "")
          + " (got " + NetText.quote(body.text()) + ")", latency);
    }
    if (!expect.json().isEmpty()) {
      Optional<String> mismatch = jsonMismatch(body);
      if (mismatch.isPresent()) {
        return critical(prefix + mismatch.get(), latency);
      }
    }
    return ProbeResult.ok(prefix + status + " in " + NetText.millis(latency)).withLatency(latency);
  }

  /** Every JSON expectation that fails, joined, or empty when all hold. */
  private Optional<String> jsonMismatch(Body body) {
    if (body.truncated()) {
      return Optional.of("body is larger than " + MAX_BODY / 1024 + " KiB (expected a JSON document to judge)");
    }
    Object document;
    try {
      document = Json.decodeValue(body.bytes());
    } catch (DecodeException e) {
      return Optional.of("body is not JSON (got " + NetText.quote(body.text()) + ")");
    }
    List<String> wrong = new ArrayList<>();
    for (JsonExpectation e : config.expect().json()) {
      Object actual = e.compiled().queryJsonOrDefault(document, MISSING);
      if (actual == MISSING) {
        wrong.add(e.pointer() + " is missing or null (expected " + show(e.expected()) + ")");
      } else if (!sameJson(e.expected(), actual)) {
        wrong.add(e.pointer() + " is " + show(actual) + " (expected " + show(e.expected()) + ")");
      }
    }
    return wrong.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", wrong));
  }

  /** JSON equality: numbers by value ({@code 1} equals {@code 1.0}), no coercion between types. */
  static boolean sameJson(Object expected, Object actual) {
    if (expected instanceof Number e && actual instanceof Number a) {
      return new BigDecimal(e.toString()).compareTo(new BigDecimal(a.toString())) == 0;
    }
    return expected.equals(actual);
  }

  private static String show(Object value) {
    if (value instanceof String s) {
      return NetText.quote(s);
    }
    String json = Json.encode(value);
    return json.length() > NetText.SNIPPET ? json.substring(0, NetText.SNIPPET) + "..." : json;
  }

  private String failure(Throwable cause, Target target, Phase phase) {
    String hostPort = target.host() + ":" + target.port();
    if (cause instanceof TimeoutException || cause.getCause() instanceof TimeoutException) {
      return timedOut(phase);
    }
    if (cause instanceof BadRedirect) {
      return cause.getMessage();
    }
    if (cause instanceof HttpClosedException) {
      return "connection closed by " + hostPort + " before a complete response";
    }
    return NetText.failure(cause, hostPort, timeout);
  }

  private String timedOut(Phase phase) {
    String within = " within " + NetText.duration(timeout);
    return switch (phase) {
      case CONNECTING -> "no connection" + within;
      case WAITING -> "no response" + within;
      case READING -> "response not complete" + within;
    };
  }

  private static ProbeResult critical(String message, long startNanos) {
    return critical(message, NetText.since(startNanos));
  }

  private static ProbeResult critical(String message, Duration latency) {
    return ProbeResult.critical(message).withLatency(latency);
  }

  /** The shared client for this probe's settings, obtained once. */
  private synchronized HttpClientAgent client() {
    if (client == null) {
      // More than Vert.x's 5 connections per host: several checks often watch one host, and a
      // hung endpoint there must not queue the others behind it.
      client = vertx.httpClientBuilder().with(clientOptions(config.keepAlive(), config.tls()))
          .with(new PoolOptions().setHttp1MaxSize(32)).build();
    }
    return client;
  }

  /**
   * Options of the client shared by every probe with the same settings: the name holds everything
   * that makes two clients differ, since Vert.x hands out the first client made under a name.
   */
  static HttpClientOptions clientOptions(boolean keepAlive, Tls tls) {
    String trust = tls.trustAny() ? "any" : tls.ca().map(ca -> "ca:" + ca).orElse("system");
    HttpClientOptions options = new HttpClientOptions()
        .setShared(true)
        .setName("medic-http[keep-alive=" + keepAlive + ",trust=" + trust + "]")
        .setKeepAlive(keepAlive)
        .setTrustAll(tls.trustAny())
        .setVerifyHost(!tls.trustAny());
    tls.ca().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca)));
    return options;
  }
}
