package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Against an Engine-API-shaped HTTP server on a real Unix socket. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class DockerActionTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir
  Path dir;

  /** What the engine saw: method, path, query, Host header. */
  private record Seen(String method, String path, String query, String host) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  // ---- runs against a real socket ---------------------------------------------------------------

  @Test
  void restartPostsToTheContainerWithTheStopTimeout(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    engine(vertx, socket, req -> req.response().setStatusCode(204).end())
        .compose(s -> action(vertx, "socket = \"" + socket + "\", container = web").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(seen).containsExactly(new Seen("POST", "/containers/web/restart", "t=10", "docker"));
          assertThat(outcome.success()).isTrue();
          assertThat(outcome.message()).isEqualTo("restarted container \"web\"");
          ctx.completeNow();
        })));
  }

  @Test
  void operationStopTimeoutAndApiVersionShapeTheRequest(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    String at = "socket = \"" + socket + "\", ";
    engine(vertx, socket, req -> req.response().setStatusCode(204).end())
        .compose(s -> action(vertx, at + "container = \"/web-1\", stop-timeout = 2500ms, api-version = \"1.43\"").run("app"))
        .compose(o -> action(vertx, at + "container = web, operation = start").run("app"))
        .compose(o -> action(vertx, at + "container = 4f2a9c, operation = kill, api-version = v1.41").run("app"))
        .onComplete(ctx.succeeding(last -> ctx.verify(() -> {
          assertThat(seen).containsExactly(
              // 2.5s: the API takes whole seconds, and a shorter wait than asked would kill early.
              new Seen("POST", "/v1.43/containers/web-1/restart", "t=3", "docker"),
              new Seen("POST", "/containers/web/start", null, "docker"),
              new Seen("POST", "/v1.41/containers/4f2a9c/kill", null, "docker"));
          assertThat(last.message()).isEqualTo("killed container \"4f2a9c\"");
          ctx.completeNow();
        })));
  }

  @Test
  void unknownContainerIsAFailedOutcome(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    engine(vertx, socket, req -> req.response().setStatusCode(404)
        .putHeader("Content-Type", "application/json").end("{\"message\":\"No such container: web\"}"))
        .compose(s -> action(vertx, "socket = \"" + socket + "\", container = web").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).isEqualTo("no container \"web\"");
          ctx.completeNow();
        })));
  }

  @Test
  void engineErrorCarriesTheApiMessage(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    String body = "{\"message\":\"Cannot restart container web: driver failed programming external connectivity\"}";
    engine(vertx, socket, req -> req.response().setStatusCode(500)
        .putHeader("Content-Type", "application/json").end(body))
        .compose(s -> action(vertx, "socket = \"" + socket + "\", container = web").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).isEqualTo("restart of container \"web\" failed: 500 Cannot restart container web:"
              + " driver failed programming external connectivity");
          assertThat(outcome.output()).isEqualTo(body);
          ctx.completeNow();
        })));
  }

  @Test
  void alreadyRunningIsSuccessForStart(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    engine(vertx, socket, req -> req.response().setStatusCode(304).end())
        .compose(s -> action(vertx, "socket = \"" + socket + "\", container = web, operation = start").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isTrue();
          assertThat(outcome.message()).isEqualTo("container \"web\" was already running");
          ctx.completeNow();
        })));
  }

  @Test
  void missingSocketMeansNoEngine(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("nothing-here.sock");
    action(vertx, "socket = \"" + socket + "\", container = web").run("app")
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).isEqualTo("no Docker engine at " + socket);
          ctx.completeNow();
        })));
  }

  @Test
  void socketNobodyListensOnIsNamed(Vertx vertx, VertxTestContext ctx) throws Exception {
    // A socket file left by an engine that has gone: connect() is refused.
    Path socket = dir.resolve("stale.sock");
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().end())
        .listen(SocketAddress.domainSocketAddress(socket.toString())).await(5, TimeUnit.SECONDS);
    server.close().await(5, TimeUnit.SECONDS);
    if (!Files.exists(socket)) {
      // Vert.x removed the socket file on close: a regular file at the path refuses just the same.
      Files.createFile(socket);
    }
    action(vertx, "socket = \"" + socket + "\", container = web").run("app")
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).startsWith("no Docker engine listening at " + socket);
          ctx.completeNow();
        })));
  }

  @Test
  void engineThatNeverAnswersEndsAtTheTimeout(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    engine(vertx, socket, req -> { /* a restart that hangs */ })
        .compose(s -> action(vertx, "socket = \"" + socket + "\", container = web, stop-timeout = 0s",
            Duration.ofMillis(400)).run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).isEqualTo("no answer from the Docker engine at " + socket
              + " within 400ms (the restart of container \"web\" may still complete)");
          ctx.completeNow();
        })));
  }

  @Test
  void creatingAnActionConnectsNowhere(Vertx vertx, VertxTestContext ctx) {
    Path socket = dir.resolve("docker.sock");
    java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    vertx.createHttpServer()
        .connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(req -> req.response().setStatusCode(204).end())
        .listen(SocketAddress.domainSocketAddress(socket.toString()))
        .onComplete(ctx.succeeding(s -> {
          action(vertx, "socket = \"" + socket + "\", container = web");
          // A connection would be accepted within milliseconds; give it ample time to show up.
          vertx.setTimer(300, id -> ctx.verify(() -> {
            assertThat(connections.get()).isZero();
            ctx.completeNow();
          }));
        }));
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ActionType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("docker"))
        .singleElement()
        .isInstanceOf(DockerActionType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("""
        socket = "/run/docker.sock"
        container = web
        operation = restart
        stop-timeout = 20s
        api-version = v1.43
        """);
    Action action = new DockerActionType().create(s, new ActionContext(null, "restart-web", Duration.ofSeconds(30)));
    TestSettings.assertValid(s);
    assertThat(action.describe()).isEqualTo("docker restart web (stop-timeout 20s) via /run/docker.sock");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      operation = restart                          | medic.checks.test.container    | missing (a value is required
      container = "web/../../images"               | medic.checks.test.container    | is not a container name or id
      container = web, operation = stop            | medic.checks.test.operation    | "stop" is not allowed (expected one of: restart, start, kill)
      container = web, operation = kill, stop-timeout = 5s | medic.checks.test.stop-timeout | has no effect with operation = kill
      container = web, stop-timeout = 30s          | medic.checks.test.stop-timeout | stop-timeout 30s is not below the action's timeout 30s
      container = web, stop-timeout = 10           | medic.checks.test.stop-timeout | has no unit
      container = web, api-version = latest        | medic.checks.test.api-version  | "latest" is not an API version (expected e.g. v1.43)
      container = web, socket = ""                 | medic.checks.test.socket       | is empty
      container = web, contianer = web            | medic.checks.test.contianer    | unknown key (did you mean "container"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new DockerActionType().create(s, new ActionContext(null, "restart-web", Duration.ofSeconds(30)));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  @Test
  void theDefaultStopTimeoutIsNoProblemWithAShortTimeout() {
    // Most containers stop at SIGTERM at once; 10s is only the most the engine would wait.
    Settings s = TestSettings.of("container = web");
    new DockerActionType().create(s, new ActionContext(null, "restart-web", Duration.ofSeconds(5)));
    assertThat(s.problems().sorted()).isEmpty();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private Future<HttpServer> engine(Vertx vertx, Path socket, Handler<HttpServerRequest> handler) {
    return vertx.createHttpServer()
        .requestHandler(req -> {
          seen.add(new Seen(req.method().name(), req.path(), req.query(), req.getHeader("Host")));
          handler.handle(req);
        })
        .listen(SocketAddress.domainSocketAddress(socket.toString()));
  }

  private static Action action(Vertx vertx, String hocon) {
    return action(vertx, hocon, TIMEOUT);
  }

  /** An action from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Action action(Vertx vertx, String hocon, Duration timeout) {
    Settings s = TestSettings.of(hocon);
    Action action = new DockerActionType().create(s, new ActionContext(vertx, "restart-web", timeout));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return action;
  }
}
