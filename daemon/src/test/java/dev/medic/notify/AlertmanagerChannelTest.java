package dev.medic.notify;

import static dev.medic.testing.TestEvents.critical;
import static dev.medic.testing.TestEvents.daemonStarted;
import static dev.medic.testing.TestEvents.exhausted;
import static dev.medic.testing.TestEvents.resolved;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.File;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against the real Alertmanager binary (Debian package {@code prometheus-alertmanager}, or the
 * path in {@code MEDIC_ALERTMANAGER_BIN}), started once for the class on 127.0.0.1 with clustering
 * off and its storage in a temporary directory. Each test uses its own check names, so tests do not
 * see each other's alerts.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class AlertmanagerChannelTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  /** How long Alertmanager may take to show what it was sent: generous, the machine is shared. */
  private static final long SETTLE_MS = 20_000;

  @TempDir
  static Path dir;

  private static Process alertmanager;
  private static int port;
  private static HttpClientAgent api;

  @BeforeAll
  static void startAlertmanager(Vertx vertx, VertxTestContext ctx) throws Exception {
    String binary = binary();
    port = HungServer.freePort();
    Path config = dir.resolve("alertmanager.yml");
    Files.writeString(config, """
        route:
          receiver: blackhole
        receivers:
          - name: blackhole
        """);
    Path log = dir.resolve("alertmanager.log");
    alertmanager = new ProcessBuilder(binary,
        "--config.file=" + config,
        "--storage.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port,
        "--cluster.listen-address=",
        "--log.level=warn")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    // Should the JVM end without @AfterAll, the server must not outlive it.
    Runtime.getRuntime().addShutdownHook(new Thread(alertmanager::destroyForcibly));
    api = vertx.createHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    poll(vertx, () -> get("/-/ready").map(r -> r.statusCode() == 200).otherwise(false), ready -> ready, deadline)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            ctx.completeNow();
          } else {
            ctx.failNow(new AssertionError("alertmanager did not become ready on 127.0.0.1:" + port
                + " (exited: " + !alertmanager.isAlive() + "); its log: " + read(log)));
          }
        });
  }

  @AfterAll
  static void stopAlertmanager() throws Exception {
    if (alertmanager != null) {
      alertmanager.destroy();
      if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) {
        alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aFiringAlertIsActiveWithItsLabels(Vertx vertx, VertxTestContext ctx) {
    Event e = critical("f1", "fire-app", Instant.now());
    channel(vertx, "labels { team = ops, env = prod }\ngenerator-url = \"http://127.0.0.1:9779/status\"")
        .send(List.of(e))
        .compose(v -> until(vertx, "fire-app", alerts -> alerts.size() == 1))
        .onComplete(ctx.succeeding(alerts -> ctx.verify(() -> {
          JsonObject alert = alerts.getJsonObject(0);
          assertThat(alert.getJsonObject("labels").getMap()).isEqualTo(Map.of(
              "alertname", "MedicCheckFailing", "check", "fire-app", "severity", "critical", "instance", "web-1",
              "team", "ops", "env", "prod"));
          assertThat(alert.getJsonObject("annotations").getMap()).isEqualTo(Map.of(
              "summary", "CRITICAL fire-app: connect 127.0.0.1:3000 refused",
              "description", "connect 127.0.0.1:3000 refused"));
          assertThat(alert.getJsonObject("status").getString("state")).isEqualTo("active");
          assertThat(alert.getString("generatorURL")).isEqualTo("http://127.0.0.1:9779/status");
          assertThat(Instant.parse(alert.getString("startsAt"))).isEqualTo(e.at().truncatedTo(ChronoUnit.MILLIS));
          ctx.completeNow();
        })));
  }

  @Test
  void aSharedCheckFromTwoInstancesIsOneAlertALocalOneIsTwo(Vertx vertx, VertxTestContext ctx) {
    Instant at = Instant.now();
    Event shared1 = withInstance(critical("sh1", "shared-db", at), "web-1", "shared");
    Event shared2 = withInstance(critical("sh2", "shared-db", at), "web-2", "shared");
    Event local1 = withInstance(critical("lo1", "local-disk", at), "web-1", null);
    Event local2 = withInstance(critical("lo2", "local-disk", at), "web-2", null);
    Channel channel = channel(vertx, "");
    channel.send(List.of(shared1, local1))
        .compose(v -> channel.send(List.of(shared2, local2)))
        .compose(v -> until(vertx, "local-disk", alerts -> alerts.size() == 2))
        .compose(local -> until(vertx, "shared-db", alerts -> alerts.size() == 1))
        .onComplete(ctx.succeeding(shared -> ctx.verify(() -> {
          JsonObject alert = shared.getJsonObject(0);
          assertThat(alert.getJsonObject("labels").getMap()).doesNotContainKey("instance");
          assertThat(alert.getJsonObject("annotations").getString("instance")).isIn("web-1", "web-2");
          ctx.completeNow();
        })));
  }

  private static Event withInstance(Event e, String instance, String scope) {
    JsonObject details = e.details().copy();
    if (scope != null) {
      details.put("scope", scope);
    }
    return new Event(e.id(), e.kind(), e.check(), e.severity(), e.status(), e.previous(), e.message(), e.title(),
        instance, e.at(), details);
  }

  @Test
  void aResolvedEventEndsTheFiringAlert(Vertx vertx, VertxTestContext ctx) {
    Channel channel = channel(vertx, "");
    channel.send(List.of(critical("r1", "res-app", Instant.now())))
        .compose(v -> until(vertx, "res-app", alerts -> alerts.size() == 1))
        .compose(firing -> channel.send(List.of(resolved("r2", "res-app", "critical", Instant.now()))))
        .compose(v -> until(vertx, "res-app", JsonArray::isEmpty))
        .onComplete(ctx.succeeding(active -> ctx.verify(() -> {
          assertThat(active).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void aChangeOfSeverityEndsTheAlertOfTheOldOne(Vertx vertx, VertxTestContext ctx) {
    Channel channel = channel(vertx, "");
    Event warning = new Event("s2", "state", "sev-app", "warning", "warning", "critical", "latency 1.2s ≥ warning 1s",
        "WARNING sev-app: latency 1.2s ≥ warning 1s", "web-1", Instant.now(), new JsonObject());
    channel.send(List.of(critical("s1", "sev-app", Instant.now())))
        .compose(v -> until(vertx, "sev-app", alerts -> alerts.size() == 1))
        .compose(firing -> channel.send(List.of(warning)))
        .compose(v -> until(vertx, "sev-app", alerts -> alerts.size() == 1
            && "warning".equals(alerts.getJsonObject(0).getJsonObject("labels").getString("severity"))))
        .onComplete(ctx.succeeding(active -> ctx.verify(() -> {
          assertThat(active).hasSize(1);
          ctx.completeNow();
        })));
  }

  @Test
  void recoveryExhaustedIsItsOwnAlertAndEndsWithTheCheck(Vertx vertx, VertxTestContext ctx) {
    Channel channel = channel(vertx, "");
    channel.send(List.of(critical("x1", "ex-app", Instant.now()), exhausted("x2", "ex-app")))
        .compose(v -> until(vertx, "ex-app", alerts -> alerts.size() == 2))
        .compose(firing -> {
          ctx.verify(() -> assertThat(firing.stream().map(a -> ((JsonObject) a).getJsonObject("labels")
              .getString("alertname"))).containsExactlyInAnyOrder("MedicCheckFailing", "MedicRecoveryExhausted"));
          return channel.send(List.of(resolved("x3", "ex-app", "critical", Instant.now())));
        })
        .compose(v -> until(vertx, "ex-app", JsonArray::isEmpty))
        .onComplete(ctx.succeeding(active -> ctx.completeNow()));
  }

  @Test
  void aWrongPathIsNotDelivered(Vertx vertx, VertxTestContext ctx) {
    Settings s = TestSettings.of("url = \"http://127.0.0.1:" + port + "/not-alertmanager\"");
    new AlertmanagerChannelType().create(s, new ChannelContext(vertx, "am", TIMEOUT))
        .send(List.of(critical("w1", "wrong-app", Instant.now())))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).startsWith("POST http://127.0.0.1:" + port
              + "/not-alertmanager/api/v2/alerts → status 404 (expected 2xx)");
          ctx.completeNow();
        })));
  }

  @Test
  void aRefusedConnectionIsNotDelivered(Vertx vertx, VertxTestContext ctx) throws Exception {
    int closed = HungServer.freePort();
    new AlertmanagerChannelType().create(TestSettings.of("url = \"http://127.0.0.1:" + closed + "\""),
            new ChannelContext(vertx, "am", TIMEOUT))
        .send(List.of(critical("c1", "conn-app", Instant.now())))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).isEqualTo("POST http://127.0.0.1:" + closed + "/api/v2/alerts → connect 127.0.0.1:"
              + closed + " refused");
          ctx.completeNow();
        })));
  }

  @Test
  void eventsThatAreNoConditionSendNothing(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    Event step = new Event("p1", "recovery", "app", "info", "critical", null, "running restart-app",
        "INFO app: running restart-app", "web-1", Instant.now(), new JsonObject().put("event", "started"));
    new AlertmanagerChannelType().create(TestSettings.of("url = \"http://127.0.0.1:" + hung.port() + "\""),
            new ChannelContext(vertx, "am", TIMEOUT))
        .send(List.of(daemonStarted("d1"), step))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(hung.accepted()).isZero();
          hung.close();
          ctx.completeNow();
        })));
  }

  @Test
  void aResolutionCarriesTheLabelsOfTheAlertItEnds() {
    Instant at = Instant.parse("2025-03-01T12:01:00Z");
    JsonArray alerts = AlertmanagerChannel.alerts(List.of(resolved("r1", "db", "warning", at)), Map.of(),
        Optional.empty());
    assertThat(alerts.getJsonObject(0)).isEqualTo(new JsonObject()
        .put("labels", new JsonObject().put("alertname", "MedicCheckFailing").put("check", "db")
            .put("severity", "warning").put("instance", "web-1"))
        .put("annotations", new JsonObject().put("summary", "OK db: GET http://127.0.0.1:3000/health → 200 in 3 ms")
            .put("description", "GET http://127.0.0.1:3000/health → 200 in 3 ms"))
        .put("startsAt", "2025-03-01T12:01:00Z")
        .put("endsAt", "2025-03-01T12:01:00Z"));
    assertThat(alerts.getJsonObject(1).getJsonObject("labels").getString("alertname"))
        .isEqualTo("MedicRecoveryExhausted");
    assertThat(AlertmanagerChannel.alerts(List.of(critical("c1", "app")), Map.of(), Optional.empty())
        .getJsonObject(0).containsKey("endsAt")).isFalse();
  }

  @Test
  void foundByItsTypeName() {
    assertThat(ChannelTypes.discover().find("alertmanager")).get().isInstanceOf(AlertmanagerChannelType.class);
  }

  // ---- configuration ---------------------------------------------------------------------------

  @Test
  void everyKeyIsAccepted() throws Exception {
    Settings s = TestSettings.of("""
        url = "https://am.example.org:9093/prefix/"
        labels { team = ops }
        generator-url = "http://127.0.0.1:9779/status"
        tls.trust = any
        """);
    new AlertmanagerChannelType().create(s, new ChannelContext(null, "am", TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      labels { team = ops }                                          | medic.checks.test.url                 | missing (a value is required)
      url = "http://127.0.0.1:9093/api/v2/alerts"                    | medic.checks.test.url                 | ends with /api/v2/alerts (expected Alertmanager's base URL
      url = "http://127.0.0.1:9093", labels { severity = high }      | medic.checks.test.labels.severity     | is set by medic on every alert
      url = "http://127.0.0.1:9093", labels { 1team = ops }          | medic.checks.test.labels.1team        | is not a valid label name
      url = "http://127.0.0.1:9093", labels { "a.b" = ops }          | medic.checks.test.labels."a.b"        | is not a valid label name
      url = "http://127.0.0.1:9093", labels { team = "" }            | medic.checks.test.labels.team         | is empty
      url = "http://127.0.0.1:9093", generator-url = "status"        | medic.checks.test.generator-url       | "status" is not an http or https URL
      url = "http://127.0.0.1:9093", tls.trust = none                | medic.checks.test.tls.trust           | "none" is not allowed (expected one of: system, any)
      url = "http://127.0.0.1:9093", lables { team = ops }           | medic.checks.test.lables              | unknown key (did you mean "labels"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new AlertmanagerChannelType().create(s, new ChannelContext(null, "am", TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** The Alertmanager binary, or a failure that says how to install it: this test is never skipped. */
  private static String binary() {
    String configured = System.getenv("MEDIC_ALERTMANAGER_BIN");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    Stream<Path> onPath = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(d -> !d.isEmpty())
        .flatMap(d -> Stream.of(Path.of(d, "prometheus-alertmanager"), Path.of(d, "alertmanager")));
    return Stream.concat(Stream.of(Path.of("/usr/bin/prometheus-alertmanager")), onPath)
        .filter(Files::isExecutable).findFirst().map(Path::toString)
        .orElseGet(() -> fail("the alertmanager binary is missing: install the Debian package prometheus-alertmanager "
            + "(apt-get install -y prometheus-alertmanager, which installs /usr/bin/prometheus-alertmanager) "
            + "or set MEDIC_ALERTMANAGER_BIN to its path"));
  }

  private static Channel channel(Vertx vertx, String extra) {
    Settings s = TestSettings.of("url = \"http://127.0.0.1:" + port + "\"\n" + extra);
    Channel channel = new AlertmanagerChannelType().create(s, new ChannelContext(vertx, "am", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return channel;
  }

  /** The active alerts of {@code check}, once they satisfy {@code done}. */
  private static Future<JsonArray> until(Vertx vertx, String check, Predicate<JsonArray> done) {
    String filter = URLEncoder.encode("check=\"" + check + "\"", StandardCharsets.UTF_8);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
    JsonArray[] last = {new JsonArray()};
    return poll(vertx, () -> get("/api/v2/alerts?active=true&filter=" + filter)
            .compose(HttpClientResponse::body)
            .map(body -> last[0] = body.toJsonArray()), done, deadline)
        .recover(e -> Future.failedFuture(new AssertionError(
            "alerts of " + check + " did not reach the expected state within " + SETTLE_MS + " ms; last seen: "
                + last[0].encodePrettily())));
  }

  /** Asks {@code ask} every 100 ms until its answer passes {@code done} or the deadline passes. */
  private static <T> Future<T> poll(Vertx vertx, java.util.function.Supplier<Future<T>> ask, Predicate<T> done,
      long deadlineNanos) {
    Promise<T> result = Promise.promise();
    ask.get().onComplete(ar -> {
      if (ar.succeeded() && done.test(ar.result())) {
        result.complete(ar.result());
      } else if (System.nanoTime() > deadlineNanos) {
        result.fail(ar.failed() ? ar.cause() : new AssertionError("last answer: " + ar.result()));
      } else {
        vertx.setTimer(100, id -> poll(vertx, ask, done, deadlineNanos).onComplete(result));
      }
    });
    return result.future();
  }

  private static Future<HttpClientResponse> get(String uri) {
    return api.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(uri))
        .compose(req -> req.send());
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (Exception e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
