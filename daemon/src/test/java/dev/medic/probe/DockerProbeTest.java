package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against an HTTP server on a real Unix domain socket that answers as the Docker Engine API does
 * (the JSON shapes are those of {@code docker inspect} from Engine 24–27). There is no Docker
 * engine on the machines these tests run on.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class DockerProbeTest {

  @TempDir Path tmp;

  private Path socket;
  /** Path → status and body; anything else is the engine's 404 for an unknown route. */
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private record Answer(int status, JsonObject body) {}

  @BeforeEach
  void startEngine(Vertx vertx, VertxTestContext test) {
    socket = tmp.resolve("docker.sock");
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      requests.add(req.method() + " " + req.uri());
      Answer a = answers.get(req.path());
      if (a == null) {
        a = new Answer(404, new JsonObject().put("message", "page not found"));
      }
      req.response().setStatusCode(a.status())
          .putHeader("Content-Type", "application/json")
          .putHeader("Api-Version", "1.43")
          .putHeader("Server", "Docker/24.0.7 (linux)")
          .end(a.body().encode() + "\n");
    });
    server.listen(SocketAddress.domainSocketAddress(socket.toString())).onComplete(test.succeedingThenComplete());
  }

  // ---- states ---------------------------------------------------------------------------------

  @Test
  void runningAndHealthyIsOkWithRestartsAndUptime(Vertx vertx, VertxTestContext test) {
    container("web", inspect("web", state("running", true, 0, Instant.now().minusSeconds(3725))
        .put("Health", health("healthy", 0, log(0, "ok\n"))), 2));
    probe(vertx, "container = web").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).isEqualTo("container \"web\" running for 1h 2m, healthy, 2 restarts");
      assertThat(r.measurements().get("restarts")).isEqualTo(Measurement.count(2));
      assertThat(r.measurements().get("uptime").unit()).isEqualTo(Unit.SECONDS);
      assertThat(r.measurements().get("uptime").value()).isBetween(3725.0, 3735.0);
      assertThat(requests).containsExactly("GET /containers/web/json");
      test.completeNow();
    })));
  }

  @Test
  void runningWithoutAHealthCheckIsOk(Vertx vertx, VertxTestContext test) {
    container("3f4e8a1c", inspect("worker", state("running", true, 0, Instant.now().minusSeconds(40)), 0));
    probe(vertx, "container = \"3f4e8a1c\"").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).matches("container \"3f4e8a1c\" running for 4\\ds, no health check");
      assertThat(r.measurements()).containsOnlyKeys("restarts", "uptime");
      test.completeNow();
    })));
  }

  @Test
  void unhealthyIsCriticalWithTheLastLineOfTheLatestHealthCheck(Vertx vertx, VertxTestContext test) {
    JsonObject health = health("unhealthy", 3,
        log(0, "ok\n"),
        log(1, "  % Total    % Received\n\ncurl: (7) Failed to connect to localhost port 8080: Connection refused\n"),
        log(1, "  % Total    % Received\ncurl: (22) The requested URL returned error: 503\n\n"));
    container("web", inspect("web", state("running", true, 0, Instant.now().minusSeconds(600)).put("Health", health), 0));
    probe(vertx, "container = web").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("container \"web\" is unhealthy (3 failed checks in a row): "
          + "curl: (22) The requested URL returned error: 503");
      assertThat(r.measurements()).containsKeys("restarts", "uptime");
      test.completeNow();
    })));
  }

  @Test
  void startingIsAWarning(Vertx vertx, VertxTestContext test) {
    container("web", inspect("web", state("running", true, 0, Instant.now().minusSeconds(3))
        .put("Health", health("starting", 0)), 1));
    probe(vertx, "container = web").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.message()).isEqualTo("container \"web\" is starting (its health check has not passed yet), 1 restart");
      test.completeNow();
    })));
  }

  @Test
  void exitedIsCriticalWithStatusAndExitCode(Vertx vertx, VertxTestContext test) {
    container("web", inspect("web", state("exited", false, 137, Instant.now().minusSeconds(900))
        .put("OOMKilled", true)
        .put("FinishedAt", Instant.now().minusSeconds(60).toString()), 4));
    container("batch", inspect("batch", state("exited", false, 1, Instant.now().minusSeconds(900))
        .put("Error", "failed to create task: mount /data: no such file"), 0));
    Future.all(probe(vertx, "container = web").run(), probe(vertx, "container = batch").run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ProbeResult web = all.resultAt(0);
          assertThat(web.status()).isEqualTo(Status.CRITICAL);
          assertThat(web.message()).isEqualTo(
              "container \"web\" is not running: exited, exit code 137, killed for lack of memory (OOM)");
          // Uptime belongs to a running container; the restart count is still worth a graph.
          assertThat(web.measurements()).containsOnlyKeys("restarts");
          assertThat(web.measurements().get("restarts").value()).isEqualTo(4);
          ProbeResult batch = all.resultAt(1);
          assertThat(batch.message()).isEqualTo("container \"batch\" is not running: exited, exit code 1: "
              + "\"failed to create task: mount /data: no such file\"");
          test.completeNow();
        })));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      Paused     | paused     | container "web" is paused
      Restarting | restarting | container "web" is restarting (last exit code 2), 7 restarts
      """)
  void runningButPausedOrRestartingIsCritical(String flag, String status, String message, Vertx vertx,
      VertxTestContext test) {
    // Docker keeps Running true in both states.
    container("web", inspect("web", state(status, true, 2, Instant.now().minusSeconds(5)).put(flag, true), 7));
    probe(vertx, "container = web").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo(message);
      test.completeNow();
    })));
  }

  // ---- the request and the engine's answers -------------------------------------------------

  @Test
  void aMissingContainerIsCriticalAndNamed(Vertx vertx, VertxTestContext test) {
    answers.put("/containers/ghost/json", new Answer(404, new JsonObject().put("message", "No such container: ghost")));
    probe(vertx, "container = ghost").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("no container \"ghost\"");
      assertThat(r.measurements()).isEmpty();
      assertThat(requests).containsExactly("GET /containers/ghost/json");
      test.completeNow();
    })));
  }

  @Test
  void anApiVersionGoesIntoThePath(Vertx vertx, VertxTestContext test) {
    answers.put("/v1.43/containers/web/json",
        new Answer(200, inspect("web", state("running", true, 0, Instant.now().minusSeconds(10)), 0)));
    Future.all(probe(vertx, "container = web, api-version = \"1.43\"").run(),
            probe(vertx, "container = \"/web\", api-version = v1.43").run(),
            probe(vertx, "container = web, api-version = \"1.12\"").run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          assertThat(((ProbeResult) all.resultAt(0)).status()).isEqualTo(Status.OK);
          assertThat(((ProbeResult) all.resultAt(1)).status()).isEqualTo(Status.OK);
          // A path the engine does not know is a wrong setting, not a missing container.
          ProbeResult old = all.resultAt(2);
          assertThat(old.status()).isEqualTo(Status.UNKNOWN);
          assertThat(old.message()).isEqualTo("the Docker engine at " + socket
              + " does not know /v1.12/containers/web/json (is api-version right?)");
          assertThat(requests).containsExactlyInAnyOrder("GET /v1.43/containers/web/json",
              "GET /v1.43/containers/web/json", "GET /v1.12/containers/web/json");
          test.completeNow();
        })));
  }

  @Test
  void anEngineErrorIsCriticalAndARefusedRequestUnknown(Vertx vertx, VertxTestContext test) {
    answers.put("/containers/web/json", new Answer(500, new JsonObject().put("message", "context deadline exceeded")));
    answers.put("/v1.99/containers/web/json", new Answer(400, new JsonObject()
        .put("message", "client version 1.99 is too new. Maximum supported API version is 1.43")));
    Future.all(probe(vertx, "container = web").run(), probe(vertx, "container = web, api-version = \"1.99\"").run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ProbeResult broken = all.resultAt(0);
          assertThat(broken.status()).isEqualTo(Status.CRITICAL);
          assertThat(broken.message()).isEqualTo("the Docker engine at " + socket
              + " answered 500: \"context deadline exceeded\"");
          ProbeResult refused = all.resultAt(1);
          assertThat(refused.status()).isEqualTo(Status.UNKNOWN);
          assertThat(refused.message()).startsWith("the Docker engine at " + socket
              + " refused /v1.99/containers/web/json with 400: \"client version 1.99 is too new.");
          test.completeNow();
        })));
  }

  @Test
  void noSocketMeansNoDockerEngine(Vertx vertx, VertxTestContext test) {
    Path none = tmp.resolve("none.sock");
    probe(vertx, "container = web, socket = \"" + none + "\"").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("no Docker engine at " + none + " (the socket does not exist)");
      test.completeNow();
    })));
  }

  @Test
  void aSocketNobodyListensOnRefuses(Vertx vertx, VertxTestContext test) throws Exception {
    // A socket file left behind by an engine that died: it exists, and connecting is refused.
    Path stale = tmp.resolve("stale.sock");
    try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(stale));
    }
    assertThat(stale).exists();
    probe(vertx, "container = web, socket = \"" + stale + "\"").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("no Docker engine at " + stale
          + " (the socket refuses connections: is dockerd running?)");
      test.completeNow();
    })));
  }

  @Test
  void anEngineThatDoesNotAnswerTimesOut(Vertx vertx, VertxTestContext test) {
    Path hung = tmp.resolve("hung.sock");
    vertx.createHttpServer().requestHandler(req -> { /* never answers */ })
        .listen(SocketAddress.domainSocketAddress(hung.toString()))
        .compose(s -> {
          long start = System.nanoTime();
          return probe(vertx, "container = web, socket = \"" + hung + "\"", Duration.ofMillis(300)).run()
              .map(r -> Map.entry(r, Duration.ofNanos(System.nanoTime() - start)));
        })
        .onComplete(test.succeeding(e -> test.verify(() -> {
          assertThat(e.getKey().status()).isEqualTo(Status.CRITICAL);
          assertThat(e.getKey().message()).isEqualTo("no answer from the Docker engine at " + hung + " within 300ms");
          assertThat(e.getValue()).isBetween(Duration.ofMillis(250), Duration.ofMillis(2000));
          test.completeNow();
        })));
  }

  @Test
  void creatingAProbeConnectsNowhere(Vertx vertx, VertxTestContext test) {
    container("web", inspect("web", state("running", true, 0, Instant.now()), 0));
    Probe probe = probe(vertx, "container = web");
    vertx.timer(200, TimeUnit.MILLISECONDS)
        .compose(v -> {
          test.verify(() -> assertThat(requests).as("requests made by merely creating the probe").isEmpty());
          return probe.run();
        })
        .compose(r -> probe.close().map(r))
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(requests).hasSize(1);
          test.completeNow();
        })));
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      socket = "/run/docker.sock"                  | test.conf:1: medic.checks.test.container: missing (a value is required)
      container = "web/../../images"               | test.conf:1: medic.checks.test.container: "web/../../images" is not a container name or id (expected letters, digits, _ . and -, e.g. "web" or "3f4e8a1c")
      container = web, socket = "docker.sock"      | test.conf:1: medic.checks.test.socket: "docker.sock" is not an absolute path (expected e.g. "/var/run/docker.sock")
      container = web, api-version = latest        | test.conf:1: medic.checks.test.api-version: "latest" is not an API version (expected e.g. "1.43")
      container = web, contianer = db              | test.conf:1: medic.checks.test.contianer: unknown key (did you mean "container"?)
      """)
  void badConfigurationIsReportedWithItsPath(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.of(hocon);
    new DockerProbeType().create(settings, context(vertx, Duration.ofSeconds(2)));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).extracting(ConfigProblem::toString).containsExactly(problem);
  }

  @Test
  void isFoundByTypeNameWithItsMeasurements() {
    ProbeType type = ServiceLoader.load(ProbeType.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(t -> t.type().equals("docker"))
        .findFirst().orElseThrow();

    assertThat(type.measurements()).containsOnlyKeys("restarts", "uptime");
    assertThat(type.measurements().get("uptime").lowerIsWorse()).isTrue();
  }

  // ---- helpers: Engine API JSON as docker inspect returns it ----------------------------------

  private void container(String nameOrId, JsonObject inspect) {
    answers.put("/containers/" + nameOrId + "/json", new Answer(200, inspect));
  }

  private static JsonObject inspect(String name, JsonObject state, int restarts) {
    return new JsonObject()
        .put("Id", "3f4e8a1c9b2d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f")
        .put("Created", "2024-05-01T09:12:44.123456789Z")
        .put("Path", "/docker-entrypoint.sh")
        .put("Args", new JsonArray().add("nginx").add("-g").add("daemon off;"))
        .put("State", state)
        .put("Image", "sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6")
        .put("Name", "/" + name)
        .put("RestartCount", restarts)
        .put("Driver", "overlay2")
        .put("Platform", "linux")
        .put("HostConfig", new JsonObject().put("RestartPolicy", new JsonObject().put("Name", "unless-stopped")))
        .put("Config", new JsonObject().put("Hostname", "3f4e8a1c9b2d").put("Image", "nginx:1.25"));
  }

  private static JsonObject state(String status, boolean running, int exitCode, Instant startedAt) {
    return new JsonObject()
        .put("Status", status)
        .put("Running", running)
        .put("Paused", false)
        .put("Restarting", false)
        .put("OOMKilled", false)
        .put("Dead", false)
        .put("Pid", running ? 48213 : 0)
        .put("ExitCode", exitCode)
        .put("Error", "")
        .put("StartedAt", startedAt.toString())
        .put("FinishedAt", "0001-01-01T00:00:00Z");
  }

  private static JsonObject health(String status, int failingStreak, JsonObject... log) {
    JsonArray entries = new JsonArray();
    for (JsonObject l : log) {
      entries.add(l);
    }
    return new JsonObject().put("Status", status).put("FailingStreak", failingStreak).put("Log", entries);
  }

  private static JsonObject log(int exitCode, String output) {
    Instant at = Instant.now().minusSeconds(5);
    return new JsonObject()
        .put("Start", at.toString())
        .put("End", at.plusMillis(40).toString())
        .put("ExitCode", exitCode)
        .put("Output", output);
  }

  private Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, Duration.ofSeconds(10));
  }

  /** A probe of {@code socket} unless the snippet names another. */
  private Probe probe(Vertx vertx, String hocon, Duration timeout) {
    String withSocket = hocon.contains("socket") ? hocon : hocon + ", socket = \"" + socket + "\"";
    Settings settings = TestSettings.of(withSocket);
    Probe probe = new DockerProbeType().create(settings, context(vertx, timeout));
    try {
      TestSettings.assertValid(settings);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> {});
  }
}
