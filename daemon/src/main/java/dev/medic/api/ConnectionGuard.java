package dev.medic.api;

import dev.medic.metrics.MedicMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Keeps API clients from holding medic's descriptors: at most {@link #limit()} connections (one
 * more is closed at once), and a deadline for every request to arrive whole — headers and body:
 * the header timeout from the connection's start, the longer of it and the idle timeout from the
 * end of the previous answer (a kept-alive connection may wait that long between requests). The idle timeout alone
 * misses a client that trickles a byte every few seconds; this deadline does not. Runs on the API
 * verticle's event loop only.
 */
final class ConnectionGuard {

  /** The share of the open-file limit the API may take: the rest is for probes, actions, the journal. */
  static final int SHARE_OF_NOFILE = 4;
  /** However low the descriptor limit, the API keeps a few connections (its own health check, an operator). */
  static final int MIN_CONNECTIONS = 8;

  private final Vertx vertx;
  private final MedicMetrics metrics;
  private final int limit;
  private final long headerTimeoutMs;
  private final long idleTimeoutMs;
  /** Per open connection, its pending request deadline timer (-1: a request is being answered). */
  private final Map<HttpConnection, Long> deadlines = new IdentityHashMap<>();
  private volatile int open;

  /**
   * @param headerTimeoutMs the time a new connection has to send its first request
   * @param idleTimeoutMs the time a kept-alive connection has, from the end of an answer, to send
   *     the next request whole (a connection idle that long is closed anyway)
   */
  ConnectionGuard(Vertx vertx, MedicMetrics metrics, int limit, long headerTimeoutMs, long idleTimeoutMs) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.limit = limit;
    this.headerTimeoutMs = headerTimeoutMs;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /**
   * The connection limit in force: the configured one, but never more than a quarter of the
   * process's open-file limit (when known), and never below {@link #MIN_CONNECTIONS}.
   */
  static int connectionLimit(int configured, OptionalLong openFileLimit) {
    if (openFileLimit.isEmpty()) {
      return configured;
    }
    long share = openFileLimit.getAsLong() / SHARE_OF_NOFILE;
    return (int) Math.min(configured, Math.max(MIN_CONNECTIONS, share));
  }

  /** The soft "Max open files" of this process from {@code /proc/self/limits}; empty when unknown or unlimited. */
  static OptionalLong openFileLimit() {
    try {
      return openFileLimit(Files.readAllLines(Path.of("/proc/self/limits")));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  static OptionalLong openFileLimit(List<String> limitsFile) {
    for (String line : limitsFile) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        if (f.length > 0 && f[0].matches("\\d+")) {
          return OptionalLong.of(Long.parseLong(f[0]));
        }
      }
    }
    return OptionalLong.empty();
  }

  int limit() {
    return limit;
  }

  /** Open connections (read by the metrics gauge from any thread). */
  int open() {
    return open;
  }

  /** A new connection: closed at once beyond the limit, else given its first request deadline. */
  void connected(HttpConnection c) {
    if (deadlines.size() >= limit) {
      metrics.apiConnectionClosed("max-connections");
      c.close();
      return;
    }
    deadlines.put(c, -1L);
    open = deadlines.size();
    c.closeHandler(v -> {
      Long timer = deadlines.remove(c);
      if (timer != null && timer >= 0) {
        vertx.cancelTimer(timer);
      }
      open = deadlines.size();
    });
    arm(c, headerTimeoutMs);
  }

  /**
   * The whole request has arrived (this runs after the body handler): its deadline is off until
   * the answer ends, then the next request's starts.
   */
  void requestRead(RoutingContext ctx) {
    HttpConnection c = ctx.request().connection();
    if (!deadlines.containsKey(c)) {
      // Beyond the limit: closed in connected(), but a request may already have been parsed.
      c.close();
      return;
    }
    disarm(c);
    ctx.addEndHandler(ar -> {
      if (deadlines.containsKey(c)) {
        arm(c, Math.max(headerTimeoutMs, idleTimeoutMs));
      }
    });
    ctx.next();
  }

  private void arm(HttpConnection c, long ms) {
    disarm(c);
    deadlines.put(c, vertx.setTimer(ms, id -> {
      // Compared as long values: two boxed Longs above 127 are different objects.
      Long current = deadlines.get(c);
      if (current != null && current.longValue() == id.longValue()) {
        deadlines.put(c, -1L);
        metrics.apiConnectionClosed("header-timeout");
        c.close();
      }
    }));
  }

  private void disarm(HttpConnection c) {
    Long timer = deadlines.get(c);
    if (timer != null && timer >= 0) {
      vertx.cancelTimer(timer);
      deadlines.put(c, -1L);
    }
  }
}
