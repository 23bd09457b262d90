package dev.medic.notify;

import static dev.medic.testing.TestEvents.critical;
import static dev.medic.testing.TestEvents.daemonStarted;
import static dev.medic.testing.TestEvents.resolved;
import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class WebhookChannelTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  /** What the receiver saw of one request. */
  record Received(String method, String uri, MultiMap headers, Buffer body) {}

  @Test
  void postsTheDocumentedBodySignedWithTheSecret(Vertx vertx, VertxTestContext ctx) {
    List<Received> received = new CopyOnWriteArrayList<>();
    List<Event> batch = List.of(critical("e1", "app"), resolved("e2", "db"));
    serve(vertx, record(received, 204))
        .compose(port -> channel(vertx, """
            url = "http://127.0.0.1:%d/hook?team=ops"
            secret = "s3cret-key"
            headers { X-Team = ops, Authorization = "Bearer t0ken" }
            """.formatted(port)).send(batch))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(received).hasSize(1);
          Received r = received.get(0);
          assertThat(r.method()).isEqualTo("POST");
          assertThat(r.uri()).isEqualTo("/hook?team=ops");
          assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
          assertThat(r.headers().get("X-Medic-Event-Ids")).isEqualTo("e1,e2");
          assertThat(r.headers().get("X-Team")).isEqualTo("ops");
          assertThat(r.headers().get("Authorization")).isEqualTo("Bearer t0ken");
          assertThat(r.headers().get("User-Agent")).isEqualTo("medic");
          // The receiver's check, written independently of the channel's code.
          assertThat(r.headers().get("X-Medic-Signature")).isEqualTo("sha256=" + hmac("s3cret-key", r.body().getBytes()));

          JsonObject body = r.body().toJsonObject();
          assertThat(body.fieldNames()).containsExactlyInAnyOrder("version", "instance", "events");
          assertThat(body.getInteger("version")).isEqualTo(1);
          assertThat(body.getString("instance")).isEqualTo("web-1");
          assertThat(body.getJsonArray("events")).hasSize(2);
          JsonObject first = body.getJsonArray("events").getJsonObject(0);
          assertThat(first.fieldNames()).containsExactlyInAnyOrder(
              "id", "kind", "check", "severity", "status", "previous", "message", "title", "instance", "at", "details");
          assertThat(first).isEqualTo(new JsonObject()
              .put("id", "e1").put("kind", "state").put("check", "app").put("severity", "critical")
              .put("status", "critical").put("previous", "ok").put("message", "connect 127.0.0.1:3000 refused")
              .put("title", "CRITICAL app: connect 127.0.0.1:3000 refused").put("instance", "web-1")
              .put("at", "2025-03-01T12:00:00Z")
              .put("details", new JsonObject().put("measurements", new JsonObject()
                  .put("latency", new JsonObject().put("value", 2.5).put("unit", "seconds").put("text", "2.5s")))));
          assertThat(Event.fromJson(body.getJsonArray("events").getJsonObject(1))).isEqualTo(batch.get(1));
          ctx.completeNow();
        })));
  }

  @Test
  void unsignedWithoutASecret(Vertx vertx, VertxTestContext ctx) {
    List<Received> received = new CopyOnWriteArrayList<>();
    serve(vertx, record(received, 200))
        .compose(port -> channel(vertx, url(port)).send(List.of(daemonStarted("d1"))))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(received).singleElement().satisfies(r -> {
            assertThat(r.headers().contains("X-Medic-Signature")).isFalse();
            assertThat(r.headers().get("X-Medic-Event-Ids")).isEqualTo("d1");
            assertThat(r.body().toJsonObject().getJsonArray("events").getJsonObject(0).getString("check")).isNull();
          });
          ctx.completeNow();
        })));
  }

  @Test
  void bodyIsAPureFunctionOfTheBatch() {
    List<Event> batch = List.of(critical("e1", "app"));
    Buffer body = WebhookChannel.body(batch);
    assertThat(body).isEqualTo(WebhookChannel.body(List.of(critical("e1", "app"))));
    assertThat(WebhookChannel.payload(batch).getJsonArray("events").getJsonObject(0)).isEqualTo(batch.get(0).toJson());
    assertThat(WebhookChannel.signature("k", "abc".getBytes(StandardCharsets.UTF_8)))
        // RFC 4231-style known answer, computed with: printf abc | openssl dgst -sha256 -hmac k
        .isEqualTo("sha256=" + hmac("k", "abc".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aServerErrorIsNotDelivered(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.body().onSuccess(b -> req.response().setStatusCode(500).end("database is down\n")))
        .compose(port -> channel(vertx, url(port)).send(List.of(critical("e1", "app")))
            .onComplete(ctx.failing(e -> ctx.verify(() -> {
              assertThat(e.getMessage()).isEqualTo("POST http://127.0.0.1:" + port
                  + "/hook → status 500 (expected 2xx): \"database is down\"");
              ctx.completeNow();
            }))));
  }

  @Test
  void aRedirectIsNotFollowedAndNotDelivered(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().setStatusCode(302).putHeader("Location", "http://127.0.0.1:1/").end())
        .compose(port -> channel(vertx, url(port)).send(List.of(critical("e1", "app")))
            .onComplete(ctx.failing(e -> ctx.verify(() -> {
              assertThat(e.getMessage()).endsWith("→ status 302 (expected 2xx)");
              ctx.completeNow();
            }))));
  }

  @Test
  void aRefusedConnectionIsNotDelivered(Vertx vertx, VertxTestContext ctx) throws Exception {
    int port = HungServer.freePort();
    channel(vertx, url(port)).send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).isEqualTo("POST http://127.0.0.1:" + port + "/hook → connect 127.0.0.1:" + port
              + " refused");
          ctx.completeNow();
        })));
  }

  @Test
  void aHungReceiverFailsAtTheTimeout(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    Duration timeout = Duration.ofSeconds(1);
    Channel channel = new WebhookChannelType().create(TestSettings.of(url(hung.port())),
        new ChannelContext(vertx, "ops", timeout));
    long start = System.nanoTime();
    channel.send(List.of(critical("e1", "app")))
        .map("delivered")
        .recover(e -> {
          long ms = (System.nanoTime() - start) / 1_000_000;
          ctx.verify(() -> {
            assertThat(e.getMessage()).isEqualTo("POST http://127.0.0.1:" + hung.port() + "/hook → no response within 1s");
            // Generous: the machine is shared; the point is "at the deadline", not "after a minute".
            assertThat(ms).isBetween(900L, 15_000L);
          });
          // The deadline resets the request: the connection is closed, not left hanging.
          return Future.fromCompletionStage(hung.peerClosed()).map("failed");
        })
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome).isEqualTo("failed");
          hung.close();
          ctx.completeNow();
        })));
  }

  @Test
  void anEmptyBatchSendsNothing(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    channel(vertx, url(hung.port())).send(List.of()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertThat(hung.accepted()).isZero();
      hung.close();
      ctx.completeNow();
    })));
  }

  @Test
  void creatingAChannelConnectsNowhere(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    new WebhookChannelType().create(TestSettings.of(url(hung.port())), new ChannelContext(vertx, "ops", TIMEOUT));
    // A connection would be accepted within milliseconds; give it ample time to show up.
    vertx.setTimer(300, id -> ctx.verify(() -> {
      assertThat(hung.accepted()).isZero();
      hung.close();
      ctx.completeNow();
    }));
  }

  @Test
  void foundByItsTypeName() {
    assertThat(ChannelTypes.discover().find("webhook")).get().isInstanceOf(WebhookChannelType.class);
  }

  // ---- configuration ---------------------------------------------------------------------------

  @Test
  void everyKeyIsAccepted() throws Exception {
    Settings s = TestSettings.of("""
        url = "https://ops.example.org/hooks/medic"
        secret = "k"
        headers { X-Team = ops }
        tls.trust = any
        """);
    new WebhookChannelType().create(s, new ChannelContext(null, "ops", TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      secret = k                                                  | medic.checks.test.url                      | missing (a value is required)
      url = "ftp://example.org/"                                  | medic.checks.test.url                      | "ftp://example.org/" is not an http or https URL
      url = "http:///hook"                                        | medic.checks.test.url                      | has no host
      url = "http://127.0.0.1:70000/"                             | medic.checks.test.url                      | has port 70000 (expected 1 to 65535)
      url = "http://127.0.0.1/", secret = ""                      | medic.checks.test.secret                   | is empty
      url = "http://127.0.0.1/", headers { "Bad Name" = x }       | medic.checks.test.headers."Bad Name"       | is not a valid header name
      url = "http://127.0.0.1/", headers { X-Medic-Signature = x }| medic.checks.test.headers.X-Medic-Signature| is set by medic
      url = "http://127.0.0.1/", headers = [x]                    | medic.checks.test.headers                  | is a list (expected an object
      url = "http://127.0.0.1/", tls.trust = maybe                | medic.checks.test.tls.trust                | "maybe" is not allowed (expected one of: system, any)
      url = "http://127.0.0.1/", tls.ca = "/x.pem"                | medic.checks.test.tls.ca                   | unknown key
      url = "http://127.0.0.1/", secert = k                       | medic.checks.test.secert                   | unknown key (did you mean "secret"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    assertThat(problems(hocon)).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  @Test
  void secretsStayOutOfConfigurationMessages() {
    List<ConfigProblem> problems = problems(
        "url = \"ftp://user:hunter2@example.org/\"\nheaders { X-Token = \"s3cret\\nmore\" }");
    assertThat(problems).hasSize(2);
    assertThat(problems).allSatisfy(p -> assertThat(p.toString()).doesNotContain("hunter2").doesNotContain("s3cret"));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  static String hmac(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static List<ConfigProblem> problems(String hocon) {
    Settings s = TestSettings.of(hocon);
    new WebhookChannelType().create(s, new ChannelContext(null, "ops", TIMEOUT));
    s.reportUnknownKeys();
    return s.problems().sorted();
  }

  private static String url(int port) {
    return "url = \"http://127.0.0.1:" + port + "/hook\"";
  }

  /** A channel from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Channel channel(Vertx vertx, String hocon) {
    Settings s = TestSettings.of(hocon);
    Channel channel = new WebhookChannelType().create(s, new ChannelContext(vertx, "ops", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return channel;
  }

  static Handler<HttpServerRequest> record(List<Received> into, int status) {
    return req -> req.body().onSuccess(body -> {
      into.add(new Received(req.method().name(), req.uri(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
          body));
      req.response().setStatusCode(status).end();
    });
  }

  static Future<Integer> serve(Vertx vertx, Handler<HttpServerRequest> handler) {
    return vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1").map(HttpServer::actualPort);
  }
}
