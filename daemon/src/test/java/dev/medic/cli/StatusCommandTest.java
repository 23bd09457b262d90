package dev.medic.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.Plugins;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeTypes;
import dev.medic.recovery.ActionTypes;
import dev.medic.testing.HungServer;
import dev.medic.testing.ServerActionType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code medic status} and {@code medic health} against a real daemon on a loopback port. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusCommandTest {

  private static final String TOKEN = "status-cli-token";

  @TempDir
  static Path tmp;

  private final ServerActionType actions = new ServerActionType();
  private Vertx vertx;
  private Daemon daemon;
  private String url;

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    MedicConfig cfg = new ConfigLoader(ProbeTypes.discover(), ActionTypes.of(actions), vertx).loadString("""
        medic {
          instance = "cli-test"
          http { port = 0, token = "%s" }
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          retry-interval = 300ms
          checks {
            root { type = disk, path = "/" }
            db   { type = tcp, host = "127.0.0.1", port = %d, timeout = 500ms, on-critical = [restart-db] }
          }
          actions {
            restart-db { type = start-server, fixes = false, max-attempts = 1, grace = 100ms }
          }
        }
        """.formatted(TOKEN, tmp.resolve("journal"), HungServer.freePort()), "status-cli-test.conf");
    daemon = join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
    url = "http://127.0.0.1:" + daemon.apiPort();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!(daemon.ready() && daemon.recovery().view("db") != null
        && "exhausted".equals(daemon.recovery().view("db").getString("state")))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("db never exhausted its budget: " + daemon.recovery().view("db"));
      }
      Thread.sleep(50);
    }
    HttpResponse<String> window = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/maintenance"))
        .header("authorization", "Bearer " + TOKEN).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"checks\": [\"db\"], \"duration\": \"1h\", \"reason\": \"disk swap\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(window.statusCode()).isEqualTo(201);
  }

  @AfterAll
  void stop() {
    if (daemon != null) {
      join(daemon.stop());
    }
    if (vertx != null) {
      join(actions.stopServers());
      join(vertx.close());
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true),
        new Plugins(ProbeTypes.discover(), ActionTypes.of()));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void statusPrintsChecksRecoveryMaintenanceAndAttempts() {
    Run r = cli("status", "--url", url);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.out()).startsWith("medic cli-test: CRITICAL — ready, 2 checks: 1 ok, 1 critical");
    assertThat(r.out()).contains("CHECK", "RECOVERY", "root", "disk");
    assertThat(r.out()).containsPattern("db +tcp +critical +\\d+s ago .*exhausted \\(restart-db 0/1 left\\)");
    assertThat(r.out()).contains("in maintenance until", "(disk swap)");
    assertThat(r.out()).contains("MAINTENANCE WINDOWS", "RECENT RECOVERY ATTEMPTS", "restart-db", "failure");
    // Not a terminal here: no escape codes unless asked for.
    assertThat(r.out()).doesNotContain("\u001b[");
  }

  @Test
  void colourWhenAskedForAndJsonAsSent() {
    Run coloured = cli("status", "--url", url, "--color", "always");
    assertThat(coloured.out()).contains(StatusReport.RED + "critical" + StatusReport.RESET,
        StatusReport.GREEN + "ok" + StatusReport.RESET);
    Run json = cli("status", "--url", url, "--json");
    assertThat(json.code()).isEqualTo(2);
    JsonObject doc = new JsonObject(json.out());
    assertThat(doc.getString("instance")).isEqualTo("cli-test");
    assertThat(doc.getJsonArray("maintenance")).hasSize(1);
    assertThat(cli("status", "--url", url, "--color", "sometimes").code()).isEqualTo(64);
  }

  @ParameterizedTest(name = "--color {0}, console {1}, TERM={2}, NO_COLOR={3} → {4}")
  @CsvSource(nullValues = "-", textBlock = """
      auto,   true,  xterm-256color, -,  true
      auto,   false, xterm-256color, -,  false
      auto,   true,  dumb,           -,  false
      auto,   true,  -,              -,  false
      auto,   true,  xterm,          1,  false
      auto,   true,  xterm,          '', true
      always, false, dumb,           1,  true
      never,  true,  xterm,          -,  false
      """)
  void colourOnlyOnARealTerminal(String when, boolean console, String term, String noColour, boolean expected) {
    Map<String, String> env = new HashMap<>();
    if (term != null) {
      env.put("TERM", term);
    }
    if (noColour != null) {
      env.put("NO_COLOR", noColour);
    }
    assertThat(StatusReport.colour(when, console, env)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"0, 0s", "59, 59s", "61, 1m 1s", "3600, 1h", "3725, 1h 2m", "90000, 1d 1h", "172805, 2d"})
  void agesInTheTwoLargestUnits(long seconds, String text) {
    assertThat(StatusReport.human(Duration.ofSeconds(seconds))).isEqualTo(text);
    assertThat(StatusReport.ago(Instant.EPOCH.toString(), Instant.EPOCH.plusSeconds(seconds))).isEqualTo(text + " ago");
  }

  @Test
  void healthExitsZeroOnlyWhenHealthAnswers200() throws Exception {
    Run ok = cli("health", "--url", url);
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("/health answered 200");

    HttpServer sick = join(vertx.createHttpServer()
        .requestHandler(req -> req.response().setStatusCode(503).end("{\"status\":\"down\"}")).listen(0, "127.0.0.1"));
    try {
      Run down = cli("health", "--url", "http://127.0.0.1:" + sick.actualPort(), "--quiet");
      assertThat(down.code()).isEqualTo(1);
      assertThat(down.out() + down.err()).isEmpty();
    } finally {
      join(sick.close());
    }
    Run nobody = cli("health", "--url", "http://127.0.0.1:" + HungServer.freePort(), "--timeout", "2");
    assertThat(nobody.code()).isEqualTo(1);
    assertThat(nobody.err()).contains("cannot reach");
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }
}
