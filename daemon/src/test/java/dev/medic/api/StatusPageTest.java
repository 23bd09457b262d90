package dev.medic.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeTypes;
import dev.medic.recovery.ActionTypes;
import dev.medic.testing.Chromium;
import dev.medic.testing.HungServer;
import dev.medic.testing.ServerActionType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The operator page in a real headless Chromium against a real daemon: a disk check, a TCP check
 * of a server the test runs (ok) and one of a port nobody listens on (critical) whose action does
 * not fix it, so its budget runs out. The page must list them, render to a real picture, and its
 * buttons must send the token it asks for — and show medic's words when refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusPageTest {

  private static final String TOKEN = "page-test-token-7f3a";
  private static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

  @TempDir
  static Path tmp;

  private final ServerActionType actions = new ServerActionType();
  private Vertx vertx;
  private MedicMetrics metrics;
  private Daemon daemon;
  private NetServer cache;
  private Chromium chromium;
  private String base;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    metrics.bindJvm();
    vertx = Daemon.newVertx(metrics);
    cache = join(vertx.createNetServer().connectHandler(s -> s.close()).listen(0, "127.0.0.1"));
    int nobody = HungServer.freePort();
    MedicConfig cfg = new ConfigLoader(ProbeTypes.discover(), ActionTypes.of(actions), vertx).loadString("""
        medic {
          instance = "shop-1"
          http { port = 0, token = "%s" }
          journal.dir = "%s"
          startup-spread = 0s
          fall = 1
          rise = 1
          retry-interval = 300ms
          interval = 1s
          timeout = 500ms
          checks {
            root  { type = disk, path = "/", description = "system disk" }
            cache { type = tcp, host = "127.0.0.1", port = %d }
            db    { type = tcp, host = "127.0.0.1", port = %d, on-critical = [restart-db],
                    description = "orders database" }
          }
          actions {
            restart-db { type = start-server, fixes = false, max-attempts = 2, within = 1h,
                         backoff { initial = 200ms, max = 200ms }, grace = 100ms, cooldown = 1s }
          }
        }
        """.formatted(TOKEN, tmp.resolve("journal"), cache.actualPort(), nobody), "status-page-test.conf");
    daemon = join(Daemon.start(vertx, cfg, metrics));
    base = "http://127.0.0.1:" + daemon.apiPort();
    chromium = Chromium.find(Files.createDirectories(tmp.resolve("chromium")));
    await("db's recovery exhausted", 20_000, () -> {
      JsonObject v = daemon.recovery().view("db");
      return daemon.ready() && v != null && "exhausted".equals(v.getString("state"));
    });
  }

  @AfterAll
  void stop() {
    if (daemon != null) {
      join(daemon.stop());
    }
    if (vertx != null) {
      join(actions.stopServers());
      join(cache.close());
      join(vertx.close());
    }
    if (metrics != null) {
      metrics.close();
    }
  }

  @ParameterizedTest(name = "Accept: {0} → html {1}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      -                                                                    | false
      */*                                                                  | false
      application/json                                                     | false
      text/html                                                            | true
      text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8      | true
      application/json, text/html;q=0.5                                    | false
      text/html;q=0.9, application/json                                    | false
      text/html;q=0                                                        | false
      TEXT/HTML                                                            | true
      application/json;q=0.2, text/html                                    | true
      """)
  void browsersGetThePageEverythingElseJson(String accept, boolean html) {
    assertThat(StatusPage.prefersHtml(accept)).isEqualTo(html);
  }

  @Test
  void jsonStaysTheDefaultAndBrowsersGetOneSelfContainedPage() throws Exception {
    for (String accept : new String[] {null, "*/*", "application/json"}) {
      HttpResponse<String> r = get("/status", accept);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
      assertThat(new JsonObject(r.body()).getString("instance")).isEqualTo("shop-1");
    }
    HttpResponse<String> page = get("/status", BROWSER_ACCEPT);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("vary")).hasValue("Accept");
    assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(csp ->
        assertThat(csp).contains("default-src 'none'", "connect-src 'self'"));
    // Nothing from elsewhere: no CDN, no external script, style or font.
    assertThat(page.body()).doesNotContainPattern("(src|href)=\"(https?:)?//").doesNotContain("@import");
    assertThat(page.body()).contains("EventSource('/events')", "\"instance\":\"shop-1\"");
    assertThat(page.body()).doesNotContain(TOKEN);
  }

  @Test
  void embeddedStatusCannotCloseTheScriptItSitsIn() {
    StatusPage page = StatusPage.load();
    String html = page.render(new JsonObject().put("message", "</script><img src=x onerror=alert(1)>")).toString();
    assertThat(html).doesNotContain("</script><img").contains("\\u003c/script\\u003e\\u003cimg");
  }

  @Test
  void chromiumListsEveryCheckAndRendersAPicture() throws Exception {
    String dom = chromium.dumpDom(base + "/status");
    assertThat(dom).contains("data-check=\"root\"", "data-check=\"cache\"", "data-check=\"db\"");
    assertThat(dom).contains("orders database", "recovery exhausted", "Run restart-db", "shop-1");
    assertThat(dom).contains("<svg class=\"spark\"");

    Path png = tmp.resolve("status.png");
    chromium.screenshot(base + "/status", png);
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes.length).as("a PNG with something on it").isGreaterThan(20_000);
    assertThat(List.of(bytes[0], bytes[1], bytes[2], bytes[3])).containsExactly((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    ByteBuffer ihdr = ByteBuffer.wrap(bytes, 16, 8);
    assertThat(ihdr.getInt()).as("width").isGreaterThanOrEqualTo(800);
    assertThat(ihdr.getInt()).as("height").isGreaterThanOrEqualTo(400);
  }

  /**
   * A scrape with every kind of medic meter in it, recovery included (the jar alone has no action
   * types yet): .ci/verify-packaging.sh checks the Grafana dashboard's metric names against it.
   */
  @Test
  void aScrapeForTheDashboardCheck() throws Exception {
    HttpResponse<String> scrape = get("/metrics", null);
    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body()).contains("medic_check_status{", "medic_probe_duration_seconds_bucket{",
        "medic_probes_total{", "medic_check_measurement{", "medic_scheduler_lag_seconds",
        "medic_recovery_attempts_total{", "medic_recovery_budget_remaining{", "jvm_memory_used_bytes{",
        "process_cpu_usage", "process_uptime_seconds");
    Files.writeString(Path.of("target", "metrics-scrape.txt"), scrape.body());
  }

  @Test
  void theRequestsThePageMakesNeedTheToken() throws Exception {
    // As api() in status.html sends them: Accept JSON, Authorization: Bearer, JSON bodies.
    HttpResponse<String> none = control("POST", "/checks/db/run", null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(none.body()).getString("error")).isEqualTo("missing Authorization: Bearer token");
    HttpResponse<String> wrong = control("POST", "/checks/db/run", "nope", null);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(wrong.body()).getString("error")).isEqualTo("wrong token");

    HttpResponse<String> run = control("POST", "/checks/db/run", TOKEN, null);
    assertThat(run.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(run.body()).getString("status")).isEqualTo("critical");
    HttpResponse<String> window = control("POST", "/maintenance", TOKEN,
        new JsonObject().put("checks", List.of("db")).put("duration", "5m").put("reason", "page test"));
    assertThat(window.statusCode()).isEqualTo(201);
    String id = new JsonObject(window.body()).getString("id");
    assertThat(control("DELETE", "/maintenance/" + id, TOKEN, null).statusCode()).isEqualTo(204);
    assertThat(control("DELETE", "/maintenance/" + id, null, null).statusCode()).isEqualTo(401);
  }

  @Test
  void aClickThroughInChromium() throws Exception {
    AtomicReference<String> answer = new AtomicReference<>("not-the-token");
    AtomicInteger prompts = new AtomicInteger();
    try (Chromium.Session page = chromium.open(base + "/status")) {
      page.on("Page.javascriptDialogOpening", d -> {
        prompts.incrementAndGet();
        page.send("Page.handleJavaScriptDialog", new JsonObject().put("accept", true).put("promptText", answer.get()));
      });
      page.call("Page.enable", new JsonObject());
      page.waitFor("document.querySelector('tr[data-check=\"db\"]')", Duration.ofSeconds(15));
      page.waitFor("document.getElementById('live').className === 'on'", Duration.ofSeconds(10));

      // A wrong token: refused, medic's words shown, the token forgotten so the next click asks again.
      page.click("button[data-run=\"db\"]");
      page.waitFor("document.getElementById('notice').textContent.includes('401')", Duration.ofSeconds(10));
      assertThat(page.eval("document.getElementById('notice').textContent")).asString()
          .contains("run db refused", "wrong token");
      assertThat(page.eval("sessionStorage.getItem('medic.token')")).isNull();

      answer.set(TOKEN);
      page.click("button[data-reset=\"db\"]");
      page.waitFor("document.getElementById('notice').textContent.includes('budget of db reset')", Duration.ofSeconds(10));
      assertThat(prompts.get()).isEqualTo(2);

      int runsBefore = actions.runs().size();
      page.click("button[data-action=\"restart-db\"][data-check=\"db\"]");
      page.waitFor("document.getElementById('notice').textContent.startsWith('run restart-db:')", Duration.ofSeconds(10));
      assertThat(actions.runs().size()).isGreaterThan(runsBefore);
      assertThat(prompts.get()).as("the token is kept for the tab").isEqualTo(2);

      page.eval("document.getElementById('maint-checks').value = 'db'; document.getElementById('maint-reason').value = 'schema migration'");
      page.click("#maint-start");
      page.waitFor("document.querySelector('tr[data-window]')", Duration.ofSeconds(10));
      // The SSE stream brings the attempts in; the picture for docs/status-page.md shows them.
      page.waitFor("document.querySelectorAll('#attempts tbody tr').length >= 2", Duration.ofSeconds(10));
      page.eval("window.scrollTo(0, 0)");
      page.call("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", 1400).put("height", 900)
          .put("deviceScaleFactor", 1).put("mobile", false));
      Path shot = Path.of("target", "status-page.png");
      Files.write(shot, page.screenshot());
      assertThat(Files.size(shot)).isGreaterThan(20_000);

      page.click("button[data-end]");
      page.waitFor("!document.querySelector('tr[data-window]')", Duration.ofSeconds(10));
      assertThat(page.eval("document.getElementById('notice').textContent")).asString().startsWith("end maintenance");
    }
  }

  private HttpResponse<String> get(String path, String accept) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
    if (accept != null) {
      b.header("Accept", accept);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> control(String method, String path, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .header("Accept", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static <T> T join(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().join();
  }

  private static void await(String what, long ms, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(50);
    }
  }
}
