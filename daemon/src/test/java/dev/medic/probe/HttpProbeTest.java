package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HttpProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir
  static Path tempDir;

  private static TestCertificate cert;

  @BeforeAll
  static void mintCertificate() throws Exception {
    cert = TestCertificate.mint(tempDir);
  }

  // ---- results against real servers -----------------------------------------------------------

  @Test
  void okWhenStatusAndBodyMatch(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().end("all ok"))
        .compose(port -> probe(vertx, url(port, "/health") + "\nexpect.body-contains = ok").run()
            .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
              assertThat(r.status()).isEqualTo(Status.OK);
              assertThat(r.message()).startsWith("GET http://127.0.0.1:" + port + "/health → 200 in ").endsWith(" ms");
              assertThat(r.latency()).isNotNull().isLessThan(TIMEOUT);
              ctx.completeNow();
            }))));
  }

  @Test
  void unexpectedStatusStatesActualAndExpected(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().setStatusCode(503).end("down"))
        .compose(port -> Future.all(
            probe(vertx, url(port, "/") + "\nexpect.status = [200]").run(),
            probe(vertx, url(port, "/")).run(),
            probe(vertx, url(port, "/") + "\nexpect.status = [200, 204]").run()))
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult one = all.resultAt(0);
          ProbeResult anyOk = all.resultAt(1);
          ProbeResult list = all.resultAt(2);
          assertThat(one.status()).isEqualTo(Status.CRITICAL);
          assertThat(one.message()).endsWith("→ status 503 (expected 200)");
          assertThat(anyOk.message()).endsWith("→ status 503 (expected 2xx)");
          assertThat(list.message()).endsWith("→ status 503 (expected one of 200, 204)");
          ctx.completeNow();
        })));
  }

  @Test
  void missingBodyTextIsCritical(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().end("degraded"))
        .compose(port -> probe(vertx, url(port, "/") + "\nexpect.body-contains = ok").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).endsWith("body does not contain \"ok\" (got \"degraded\")");
          ctx.completeNow();
        })));
  }

  @Test
  void jsonFieldsMatchByValue(Vertx vertx, VertxTestContext ctx) {
    String body = "{\"status\":\"UP\",\"db\":{\"ok\":true},\"count\":3.0,\"items\":[{\"name\":\"a\"}]}";
    serve(vertx, req -> req.response().putHeader("Content-Type", "application/json").end(body))
        .compose(port -> probe(vertx, url(port, "/")
            + "\nexpect.json { \"/status\" = UP, \"/db/ok\" = true, \"/count\" = 3, \"/items/0/name\" = a }").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          ctx.completeNow();
        })));
  }

  @Test
  void jsonMismatchNamesPointerActualAndExpected(Vertx vertx, VertxTestContext ctx) {
    String body = "{\"status\":\"DOWN\",\"db\":{\"ok\":\"true\"}}";
    serve(vertx, req -> req.response().end(body))
        .compose(port -> Future.all(
            probe(vertx, url(port, "/") + "\nexpect.json { \"/status\" = UP }").run(),
            probe(vertx, url(port, "/") + "\nexpect.json { \"/db/ok\" = true, \"/version\" = 2 }").run()))
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult status = all.resultAt(0);
          ProbeResult typed = all.resultAt(1);
          assertThat(status.status()).isEqualTo(Status.CRITICAL);
          assertThat(status.message()).endsWith("→ /status is \"DOWN\" (expected \"UP\")");
          // A string "true" is not the boolean true: JSON values, no coercion.
          assertThat(typed.message()).endsWith(
              "→ /db/ok is \"true\" (expected true); /version is missing or null (expected 2)");
          ctx.completeNow();
        })));
  }

  @Test
  void bodyThatIsNotJsonIsCritical(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().end("<html>oops</html>"))
        .compose(port -> probe(vertx, url(port, "/") + "\nexpect.json { \"/status\" = UP }").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).endsWith("body is not JSON (got \"<html>oops</html>\")");
          ctx.completeNow();
        })));
  }

  @Test
  void redirectIsNotFollowedUnlessAsked(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> {
      if (req.path().equals("/old")) {
        req.response().setStatusCode(302).putHeader("Location", "/new").end();
      } else {
        req.response().end("new place");
      }
    })
        .compose(port -> Future.all(
            probe(vertx, url(port, "/old")).run(),
            probe(vertx, url(port, "/old") + "\nfollow-redirects = true\nexpect.body-contains = new").run()))
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult notFollowed = all.resultAt(0);
          ProbeResult followed = all.resultAt(1);
          assertThat(notFollowed.status()).isEqualTo(Status.CRITICAL);
          assertThat(notFollowed.message()).endsWith(
              "→ status 302 (expected 2xx; redirect to \"/new\" not followed (follow-redirects = false))");
          assertThat(followed.status()).as(followed.message()).isEqualTo(Status.OK);
          assertThat(followed.message()).matches("GET http://127\\.0\\.0\\.1:\\d+/old → after 1 redirect to http://127\\.0\\.0\\.1:\\d+/new: 200 in \\d+ ms");
          ctx.completeNow();
        })));
  }

  /** Configured headers may be credentials: they go to the configured origin only. */
  @Test
  void redirectsKeepTheMethodOnlyFor307AndDropHeadersOnAnotherOrigin(Vertx vertx, VertxTestContext ctx) {
    List<String> seen = new CopyOnWriteArrayList<>();
    serve(vertx, req -> {
      seen.add("other " + req.method() + " " + req.getHeader("X-Token"));
      req.response().end("elsewhere");
    }).compose(other -> serve(vertx, req -> {
      seen.add(req.path() + " " + req.method() + " " + req.getHeader("X-Token"));
      if (req.path().equals("/form")) {
        req.response().setStatusCode(303).putHeader("Location", "/moved").end();
      } else {
        req.response().setStatusCode(307).putHeader("Location", "http://127.0.0.1:" + other + "/final").end();
      }
    })).compose(port -> probe(vertx, url(port, "/form")
        + "\nmethod = POST\nbody = x\nheaders { X-Token = t0k3n }\nfollow-redirects = true").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(seen).containsExactly("/form POST t0k3n", "/moved GET t0k3n", "other GET null");
          assertThat(r.message()).matches("POST \\S+/form → after 2 redirects to http://127\\.0\\.0\\.1:\\d+/final: 200 in \\d+ ms");
          ctx.completeNow();
        })));
  }

  @Test
  void redirectLoopEnds(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().setStatusCode(302).putHeader("Location", "/loop").end())
        .compose(port -> probe(vertx, url(port, "/loop") + "\nfollow-redirects = true").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).matches("GET \\S+ → after 10 redirects to \\S+/loop: "
              + "status 302 \\(expected 2xx; stopped after 10 redirects\\)");
          ctx.completeNow();
        })));
  }

  @Test
  void hungRedirectTargetIsCriticalAndItsConnectionIsDropped(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    String hungUrl = "http://127.0.0.1:" + hung.port() + "/stuck";
    serve(vertx, req -> req.response().setStatusCode(302).putHeader("Location", hungUrl).end())
        .compose(port -> probe(vertx, url(port, "/") + "\nfollow-redirects = true", Duration.ofSeconds(1)).run())
        .compose(r -> Future.fromCompletionStage(hung.peerClosed()).timeout(5, TimeUnit.SECONDS).map(r))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).endsWith("→ redirected to " + hungUrl + ": no response within 1s");
          hung.close();
          ctx.completeNow();
        })));
  }

  @Test
  void headSendsHead(Vertx vertx, VertxTestContext ctx) {
    List<HttpMethod> seen = new CopyOnWriteArrayList<>();
    serve(vertx, req -> {
      seen.add(req.method());
      req.response().putHeader("Content-Length", "1000").end();
    })
        .compose(port -> probe(vertx, url(port, "/") + "\nmethod = HEAD").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(seen).containsExactly(HttpMethod.HEAD);
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(r.message()).startsWith("HEAD ");
          ctx.completeNow();
        })));
  }

  @Test
  void headersBodyAndUrlCredentialsReachTheServerButNotTheMessage(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.body().onSuccess(body -> {
      boolean right = req.method() == HttpMethod.POST
          && "s3cret-token".equals(req.getHeader("X-Token"))
          && "Basic dXNlcjpodW50ZXIy".equals(req.getHeader("Authorization")) // user:hunter2
          && "medic".equals(req.getHeader("User-Agent"))
          && body.toString().equals("{\"ping\":1}");
      req.response().setStatusCode(right ? 200 : 400).end();
    }))
        .compose(port -> probe(vertx, "url = \"http://user:hunter2@127.0.0.1:" + port + "/hook\"\n"
            + "method = POST\nheaders { X-Token = s3cret-token }\nbody = \"{\\\"ping\\\":1}\"").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(r.message()).startsWith("POST http://127.0.0.1:").doesNotContain("hunter2").doesNotContain("s3cret");
          ctx.completeNow();
        })));
  }

  @Test
  void refusedConnectionIsCritical(Vertx vertx, VertxTestContext ctx) throws Exception {
    int port = HungServer.freePort();
    probe(vertx, url(port, "/")).run().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("GET http://127.0.0.1:" + port + "/ → connect 127.0.0.1:" + port + " refused");
      ctx.completeNow();
    })));
  }

  @Test
  void hungServerIsCriticalAtTheTimeoutAndItsConnectionIsDropped(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    Duration timeout = Duration.ofSeconds(1);
    probe(vertx, url(hung.port(), "/"), timeout).run()
        .compose(r -> Future.fromCompletionStage(hung.peerClosed()).timeout(5, TimeUnit.SECONDS).map(r))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).endsWith("→ no response within 1s");
          assertThat(r.latency()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
          hung.close();
          ctx.completeNow();
        })));
  }

  /**
   * The reason for a reactive probe: hung targets must not slow the healthy ones, which share
   * one client and its event loops with them.
   */
  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void hungTargetsDoNotDelayHealthyOnes(Vertx vertx, VertxTestContext ctx) throws Exception {
    List<HungServer> hung = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      hung.add(HungServer.start());
    }
    List<Future<Integer>> servers = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      servers.add(serve(vertx, req -> req.response().end("ok")));
    }
    Future.all(servers).compose(started -> {
      List<Future<ProbeResult>> runs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        runs.add(probe(vertx, url(started.<Integer>resultAt(i), "/") + "\nexpect.body-contains = ok").run());
      }
      for (HungServer h : hung) {
        runs.add(probe(vertx, url(h.port(), "/")).run());
      }
      return Future.all(runs);
    }).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
      for (int i = 0; i < 40; i++) {
        ProbeResult r = all.resultAt(i);
        assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
        assertThat(r.latency()).as(r.message()).isLessThan(Duration.ofSeconds(1));
      }
      for (int i = 40; i < 50; i++) {
        ProbeResult r = all.resultAt(i);
        assertThat(r.status()).as(r.message()).isEqualTo(Status.CRITICAL);
        assertThat(r.message()).endsWith("no response within 2s");
        assertThat(r.latency()).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(4));
      }
      for (HungServer h : hung) {
        h.close();
      }
      ctx.completeNow();
    })));
  }

  @Test
  void keepAliveReusesOneConnectionAndCanBeTurnedOff(Vertx vertx, VertxTestContext ctx) {
    Set<Object> connections = ConcurrentHashMap.newKeySet();
    serve(vertx, req -> {
      connections.add(req.connection());
      req.response().end("ok");
    }).compose(port -> {
      Probe reusing = probe(vertx, url(port, "/"));
      Probe fresh = probe(vertx, url(port, "/") + "\nkeep-alive = false");
      return threeRuns(vertx, reusing)
          .map(v -> connections.size())
          .compose(reused -> {
            connections.clear();
            return threeRuns(vertx, fresh).map(v -> List.of(reused, connections.size()));
          });
    }).onComplete(ctx.succeeding(counts -> ctx.verify(() -> {
      assertThat(counts).containsExactly(1, 3);
      ctx.completeNow();
    })));
  }

  @Test
  void closeReleasesTheClientAndLaterRunsStillWork(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, req -> req.response().end("ok")).compose(port -> {
      Probe first = probe(vertx, url(port, "/"));
      Probe second = probe(vertx, url(port, "/"));
      // Both share one client; closing one must leave the other's working.
      return first.run().compose(r -> second.run()).compose(r -> first.close()).compose(v -> second.run());
    }).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      ctx.completeNow();
    })));
  }

  // ---- TLS --------------------------------------------------------------------------------------

  @Test
  void selfSignedCertificateFailsByDefaultAndPassesWhenTrusted(Vertx vertx, VertxTestContext ctx) {
    HttpServerOptions tls = new HttpServerOptions().setSsl(true).setKeyCertOptions(
        new PemKeyCertOptions().setCertPath(cert.certPem().toString()).setKeyPath(cert.keyPem().toString()));
    vertx.createHttpServer(tls).requestHandler(req -> req.response().end("secure ok"))
        .listen(0, "127.0.0.1").map(HttpServer::actualPort)
        .compose(port -> {
          String url = "url = \"https://127.0.0.1:" + port + "/\"\nexpect.body-contains = secure\n";
          // Generous: the first TLS handshake in a fresh JVM warms up JSSE for about a second.
          Duration slow = Duration.ofSeconds(8);
          return Future.all(
              probe(vertx, url, slow).run(),
              probe(vertx, url + "tls.trust = any", slow).run(),
              probe(vertx, url + "tls.ca = \"" + cert.certPem() + "\"", slow).run());
        })
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult verified = all.resultAt(0);
          ProbeResult any = all.resultAt(1);
          ProbeResult ca = all.resultAt(2);
          assertThat(verified.status()).isEqualTo(Status.CRITICAL);
          assertThat(verified.message()).contains("TLS handshake with 127.0.0.1:").contains("certificate not trusted");
          assertThat(any.status()).as(any.message()).isEqualTo(Status.OK);
          assertThat(ca.status()).as(ca.message()).isEqualTo(Status.OK);
          ctx.completeNow();
        })));
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ProbeType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("http"))
        .singleElement()
        .isInstanceOf(HttpProbeType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("""
        url = "https://example.org/health?full=1"
        method = POST
        headers { Authorization = "Bearer x", X-Request-Id = medic }
        body = "{}"
        expect { status = [200, 204], body-contains = UP, json { "/status" = UP, "/db/ok" = true, "/n" = 1 } }
        follow-redirects = true
        keep-alive = false
        tls { trust = system, ca = "%s" }
        """.formatted(cert.certPem()));
    new HttpProbeType().create(s, context(null, TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "http://my_app:8080/health", "https://[::1]:8443/ready", "HTTP://Example.org", "http://127.0.0.1/?a=b&c=d"})
  void urlsOperatorsUseAreAccepted(String url) {
    assertThat(problems("url = \"" + url + "\"")).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      method = GET                                               | medic.checks.test.url                 | missing (a value is required)
      url = "ftp://example.org/"                                 | medic.checks.test.url                 | "ftp://example.org/" is not an http or https URL
      url = "http://"                                            | medic.checks.test.url                 | is not a valid URL
      url = "http://exa mple.org/"                               | medic.checks.test.url                 | is not a valid URL
      url = "http:///health"                                     | medic.checks.test.url                 | has no host
      url = "http://127.0.0.1:70000/"                            | medic.checks.test.url                 | has port 70000 (expected 1 to 65535)
      url = "http://127.0.0.1/", method = FETCH                  | medic.checks.test.method              | "FETCH" is not allowed (expected one of: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH)
      url = "http://127.0.0.1/", expect { stauts = [200] }       | medic.checks.test.expect.stauts       | unknown key (did you mean "status"?)
      url = "http://127.0.0.1/", expect { status = [200, 999] }  | medic.checks.test.expect.status       | "999" is not allowed (expected whole numbers from 100 to 599)
      url = "http://127.0.0.1/", expect { status = [] }          | medic.checks.test.expect.status       | is empty
      url = "http://127.0.0.1/", expect.json { status = UP }     | medic.checks.test.expect.json.status  | "status" is not a JSON Pointer (expected e.g. "/status")
      url = "http://127.0.0.1/", expect.json { "/a" = {b = 1} }  | medic.checks.test.expect.json."/a"    | is an object (expected a string, number or boolean
      url = "http://127.0.0.1/", method = HEAD, expect.body-contains = ok | medic.checks.test.expect.body-contains | cannot be checked with method HEAD
      url = "http://127.0.0.1/", tls.trust = maybe               | medic.checks.test.tls.trust           | "maybe" is not allowed (expected one of: system, any)
      url = "http://127.0.0.1/", tls.ca = "/nonexistent/ca.pem"  | medic.checks.test.tls.ca              | "/nonexistent/ca.pem" does not exist
      url = "http://127.0.0.1/", tls { trust = any, ca = "/x" }  | medic.checks.test.tls.ca              | has no effect with trust = any
      url = "http://127.0.0.1/", headers { "Bad Name" = x }      | medic.checks.test.headers."Bad Name"  | is not a valid header name
      url = "http://127.0.0.1/", follow-redirects = sometimes    | medic.checks.test.follow-redirects    | "sometimes" is not a boolean
      url = "http://127.0.0.1/", tiemout = 1s                    | medic.checks.test.tiemout             | unknown key
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    List<ConfigProblem> problems = problems(hocon);
    assertThat(problems).anySatisfy(p -> {
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
    assertThat(problems).anySatisfy(p -> assertThat(p.path()).isEqualTo("medic.checks.test.headers.X-Token"));
  }

  @Test
  void creatingAProbeOpensNothing(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    new HttpProbeType().create(TestSettings.of(url(hung.port(), "/")), context(vertx, TIMEOUT));
    // A connection would be accepted within milliseconds; give it ample time to show up.
    vertx.setTimer(300, id -> ctx.verify(() -> {
      assertThat(hung.accepted()).isZero();
      hung.close();
      ctx.completeNow();
    }));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /**
   * Three runs a little apart, as a scheduler makes them: a run chained straight onto the end of
   * the previous response would ask for a connection before the pool has it back.
   */
  private static Future<Void> threeRuns(Vertx vertx, Probe probe) {
    return probe.run()
        .compose(r -> vertx.timer(50)).compose(t -> probe.run())
        .compose(r -> vertx.timer(50)).compose(t -> probe.run())
        .mapEmpty();
  }

  private static List<ConfigProblem> problems(String hocon) {
    Settings s = TestSettings.of(hocon);
    new HttpProbeType().create(s, context(null, TIMEOUT));
    s.reportUnknownKeys();
    return s.problems().sorted();
  }

  private static String url(int port, String path) {
    return "url = \"http://127.0.0.1:" + port + path + "\"";
  }

  private static Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, TIMEOUT);
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(Vertx vertx, String hocon, Duration timeout) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new HttpProbeType().create(s, context(vertx, timeout));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> { });
  }

  private static Future<Integer> serve(Vertx vertx, Handler<HttpServerRequest> handler) {
    return vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1").map(HttpServer::actualPort);
  }
}
