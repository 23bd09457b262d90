package dev.medic.probe;

import dev.medic.probe.RedisProbeType.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.net.ConnectException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Probes Redis with PING and INFO (sent together) over one connection kept from run to run:
 * memory used against {@code maxmemory} (or the machine's memory when there is none), clients,
 * rejected connections, evicted keys; the role, a replica's link to its master (critical when
 * down) and the last RDB save (warning when it failed).
 *
 * <p>The connection is opened by the first run, never at creation, and shows as {@code medic} in
 * {@code CLIENT LIST}. When it ends on its own (server killed or restarted, client killed) the check
 * is re-probed at once; at the deadline it is closed with its client, and the next run opens a new
 * one. A kept connection found dead at the start of a run is replaced once within that run.
 *
 * <p>Every outcome of the server is a result, never a failed future: refused, authentication
 * failed or required, no answer in time, loading, link down are {@code critical}; a user whom ACLs
 * forbid a command the probe needs (INFO, SELECT of the database) is {@code unknown}. Messages never show the password.
 */
public final class RedisProbe implements Probe {

  private final Optional<Target> target;
  private final Vertx vertx;
  private final Duration timeout;
  private final KeptConnection<RedisConnection> kept;
  /**
   * The probe's own client (one NetClient, a pool of one), made at the first run and kept: Vert.x
   * 5.0 holds on to every NetClient it made until the Vert.x instance closes, so a client per
   * attempt would grow the heap through a long outage. Replaced only at a deadline, where closing
   * it is the one way to end a connect that a hung server never answers. Touched only on the
   * context.
   */
  private Redis client;

  RedisProbe(Optional<Target> target, ProbeContext context) {
    this.target = target;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
    // Closing a pooled connection gives it back to the client's pool of one; one that ended is
    // gone from the pool already.
    this.kept = new KeptConnection<>(context, "redis " + target.map(Target::shown).orElse("?"), RedisConnection::close);
  }

  /** Where the probe connects; empty when the uri was invalid. */
  Optional<Target> target() {
    return target;
  }

  @Override
  public Future<ProbeResult> run() {
    if (target.isEmpty()) {
      return Future.succeededFuture(ProbeResult.unknown("uri is not valid (run medic check for the cause)"));
    }
    return kept.call(() -> probe(target.get()));
  }

  @Override
  public Future<Void> close() {
    return kept.close(() -> {
      Redis c = client;
      client = null;
      return c == null ? Future.succeededFuture() : c.close();
    });
  }

  /** The state of one run, touched only on the context. */
  private static final class Run {
    final long start = System.nanoTime();
    final Promise<ProbeResult> result = Promise.promise();
    boolean connected;
  }

