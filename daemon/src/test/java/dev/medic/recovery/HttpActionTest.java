package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpActionTest {

  private static final Duration GENEROUS = Duration.ofSeconds(5);

  @TempDir Path tmp;

  /** What a test server was sent. */
  private record Received(String method, String uri, MultiMap headers, String body) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();

  @Test
  void postsTheBodyWithTheHeadersAndSucceedsOn2xx(Vertx vertx, VertxTestContext test) {
    serve(vertx, req -> req.response().setStatusCode(202).end("reload scheduled"))
        .compose(port -> action(vertx, url(port, "/admin/reload?now=1")
            + "\nheaders { X-Token = \"t0ps3cret\", Content-Type = \"application/json\" }"
            + "\nbody = \"{\\\"all\\\": true}\"").run("app")
            .map(o -> {
              test.verify(() -> {
                assertThat(o.success()).isTrue();
                assertThat(o.message()).isEqualTo("POST http://127.0.0.1:" + port + "/admin/reload?now=1 → 202");
                assertThat(o.output()).isEqualTo("reload scheduled");
                assertThat(received).singleElement().satisfies(r -> {
                  assertThat(r.method()).isEqualTo("POST");
                  assertThat(r.uri()).isEqualTo("/admin/reload?now=1");
                  assertThat(r.headers().get("X-Token")).isEqualTo("t0ps3cret");
                  assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
                  assertThat(r.headers().get("User-Agent")).isEqualTo("medic");
                  assertThat(r.body()).isEqualTo("{\"all\": true}");
                });
              });
              return o;
            }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void methodAndExpectedStatusesAreConfigurable(Vertx vertx, VertxTestContext test) {
    serve(vertx, req -> req.response().setStatusCode(req.method().name().equals("PUT") ? 204 : 200).end())
        .compose(port -> Future.all(
            action(vertx, url(port, "/a") + "\nmethod = PUT\nexpect.status = [204]").run("x"),
            action(vertx, url(port, "/b") + "\nmethod = GET\nexpect.status = [201, 202]").run("x")))
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ActionOutcome put = all.resultAt(0);
          ActionOutcome get = all.resultAt(1);
          assertThat(put.success()).isTrue();
          assertThat(get.success()).isFalse();
          assertThat(get.message()).endsWith("/b → status 200 (expected one of 201, 202)");
          assertThat(received).extracting(Received::method).containsExactlyInAnyOrder("PUT", "GET");
          test.completeNow();
        })));
  }

  @Test
  void aServerErrorIsAFailureWithTheStartOfTheBody(Vertx vertx, VertxTestContext test) {
    serve(vertx, req -> req.response().setStatusCode(500).end("\nboom: cache locked\nstack trace..."))
        .compose(port -> action(vertx, url(port, "/reload")).run("x")
            .map(o -> {
              test.verify(() -> {
                assertThat(o.success()).isFalse();
                assertThat(o.message()).isEqualTo(
                    "POST http://127.0.0.1:" + port + "/reload → status 500 (expected 2xx): \"boom: cache locked\"");
                assertThat(o.output()).contains("stack trace...");
              });
              return o;
            }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aRefusedConnectionIsAFailure(Vertx vertx, VertxTestContext test) throws Exception {
    int port = HungServer.freePort();
    action(vertx, url(port, "/reload")).run("x").onComplete(test.succeeding(o -> test.verify(() -> {
      assertThat(o.success()).isFalse();
      assertThat(o.message()).isEqualTo("POST http://127.0.0.1:" + port + "/reload → connect 127.0.0.1:" + port + " refused");
      test.completeNow();
    })));
  }

  @Test
  void aHungServerIsAFailureAtTheTimeout(Vertx vertx, VertxTestContext test) throws Exception {
    HungServer hung = HungServer.start();
    long started = System.nanoTime();
    action(vertx, url(hung.port(), "/reload"), Duration.ofSeconds(1)).run("x")
        .onComplete(test.succeeding(o -> test.verify(() -> {
          Duration took = Duration.ofNanos(System.nanoTime() - started);
          hung.close();
          assertThat(o.success()).isFalse();
          assertThat(o.message()).isEqualTo("POST http://127.0.0.1:" + hung.port() + "/reload → no response within 1s");
          assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
          test.completeNow();
        })));
  }

  @Test
  void credentialsInTheUrlBecomeBasicAuthAndAreNeverShown(Vertx vertx, VertxTestContext test) {
    serve(vertx, req -> req.response().setStatusCode(401).end())
        .compose(port -> {
          Action action = action(vertx, "url = \"http://ops:pa55word@127.0.0.1:" + port + "/hook?token=abc\"\n"
              + "headers { X-Api-Key = k3y }");
          return action.run("x").map(o -> {
            test.verify(() -> {
              String shown = action.describe() + " " + o.message() + " " + o.output();
              assertThat(shown).doesNotContain("pa55word", "abc", "k3y");
              assertThat(o.message()).isEqualTo("POST http://127.0.0.1:" + port + "/hook?token=**** → status 401 (expected 2xx)");
              assertThat(received.get(0).headers().get("Authorization"))
                  .isEqualTo("Basic " + Base64.getEncoder().encodeToString("ops:pa55word".getBytes(StandardCharsets.UTF_8)));
              assertThat(received.get(0).uri()).isEqualTo("/hook?token=abc");
            });
            return o;
          });
        })
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aSelfSignedCertificateFailsUnlessTrustIsAny(Vertx vertx, VertxTestContext test) throws Exception {
    TestCertificate cert = TestCertificate.mint(tmp);
    HttpServerOptions tls = new HttpServerOptions().setSsl(true).setKeyCertOptions(
        new PemKeyCertOptions().setCertPath(cert.certPem().toString()).setKeyPath(cert.keyPem().toString()));
    vertx.createHttpServer(tls).requestHandler(req -> req.response().end("ok"))
        .listen(0, "127.0.0.1").map(HttpServer::actualPort)
        .compose(port -> {
          String url = "url = \"https://127.0.0.1:" + port + "/reload\"\n";
          // Generous: the first TLS handshake in a fresh JVM warms up JSSE for about a second.
          Duration slow = Duration.ofSeconds(8);
          return Future.all(action(vertx, url, slow).run("x"), action(vertx, url + "tls.trust = any", slow).run("x"));
        })
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ActionOutcome system = all.resultAt(0);
          ActionOutcome any = all.resultAt(1);
          assertThat(system.success()).isFalse();
          assertThat(system.message()).contains("TLS handshake with 127.0.0.1:")
              .endsWith("failed: certificate not trusted (no path to a trusted CA)");
          assertThat(any.success()).isTrue();
          test.completeNow();
        })));
  }

  @Test
  void creatingAnActionSendsNothing(Vertx vertx, VertxTestContext test) {
    serve(vertx, req -> req.response().end())
        .compose(port -> {
          Action action = action(vertx, url(port, "/reload"));
          return vertx.timer(200, TimeUnit.MILLISECONDS).map(v -> {
            test.verify(() -> assertThat(received).isEmpty());
            return action;
          });
        })
        .compose(action -> action.run("x").eventually(action::close))
        .onComplete(test.succeeding(o -> test.verify(() -> {
          assertThat(received).hasSize(1);
          test.completeNow();
        })));
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      method = POST                                            | medic.actions.test.url: missing (a value is required
      url = "ftp://example.org/"                               | medic.actions.test.url: "ftp://example.org/" is not an http or https URL
      url = "http://exa mple.org/"                             | medic.actions.test.url: "http://exa mple.org/" is not a valid URL
      url = "http:///reload"                                   | medic.actions.test.url: "http:///reload" has no host
      url = "http://u:secret@:99999/"                          | medic.actions.test.url: "http://u:****@:99999/" has no host
      url = "http://127.0.0.1/", method = FETCH                | medic.actions.test.method: "FETCH" is not allowed (expected one of: POST, GET, PUT, PATCH, DELETE)
      url = "http://127.0.0.1/", expect { status = [] }        | medic.actions.test.expect.status: is empty
      url = "http://127.0.0.1/", expect { status = [200, 999] } | medic.actions.test.expect.status: "999" is not allowed
      url = "http://127.0.0.1/", expect { stauts = [200] }     | medic.actions.test.expect.stauts: unknown key (did you mean "status"?)
      url = "http://127.0.0.1/", tls.trust = maybe             | medic.actions.test.tls.trust: "maybe" is not allowed (expected one of: system, any)
      url = "http://127.0.0.1/", headers { X-Key = "a\\nb" }   | medic.actions.test.headers.X-Key: value contains a line break or NUL (not allowed in a header; value not shown)
      url = "http://127.0.0.1/", boddy = x                     | medic.actions.test.boddy: unknown key (did you mean "body"?)
      """)
  void configurationIsValidated(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.action(hocon);
    new HttpActionType().create(settings, new ActionContext(vertx, "test", GENEROUS));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).singleElement().extracting(ConfigProblem::toString)
        .asString().startsWith("test.conf:1: " + problem);
  }

  @Test
  void isFoundByItsTypeName() {
    assertThat(ActionTypes.discover().find("http")).get().isInstanceOf(HttpActionType.class);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private Future<Integer> serve(Vertx vertx, Handler<HttpServerRequest> reply) {
    return vertx.createHttpServer()
        .requestHandler(req -> req.body().onSuccess(body -> {
          received.add(new Received(req.method().name(), req.uri(), MultiMap.caseInsensitiveMultiMap()
              .addAll(req.headers()), body.toString(StandardCharsets.UTF_8)));
          reply.handle(req);
        }))
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort);
  }

  private static String url(int port, String path) {
    return "url = \"http://127.0.0.1:" + port + path + "\"";
  }

  private static Action action(Vertx vertx, String hocon) {
    return action(vertx, hocon, GENEROUS);
  }

  private static Action action(Vertx vertx, String hocon, Duration timeout) {
    Settings settings = TestSettings.action(hocon);
    Action action = new HttpActionType().create(settings, new ActionContext(vertx, "test", timeout));
    settings.reportUnknownKeys();
    assertThat(settings.problems().sorted()).as("problems of " + hocon).isEmpty();
    return action;
  }
}
