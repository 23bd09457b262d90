package dev.medic.cli;

import dev.medic.Daemon;
import dev.medic.ExitCodes;
import dev.medic.config.MedicConfig;
import dev.medic.log.Logging;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code medic train}: the training run of a class-data archive (AppCDS on JDK 17, the AOT cache on
 * JDK 25). It starts what {@code medic run} starts with the embedded default configuration, on a
 * free loopback port and a throw-away journal, waits until {@code /ready} answers 200, asks the API
 * what an operator, Prometheus and a container health check would, then stops cleanly and exits
 * 0: a JVM started with {@code -XX:ArchiveClassesAtExit} dumps every class a real start loads.
 * Hidden from the help: the build and the launcher run it, operators need not.
 */
@Command(name = "train", hidden = true, mixinStandardHelpOptions = true,
    description = "Start the embedded default on a free port, wait for /ready, query the API, stop: "
        + "the training run of a class-data archive.")
public final class TrainCommand implements Callable<Integer> {

  /** The paths asked once /ready is 200; the status page and an unknown path take the error route. */
  static final List<String> PATHS = List.of("/health", "/status", "/metrics", "/maintenance", "/", "/no-such-path");

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "Give up when /ready has not answered 200 after this long (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @CommandLine.ParentCommand
  Cli cli;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path journal = Files.createTempDirectory("medic-train");
    try (Session rt = new Session(true, cli.plugins())) {
      int port = freePort();
      // The embedded default as `medic run` loads it, only on another port and journal, so that
      // a medic already running here is neither disturbed nor probed.
      String hocon = "include classpath(\"medic-default.conf\")\n"
          + "medic.http.port = " + port + "\n"
          + "medic.journal.dir = \"" + journal.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n";
      MedicConfig cfg;
      try {
        cfg = rt.loader.loadString(hocon, "embedded default (training)");
      } catch (dev.medic.config.ConfigException e) {
        err.print(e.report());
        return ExitCodes.CONFIG;
      }
      Logging.configure(cfg.logFormat(), "warn", cfg.instance());
      long started = System.nanoTime();
      Daemon daemon = Session.join(Daemon.start(rt.vertx, cfg, rt.metrics));
      try {
        String base = "http://127.0.0.1:" + daemon.apiPort();
        Optional<String> problem = Session.join(exercise(rt.vertx, daemon.apiPort(), timeoutSeconds * 1000L));
        if (problem.isPresent()) {
          err.println("medic: training run failed: " + problem.get());
          return ExitCodes.UNAVAILABLE;
        }
        // What a container HEALTHCHECK runs every 30 s, in its own JVM.
        int health = Cli.execute(new String[] {"health", "--quiet", "--url", base}, discard(), discard(), cli.plugins());
        if (health != 0) {
          err.println("medic: training run failed: medic health exited " + health);
          return ExitCodes.UNAVAILABLE;
        }
        out.printf("medic: training run ready in %d ms; %d checks probed; API answered %s%n",
            (System.nanoTime() - started) / 1_000_000, cfg.checks().size(), String.join(" ", PATHS));
      } finally {
        Session.join(daemon.stop());
      }
      return ExitCodes.OK;
    } finally {
      deleteTree(journal);
    }
  }

  /**
   * Polls {@code /ready} until 200, then GETs {@link #PATHS} once each; an empty result when all
   * went as a running medic would answer, else what did not.
   */
  static Future<Optional<String>> exercise(Vertx vertx, int port, long timeoutMs) {
    HttpClientAgent client = vertx.createHttpClient();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    Promise<Optional<String>> done = Promise.promise();
    pollReady(vertx, client, port, deadline, done);
    return done.future()
        .compose(problem -> problem.isPresent() ? Future.succeededFuture(problem) : queryAll(client, port))
        .eventually(client::close);
  }

  private static void pollReady(Vertx vertx, HttpClientAgent client, int port, long deadline,
      Promise<Optional<String>> done) {
    get(client, port, "/ready").onComplete(ar -> {
      if (ar.succeeded() && ar.result() == 200) {
        done.complete(Optional.empty());
      } else if (System.nanoTime() > deadline) {
        done.complete(Optional.of("/ready did not answer 200 in time (last: "
            + (ar.succeeded() ? String.valueOf(ar.result()) : ar.cause().toString()) + ")"));
      } else {
        vertx.setTimer(50, id -> pollReady(vertx, client, port, deadline, done));
      }
    });
  }

  private static Future<Optional<String>> queryAll(HttpClientAgent client, int port) {
    Future<Optional<String>> chain = Future.succeededFuture(Optional.empty());
    for (String path : PATHS) {
      chain = chain.compose(problem -> problem.isPresent() ? Future.succeededFuture(problem)
          : get(client, port, path).map(code -> code >= 500
              ? Optional.of("GET " + path + " answered " + code) : Optional.<String>empty()));
    }
    return chain;
  }

  /** The status code of a GET, with the body read. */
  private static Future<Integer> get(HttpClientAgent client, int port, String path) {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
            .setURI(path).setConnectTimeout(5000).setIdleTimeout(5000))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode()));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static PrintWriter discard() {
    return new PrintWriter(Writer.nullWriter());
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // A temporary directory left behind is no reason to fail the training run.
    }
  }
}
