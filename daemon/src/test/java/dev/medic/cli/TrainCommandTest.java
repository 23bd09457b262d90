package dev.medic.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code medic train}, the training run of the class-data archive: it must really start medic, see
 * {@code /ready}, query the API and stop, and say so when any of that does not happen.
 */
class TrainCommandTest {

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void closeVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static Set<Path> trainingDirs() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.filter(p -> p.getFileName().toString().startsWith("medic-train")).collect(Collectors.toSet());
    }
  }

  @Test
  void startsTheEmbeddedDefaultWaitsForReadyAndCleansUp() throws Exception {
    Set<Path> before = trainingDirs();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.execute(new String[] {"train"}, new PrintWriter(out), new PrintWriter(err));
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("training run ready in", "4 checks probed", "/status", "/metrics");
    // Its throw-away journal is gone again.
    assertThat(trainingDirs()).isEqualTo(before);
  }

  @Test
  void isHiddenFromTheHelp() {
    StringWriter out = new StringWriter();
    Cli.execute(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(new StringWriter()));
    assertThat(out.toString()).contains("run", "probe").doesNotContain("train");
  }

  @Test
  void reportsAnApiThatNeverGetsReady() throws Exception {
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> req.response().setStatusCode(503).end("{\"ready\":false}"))
        .listen(0, "127.0.0.1").await();
    Optional<String> problem = TrainCommand.exercise(vertx, server.actualPort(), 300).await(10, TimeUnit.SECONDS);
    assertThat(problem).hasValueSatisfying(p -> assertThat(p).contains("/ready did not answer 200", "503"));
  }

  @Test
  void reportsAFailingEndpointAfterReady() throws Exception {
    Set<String> asked = ConcurrentHashMap.newKeySet();
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> {
          asked.add(req.path());
          req.response().setStatusCode(req.path().equals("/metrics") ? 500 : 200).end();
        })
        .listen(0, "127.0.0.1").await();
    Optional<String> problem = TrainCommand.exercise(vertx, server.actualPort(), 5_000).await(10, TimeUnit.SECONDS);
    assertThat(problem).contains("GET /metrics answered 500");
    assertThat(asked).contains("/ready", "/health", "/status", "/metrics");
  }

  @Test
  void asksEveryPathOnceReady() throws Exception {
    Set<String> asked = ConcurrentHashMap.newKeySet();
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> {
          asked.add(req.path());
          req.response().setStatusCode(req.path().equals("/no-such-path") ? 404 : 200).end();
        })
        .listen(0, "127.0.0.1").await();
    Optional<String> problem = TrainCommand.exercise(vertx, server.actualPort(), 5_000).await(10, TimeUnit.SECONDS);
    assertThat(problem).isEmpty();
    assertThat(asked).contains("/ready").containsAll(TrainCommand.PATHS);
  }
}
