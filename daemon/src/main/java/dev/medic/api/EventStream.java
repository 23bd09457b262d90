package dev.medic.api;

import dev.medic.Bus;
import dev.medic.metrics.MedicMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /events} streams: one pair of event-bus consumers for all clients, each event encoded
 * once, and per client a bounded backlog. A client whose socket and write queue are full gets its
 * events queued; one that falls more than {@code backlog} events behind is dropped (its connection
 * closed and counted), so that a client that never reads costs at most its write queue plus the
 * backlog, never the heap. Runs on the API verticle's event loop only.
 */
final class EventStream {

  private static final Logger log = LoggerFactory.getLogger(EventStream.class);
  /** The most an SSE keep-alive waits: proxies close streams quiet for longer than about 30 s. */
  static final long MAX_KEEPALIVE_MS = 15_000;

  private final Vertx vertx;
  private final MedicMetrics metrics;
  private final Set<Client> clients = new LinkedHashSet<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private volatile int open;

  EventStream(Vertx vertx, MedicMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
  }

  /** Starts listening; called from the API verticle's start. */
  void start() {
    consumers.add(vertx.eventBus().<JsonObject>consumer(Bus.STATE,
        m -> broadcast("event: state\ndata: " + m.body().encode() + "\n\n")));
    consumers.add(vertx.eventBus().<JsonObject>consumer(Bus.RECOVERY,
        m -> broadcast("event: recovery\ndata: " + m.body().encode() + "\n\n")));
  }

  void stop() {
    consumers.forEach(MessageConsumer::unregister);
    consumers.clear();
  }

  /** Open streams (read by the metrics gauge from any thread). */
  int open() {
    return open;
  }

  /**
   * Keep-alive interval for a given idle timeout: at most 15 s, and at most a third of the idle
   * timeout so that a healthy stream is never closed as idle.
   */
  static long keepaliveMillis(long idleTimeoutMillis) {
    return Math.max(1, Math.min(MAX_KEEPALIVE_MS, idleTimeoutMillis / 3));
  }

  /**
   * Opens a stream for this request, or answers 503 when {@code maxClients} are open.
   *
   * @param backlog events a client may fall behind once its write queue is full
   */
  void open(RoutingContext ctx, String instance, int maxClients, int backlog, long keepaliveMs) {
    if (clients.size() >= maxClients) {
      metrics.apiRequestRejected("max-event-clients");
      ctx.response().putHeader("retry-after", "10");
      ApiVerticle.error(ctx, 503, maxClients == 0 ? "/events is turned off (medic.http.max-event-clients = 0)"
          : "too many /events clients: " + clients.size() + " open (limit medic.http.max-event-clients = "
              + maxClients + "); retry later");
      return;
    }
    HttpServerResponse resp = ctx.response();
    resp.setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .putHeader("x-accel-buffering", "no");
    Client c = new Client(ctx, backlog);
    clients.add(c);
    open = clients.size();
    resp.write(": medic " + instance + "\n\n");
    resp.drainHandler(v -> c.drain());
    // A comment now and then keeps proxies (and medic's own idle timeout) from closing a quiet
    // stream; skipped while the client is behind, where it would only add to the queue.
    c.keepalive = vertx.setPeriodic(keepaliveMs, id -> {
      if (c.queued.isEmpty() && !resp.writeQueueFull()) {
        resp.write(": keep-alive\n\n");
      }
    });
    resp.closeHandler(v -> c.closed());
  }

  private void broadcast(String frame) {
    // A copy: sending may drop (and so remove) a client.
    for (Client c : List.copyOf(clients)) {
      c.send(frame);
    }
  }

  private final class Client {
    private final RoutingContext ctx;
    private final HttpServerResponse resp;
    private final int backlog;
    private final ArrayDeque<String> queued = new ArrayDeque<>();
    private long keepalive = -1;
    private boolean done;

    Client(RoutingContext ctx, int backlog) {
      this.ctx = ctx;
      this.resp = ctx.response();
      this.backlog = backlog;
    }

    void send(String frame) {
      if (done) {
        return;
      }
      if (queued.isEmpty() && !resp.writeQueueFull()) {
        resp.write(frame);
        return;
      }
      if (queued.size() >= backlog) {
        drop();
        return;
      }
      queued.add(frame);
    }

    void drain() {
      while (!done && !queued.isEmpty() && !resp.writeQueueFull()) {
        resp.write(queued.poll());
      }
    }

    private void drop() {
      metrics.eventsClientDropped();
      log.atWarn().addKeyValue("client", String.valueOf(ctx.request().remoteAddress()))
          .addKeyValue("behind", queued.size()).addKeyValue("limit", backlog)
          .log("dropped a slow /events client: it fell more than medic.http.events-backlog events behind");
      closed();
      ctx.request().connection().close();
    }

    void closed() {
      if (done) {
        return;
      }
      done = true;
      queued.clear();
      vertx.cancelTimer(keepalive);
      clients.remove(this);
      open = clients.size();
    }
  }
}
