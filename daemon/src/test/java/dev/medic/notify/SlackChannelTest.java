package dev.medic.notify;

import static dev.medic.notify.WebhookChannelTest.record;
import static dev.medic.notify.WebhookChannelTest.serve;
import static dev.medic.testing.TestEvents.AT;
import static dev.medic.testing.TestEvents.critical;
import static dev.medic.testing.TestEvents.daemonStarted;
import static dev.medic.testing.TestEvents.resolved;
import static dev.medic.testing.TestEvents.warning;
import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.notify.WebhookChannelTest.Received;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class SlackChannelTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  /** The part of a Slack hook URL that is the credential. */
  private static final String TOKEN = "T0001/B0002/s3cr3tHookT0ken";

  @Test
  void postsOneMessageWithAnAttachmentPerEvent(Vertx vertx, VertxTestContext ctx) {
    List<Received> received = new CopyOnWriteArrayList<>();
    List<Event> batch = List.of(critical("e1", "app"), warning("e2", "disk"), resolved("e3", "db"), daemonStarted("e4"));
    serve(vertx, record(received, 200))
        .compose(port -> channel(vertx, url(port) + "\nchannel = \"#ops\"\nusername = medic").send(batch))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(received).hasSize(1);
          Received r = received.get(0);
          assertThat(r.uri()).isEqualTo("/services/" + TOKEN);
          assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
          JsonObject body = r.body().toJsonObject();
          assertThat(body.getString("text")).isEqualTo("4 events: 1 critical, 1 warning, 1 resolved, 1 info");
          assertThat(body.getString("channel")).isEqualTo("#ops");
          assertThat(body.getString("username")).isEqualTo("medic");
          JsonArray attachments = body.getJsonArray("attachments");
          assertThat(attachments.stream().map(a -> ((JsonObject) a).getString("color")))
              .containsExactly("#d00000", "#e8a000", "#2eb886", "#888888");
          JsonObject first = attachments.getJsonObject(0);
          assertThat(first.getString("title")).isEqualTo("CRITICAL app: connect 127.0.0.1:3000 refused");
          assertThat(first.getString("text")).isEqualTo("connect 127.0.0.1:3000 refused");
          assertThat(first.getLong("ts")).isEqualTo(AT.getEpochSecond());
          assertThat(first.getJsonArray("fields")).containsExactly(
              field("Check", "app"), field("Status", "critical (was ok)"), field("Instance", "web-1"),
              field("Time", "2025-03-01T12:00:00Z"));
          // A daemon event has no check: no empty field for it.
          assertThat(attachments.getJsonObject(3).getJsonArray("fields").stream()
              .map(f -> ((JsonObject) f).getString("title"))).containsExactly("Status", "Instance", "Time");
          ctx.completeNow();
        })));
  }

  @Test
  void oneEventIsSummedUpByItsTitle() {
    JsonObject body = SlackChannel.payload(List.of(critical("e1", "app")), Optional.empty(), Optional.empty());
    assertThat(body.getString("text")).isEqualTo("CRITICAL app: connect 127.0.0.1:3000 refused");
    assertThat(body.containsKey("channel")).isFalse();
    assertThat(body.containsKey("username")).isFalse();
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({"critical, #d00000", "warning, #e8a000", "ok, #2eb886", "info, #888888"})
  void colourFollowsTheSeverity(String severity, String color) {
    assertThat(SlackChannel.color(severity)).isEqualTo(color);
  }

  @Test
  void textSlackWouldReadAsMarkupIsEscaped() {
    Event e = new Event("e1", "state", "app", "critical", "critical", "ok", "body is <html> & not \"ok\"",
        "CRITICAL app: body is <html>\nsecond line", "web-1", AT, new JsonObject());
    JsonObject a = SlackChannel.payload(List.of(e), Optional.empty(), Optional.empty())
        .getJsonArray("attachments").getJsonObject(0);
    assertThat(a.getString("text")).isEqualTo("body is &lt;html&gt; &amp; not \"ok\"");
    assertThat(a.getString("title")).isEqualTo("CRITICAL app: body is &lt;html&gt; second line");
  }

  @Test
  void theHookUrlNeverAppearsInFailures(Vertx vertx, VertxTestContext ctx) throws Exception {
    int refused = HungServer.freePort();
    HungServer hung = HungServer.start();
    Future<Integer> failing = serve(vertx, req -> req.response().setStatusCode(403).end("invalid_token"));
    failing.compose(port -> {
      Future<Void> status = channel(vertx, url(port)).send(List.of(critical("e1", "app")));
      Future<Void> connect = channel(vertx, url(refused)).send(List.of(critical("e1", "app")));
      Future<Void> hang = new SlackChannelType().create(TestSettings.of(url(hung.port())),
          new ChannelContext(vertx, "chat", Duration.ofMillis(500))).send(List.of(critical("e1", "app")));
      return Future.join(status, connect, hang).otherwise(v -> null).map(v -> List.of(status, connect, hang));
    }).onComplete(ctx.succeeding(sends -> ctx.verify(() -> {
      int port = failing.result();
      assertThat(sends).allSatisfy(f -> {
        assertThat(f.failed()).isTrue();
        assertThat(f.cause().getMessage()).doesNotContain("s3cr3t").doesNotContain("T0001").doesNotContain("services");
      });
      assertThat(sends.get(0).cause().getMessage())
          .isEqualTo("POST http://127.0.0.1:" + port + "/**** → status 403 (expected 2xx): \"invalid_token\"");
      assertThat(sends.get(1).cause().getMessage()).endsWith("→ connect 127.0.0.1:" + refused + " refused");
      assertThat(sends.get(2).cause().getMessage()).endsWith("→ no response within 500ms");
      hung.close();
      ctx.completeNow();
    })));
  }

  @Test
  void foundByItsTypeName() {
    assertThat(ChannelTypes.discover().find("slack")).get().isInstanceOf(SlackChannelType.class);
  }

  // ---- configuration ---------------------------------------------------------------------------

  @Test
  void everyKeyIsAccepted() throws Exception {
    Settings s = TestSettings.of("url = \"https://hooks.slack.com/services/" + TOKEN
        + "\"\nchannel = \"#ops\"\nusername = medic");
    new SlackChannelType().create(s, new ChannelContext(null, "chat", TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      channel = "#ops"                                                  | medic.checks.test.url      | missing (a value is required)
      url = "ftp://hooks.slack.com/services/T0001/B0002/s3cr3t"         | medic.checks.test.url      | the URL (not shown: it is the credential) is not an http or https URL
      url = "https://hooks.slack.com/services/s3cr3t", channel = ""     | medic.checks.test.channel  | is empty
      url = "https://hooks.slack.com/services/s3cr3t", icon = x         | medic.checks.test.icon     | unknown key
      url = "https://hooks.slack.com/services/s3cr3t", user-name = x    | medic.checks.test.user-name| unknown key (did you mean "username"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new SlackChannelType().create(s, new ChannelContext(null, "chat", TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
    assertThat(problems).allSatisfy(p -> assertThat(p.toString()).doesNotContain("s3cr3t"));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static JsonObject field(String title, String value) {
    return new JsonObject().put("title", title).put("value", value).put("short", true);
  }

  private static String url(int port) {
    return "url = \"http://127.0.0.1:" + port + "/services/" + TOKEN + "\"";
  }

  private static Channel channel(Vertx vertx, String hocon) {
    Settings s = TestSettings.of(hocon);
    Channel channel = new SlackChannelType().create(s, new ChannelContext(vertx, "chat", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return channel;
  }
}
