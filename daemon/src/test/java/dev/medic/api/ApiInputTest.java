package dev.medic.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.recovery.ActionTypes;
import dev.medic.recovery.Journal;
import dev.medic.recovery.JournalKinds;
import dev.medic.testing.Await;
import dev.medic.testing.FakeActionTypes;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the API answers to odd input, request by request over a raw socket (so that nothing
 * cleans up a malformed URL on the way), against one real daemon: every refusal is a 4xx with a
 * JSON error, never a 500, and a refused request changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiInputTest {

  private static final String TOKEN = "input-test-token";
  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private Vertx vertx;
  private Daemon daemon;
  /** What the API logs: a client's mistake must never be an ERROR (nor carry a stack trace). */
  private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
      new ch.qos.logback.core.read.ListAppender<>();

  @TempDir
  static Path journalDir;

  @BeforeAll
  void start() throws Exception {
    logged.start();
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ApiVerticle.class)).addAppender(logged);
    vertx = Vertx.vertx();
    scripted.script("app", i -> Future.succeededFuture(ProbeResult.ok("fine")));
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(scripted), ActionTypes.of(FakeActionTypes.named("noop")), vertx)
        .loadString("""
            medic {
              http { port = 0, token = "%s" }
              startup-spread = 0s
              journal.dir = "%s"
              checks { app { type = scripted, on-critical = [fix] } }
              actions { fix { type = noop } }
            }
            """.formatted(TOKEN, journalDir), "api-input-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, new MedicMetrics(MedicMetrics.newRegistry())));
  }

  @AfterAll
  void stop() {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ApiVerticle.class)).detachAppender(logged);
    Await.join(daemon.stop());
    Await.join(vertx.close());
  }

  /** One raw HTTP/1.1 exchange; the answer's status code and body. */
  record Answer(int status, String head, String body) {}

  private Answer send(String method, String target, String body) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", daemon.apiPort()), 2000);
      s.setSoTimeout(5000);
      byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      String head = method + " " + target + " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n"
          + "authorization: Bearer " + TOKEN + "\r\n"
          + (body == null ? "" : "content-type: application/json\r\ncontent-length: " + payload.length + "\r\n")
          + "\r\n";
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(payload);
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      assertThat(split).as("an HTTP answer to %s %s: %s", method, target, text).isPositive();
      int status = Integer.parseInt(text.substring(9, 12));
      return new Answer(status, text.substring(0, split), text.substring(split + 4));
    }
  }

  /** The maintenance records in the journal file (the engine fsyncs each before it answers). */
  private List<JsonObject> journaled() throws Exception {
    Path f = journalDir.resolve(Journal.FILE);
    if (!Files.exists(f)) {
      return List.of();
    }
    return Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).map(JsonObject::new)
        .filter(r -> JournalKinds.MAINTENANCE.equals(r.getString("kind"))).toList();
  }

  @ParameterizedTest(name = "{0} {1} {2} → {3}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      # method | target | body | status | in the error
      GET    | /status?check=%ZZ                | | 400 | malformed query string
      GET    | /status?check=%                  | | 400 | malformed query string
      GET    | /status?check=app&check=app      | | 400 | give one check
      GET    | /status?check=nope               | | 404 | no check named "nope"
      GET    | /health?x=%ZZ                    | | 400 | malformed query string
      GET    | /checks/%ZZ/run                  | | 400 | malformed request
      POST   | /checks/%ZZ/run                  | | 400 | malformed request
      POST   | /checks/nope/run                 | | 404 | no check named "nope"
      POST   | /checks/%ZZ/reset                | | 400 | malformed request
      POST   | /actions/%ZZ/run                 | | 400 | malformed request
      POST   | /actions/nope/run                | | 404 | no action named "nope"
      POST   | /actions/fix/run | '{"check": 5}'                                     | 400 | check must be a check name (a string), not a number (5)
      POST   | /actions/fix/run | '{"check": "nope"}'                                | 404 | no check named "nope"
      POST   | /actions/fix/run | '{"chek": "app"}'                                  | 400 | unknown field "chek"
      POST   | /actions/fix/run | '[1, 2]'                                           | 400 | the body is not a JSON object
      POST   | /actions/fix/run | '{'                                                | 400 | the body is not a JSON object
      POST   | /maintenance     | '{"checks": ["app"], "until": "+999999999-12-31T23:59:59Z"}' | 400 | the window is too long
      POST   | /maintenance     | '{"checks": ["app"], "until": "2999-01-01T00:00:00Z"}'       | 400 | the window is too long
      POST   | /maintenance     | '{"checks": ["app"], "until": "2000-01-01T00:00:00Z"}'       | 400 | must end in the future
      POST   | /maintenance     | '{"checks": ["app"], "until": "tomorrow"}'                   | 400 | is not an RFC 3339 time
      POST   | /maintenance     | '{"checks": ["app"], "until": 5}'                            | 400 | until must be an RFC 3339 time as a string
      POST   | /maintenance     | '{"checks": ["app"], "duration": "30m", "reason": 5}'        | 400 | reason must be a string, not a number (5)
      POST   | /maintenance     | '{"checks": ["app"], "duration": "30m", "until": "2999-01-01T00:00:00Z"}' | 400 | not both
      POST   | /maintenance     | '{"checks": ["app"], "duration": "999999999999d"}'           | 400 | longer than the limit of 366d
      POST   | /maintenance     | '{"checks": ["app"], "duration": "9999999999999999999999d"}' | 400 | is not a duration
      POST   | /maintenance     | '{"checks": ["app"], "duration": "0s"}'                      | 400 | not above zero
      POST   | /maintenance     | '{"checks": ["app"], "duration": "-5m"}'                     | 400 | is not a duration
      POST   | /maintenance     | '{"checks": ["app"], "duration": 30}'                        | 400 | duration must be a string
      POST   | /maintenance     | '{"checks": ["app"]}'                                        | 400 | give "until"
      POST   | /maintenance     | '{"check": "app", "duration": "30m"}'                        | 400 | unknown field "check"
      POST   | /maintenance     | '{"checks": "app", "duration": "30m"}'                       | 400 | checks must be a list
      POST   | /maintenance     | '{"checks": [5], "duration": "30m"}'                         | 400 | checks must hold check names
      POST   | /maintenance     | '{"checks": ["nope"], "duration": "30m"}'                    | 400 | no check named "nope"
      POST   | /maintenance     | 'null'                                                       | 400 | the body is not a JSON object
      POST   | /maintenance     |                                                              | 400 | a JSON body is required
      DELETE | /maintenance/%ZZ                 | | 400 | malformed request
      DELETE | /maintenance/..%2F..%2Fetc       | | 404 | no maintenance window
      DELETE | /maintenance/nope                | | 404 | no maintenance window "nope"
      PUT    | /maintenance                     | | 404 | no such endpoint: PUT /maintenance
      PATCH  | /status                          | | 404 | no such endpoint: PATCH /status
      GET    | /%ZZ                             | | 400 | malformed request
      """)
  void refusesWithAJsonError(String method, String target, String body, int status, String error) throws Exception {
    int journaledBefore = journaled().size();
    String windowsBefore = send("GET", "/maintenance", null).body();
    logged.list.clear();
    Answer a = send(method, target, body);
    assertThat(a.status()).as("%s %s %s answered %s", method, target, body, a.body()).isEqualTo(status);
    assertThat(a.head().toLowerCase()).contains("content-type: application/json");
    JsonObject json = new JsonObject(a.body());
    assertThat(json.getString("error")).contains(error);
    assertThat(json.getInteger("status")).isEqualTo(status);
    // Nothing was opened, nor journaled.
    assertThat(send("GET", "/maintenance", null).body()).isEqualTo(windowsBefore);
    assertThat(journaled()).hasSize(journaledBefore);
    assertThat(logged.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)
        || e.getThrowableProxy() != null);
  }

  @Test
  void aBodyOverTheLimitAnswers413() throws Exception {
    String big = "{\"checks\": [\"app\"], \"duration\": \"30m\", \"reason\": \"" + "x".repeat(64 * 1024)
        + "\"}";
    Answer a = send("POST", "/maintenance", big);
    assertThat(a.status()).isEqualTo(413);
    assertThat(a.head().toLowerCase()).contains("content-type: application/json");
    assertThat(new JsonObject(a.body()).getString("error")).contains("larger than 64 KiB");
  }

  @Test
  void aValidWindowStillOpensAndEnds() throws Exception {
    Answer created = send("POST", "/maintenance", "{\"checks\": [\"app\"], \"duration\": \"30m\", \"reason\": \"deploy\"}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = new JsonObject(created.body()).getString("id");
    assertThat(send("DELETE", "/maintenance/" + id, null).status()).isEqualTo(204);
    List<JsonObject> journaled = journaled();
    assertThat(journaled).filteredOn(r -> id.equals(r.getString("id"))).hasSize(2)
        .first().satisfies(r -> assertThat(r.getString("reason")).isEqualTo("deploy"));
  }
}
