package dev.medic.cli;

import dev.medic.Daemon;
import dev.medic.config.ConfigException;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.Plugins;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.util.Optional;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** What every subcommand that reads a configuration needs: a Vert.x, metrics and the loader. */
final class Session implements AutoCloseable {

  final MedicMetrics metrics;
  final Vertx vertx;
  final ConfigLoader loader;

  Session(boolean jvmMetrics, Plugins plugins) {
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    if (jvmMetrics) {
      metrics.bindJvm();
    }
    vertx = Daemon.newVertx(metrics);
    loader = new ConfigLoader(plugins, vertx);
  }

  /** The validated configuration, or empty after printing every problem to {@code err}. */
  Optional<MedicConfig> load(Optional<Path> file, PrintWriter err) {
    try {
      return Optional.of(loader.load(file));
    } catch (ConfigException e) {
      err.print(e.report());
      err.println("medic: configuration " + file.map(Path::toString).orElse(ConfigLoader.EMBEDDED) + " has "
          + e.problems().size() + " problem(s); nothing started");
      err.flush();
      return Optional.empty();
    }
  }

  /**
   * Waits for a Vert.x future on the CLI's main thread — never an event loop — which has nothing
   * else to do until the answer is in.
   */
  static <T> T join(io.vertx.core.Future<T> future) {
    CompletableFuture<T> cf = new CompletableFuture<>();
    future.onComplete(ar -> {
      if (ar.succeeded()) {
        cf.complete(ar.result());
      } else {
        cf.completeExceptionally(ar.cause());
      }
    });
    return cf.join();
  }

  @Override
  public void close() {
    // Joined on its own, never chained to a verticle's future: that would complete on an event
    // loop that closing has already stopped.
    join(vertx.close());
    metrics.close();
  }
}