  private Future<ProbeResult> probe(Target t) {
    String prefix = "redis " + t.shown() + ": ";
    Run run = new Run();
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> {
      String within = "no answer within " + NetText.duration(timeout) + (run.connected ? "" : " (connecting)");
      if (run.result.tryComplete(critical(prefix + within, run))) {
        // The client goes as well: that ends the hung connection, or a connect still waiting.
        kept.discard();
        Redis c = client;
        client = null;
        if (c != null) {
          c.close();
        }
      }
    });
    attempt(t, prefix, run, true);
    return run.result.future().andThen(done -> vertx.cancelTimer(timer));
  }

  /** @param mayRetry true when a kept connection is used and may be found dead: then connect once more */
  private void attempt(Target t, String prefix, Run run, boolean mayRetry) {
    boolean reused = kept.kept();
    kept.get(() -> connect(t)).onComplete(c -> {
      if (run.result.future().isComplete()) {
        return;
      }
      if (c.failed()) {
        run.result.tryComplete(isNoPermission(c.cause())
            ? unknown(prefix + redact(String.valueOf(c.cause().getMessage()), t), run)
            : critical(prefix + failure(c.cause(), t), run));
        return;
      }
      run.connected = true;
      RedisConnection conn = c.result();
      Future<Response> ping = conn.send(Request.cmd(Command.PING));
      Future<Response> info = conn.send(Request.cmd(Command.INFO));
      Future.join(ping, info).onComplete(all -> {
        if (run.result.future().isComplete()) {
          return;
        }
        Throwable broken = ping.failed() && !isReply(ping.cause()) ? ping.cause()
            : info.failed() && !isReply(info.cause()) ? info.cause() : null;
        if (broken != null) {
          kept.discard();
          if (reused && mayRetry) {
            attempt(t, prefix, run, false);
          } else {
            run.result.tryComplete(critical(prefix + failure(broken, t), run));
          }
          return;
        }
        if (ping.failed()) {
          // NOAUTH: connected, but the server wants a password the uri did not give.
          kept.discard();
          run.result.tryComplete(critical(prefix + failure(ping.cause(), t), run));
          return;
        }
        if (info.failed()) {
          String m = prefix + "INFO failed: " + redact(String.valueOf(info.cause().getMessage()), t);
          run.result.tryComplete(isNoPermission(info.cause())
              ? unknown(m + " (allow the user +info, +ping)", run) : critical(m, run));
          return;
        }
        run.result.tryComplete(judge(t, parse(info.result().toString()), run));
      });
    });
  }

  private Future<RedisConnection> connect(Target t) {
    return client(t).connect().map(conn -> {
      conn.endHandler(v -> kept.lost(conn, null));
      conn.exceptionHandler(e -> kept.lost(conn, e));
      return conn;
    });
  }

  private Redis client(Target t) {
    if (client == null) {
      NetClientOptions net = new NetClientOptions()
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
      if (t.tls()) {
        net.setSsl(true)
            .setTrustAll(t.trustAny())
            // Vert.x 5 requires the choice to be explicit: "HTTPS" checks the name, "" does not.
            .setHostnameVerificationAlgorithm(t.trustAny() ? "" : "HTTPS");
      }
      RedisOptions options = new RedisOptions()
          .setConnectionString(t.connectionString())
          .setNetClientOptions(net)
          .setMaxPoolSize(1);
      t.user().ifPresent(options::setUser);
      t.password().ifPresent(options::setPassword);
      client = Redis.createClient(vertx, options);
    }
    return client;
  }

  /** A reply from the server ({@code -ERR ...}), as opposed to a failure of the connection. */
  private static boolean isReply(Throwable e) {
    return e instanceof Response r && r.type() == ResponseType.ERROR;
  }

  /** An ACL refusal: the user may not run a command the probe needs; it cannot judge the server. */
  private static boolean isNoPermission(Throwable e) {
    return isReply(e) && String.valueOf(e.getMessage()).startsWith("NOPERM");
  }

  /** INFO's {@code key:value} lines. */
  static Map<String, String> parse(String info) {
    Map<String, String> out = new HashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        out.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return out;
  }

  private ProbeResult judge(Target t, Map<String, String> info, Run run) {
    Map<String, Measurement> m = new LinkedHashMap<>();
    StringBuilder text = new StringBuilder("redis ").append(t.shown());
    Status status = Status.OK;
    String role = info.getOrDefault("role", "unknown");
    boolean replica = role.equals("slave") || role.equals("replica");
    text.append(replica ? " replica" : " " + role);
    if (replica) {
      String link = info.getOrDefault("master_link_status", "unknown");
      text.append(" of ").append(info.getOrDefault("master_host", "?")).append(':')
          .append(info.getOrDefault("master_port", "?"));
      if (link.equals("up")) {
        text.append(" (link up)");
      } else {
        status = Status.CRITICAL;
        text.append(", master_link_status ").append(link);
        long downFor = number(info, "master_link_down_since_seconds").orElse(-1.0).longValue();
        if (downFor >= 0) {
          text.append(" for ").append(Unit.SECONDS.format(downFor));
        }
        text.append(" (expected up)");
      }
    }

    Optional<Double> used = number(info, "used_memory");
    double max = number(info, "maxmemory").orElse(0.0);
    double system = number(info, "total_system_memory").orElse(0.0);
    if (used.isPresent()) {
      text.append(", ").append(Unit.BYTES.format(used.get())).append(" used");
      double of = max > 0 ? max : system;
      if (of > 0) {
        Measurement ratio = Measurement.ratio(used.get() / of);
        m.put("memory-used", ratio);
        text.append(" (").append(ratio.formatted()).append(" of ")
            .append(max > 0 ? "maxmemory " + Unit.BYTES.format(max) : Unit.BYTES.format(system) + " system memory")
            .append(')');
      }
    }
    count(info, "connected_clients", "connected-clients", m).ifPresent(n ->
        text.append(", ").append(n).append(n == 1 ? " client" : " clients"));
    count(info, "blocked_clients", "blocked-clients", m).filter(n -> n > 0).ifPresent(n ->
        text.append(", ").append(n).append(" blocked"));
    count(info, "rejected_connections", "rejected-connections", m).filter(n -> n > 0).ifPresent(n ->
        text.append(", ").append(n).append(n == 1 ? " connection" : " connections").append(" rejected"));
    count(info, "evicted_keys", "evicted-keys", m).filter(n -> n > 0).ifPresent(n ->
        text.append(", ").append(n).append(n == 1 ? " key" : " keys").append(" evicted"));

    String rdb = info.get("rdb_last_bgsave_status");
    if (rdb != null && !rdb.equals("ok")) {
      status = Status.worst(status, Status.WARNING);
      text.append("; last RDB save failed (rdb_last_bgsave_status ").append(rdb).append(", expected ok)");
    }
    return ProbeResult.of(status, text.toString(), m).withLatency(NetText.since(run.start));
  }

  private static Optional<Long> count(Map<String, String> info, String field, String name, Map<String, Measurement> m) {
    Optional<Long> n = number(info, field).map(Double::longValue);
    n.ifPresent(v -> m.put(name, Measurement.count(v)));
    return n;
  }

  private static Optional<Double> number(Map<String, String> info, String field) {
    String v = info.get(field);
    if (v == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Double.parseDouble(v));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Why connecting or a command failed, in the words an operator searches for. */
  private String failure(Throwable e, Target t) {
    if (isReply(e)) {
      String m = redact(String.valueOf(e.getMessage()), t);
      if (m.startsWith("WRONGPASS") || m.startsWith("ERR invalid password") || m.startsWith("ERR AUTH")) {
        return "authentication failed (" + m + ")";
      }
      if (m.startsWith("NOAUTH")) {
        return "authentication required (" + m + ")" + (t.password().isEmpty() ? ": no password in the uri" : "");
      }
      if (m.startsWith("LOADING")) {
        return "server is loading its data set (" + m + ")";
      }
      return m;
    }
    if (NetText.find(e, ConnectException.class) != null && NetText.find(e, javax.net.ssl.SSLException.class) == null) {
      return "connection refused";
    }
    String m = e.getMessage() == null ? "" : e.getMessage();
    if (m.equals("Connection is closed") || m.contains("Connection closed")) {
      return "connection closed by the server";
    }
    return redact(NetText.failure(e, t.shown(), timeout), t);
  }

  /** {@code text} with the password masked: servers do not echo it, but a client error might. */
  private static String redact(String text, Target t) {
    return NetText.redact(text, t.password());
  }

  private static ProbeResult critical(String message, Run run) {
    return ProbeResult.critical(message).withLatency(NetText.since(run.start));
  }

  private static ProbeResult unknown(String message, Run run) {
    return ProbeResult.unknown(message).withLatency(NetText.since(run.start));
  }

}
