package dev.medic.probe;

import dev.medic.probe.PostgresProbeType.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.pgclient.SslMode;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.spi.ConnectionFactory;
import java.net.ConnectException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.TrustManagerFactory;

/**
 * Probes PostgreSQL over one connection kept from run to run: a validation query, the server's
 * activity (connections, the longest open transaction, sessions idle in a transaction, replication
 * lag on a standby) and optionally a query of the operator's own, sent together (pipelined) so a
 * run costs one round trip.
 *
 * <p>The connection is opened by the first run, never at creation, and is the only session medic
 * holds on the server, named {@code medic} in {@code pg_stat_activity}. When it ends on its own
 * (server killed or restarted, session terminated) the check is re-probed at once; after a failed
 * run or at the deadline it is closed, and the next run opens a new one. A kept connection that
 * turns out dead at the start of a run is replaced once within that run, so a server that restarted
 * between two runs is not reported down.
 *
 * <p>Every outcome of the server is a result: refused, authentication failed, no such database,
 * no answer in time and query errors are {@code critical} with distinct messages; a custom query
 * that is wrong (syntax, permission, no number) is {@code unknown}. Messages never show the
 * password.
 */
public final class PostgresProbe implements Probe {

  /**
   * One row about the server's client sessions. {@code longest_transaction} leaves out medic's own
   * session, whose transaction is this query; a role without {@code pg_read_all_stats} sees the
   * state of its own sessions only, which {@code sees_all} tells.
   */
  static final String ACTIVITY_QUERY = """
      SELECT count(*) AS connections,
             current_setting('max_connections')::int AS max_connections,
             greatest(0, coalesce(extract(epoch FROM now() - min(xact_start) FILTER (WHERE pid <> pg_backend_pid())),
               0))::float8 AS longest_transaction,
             count(*) FILTER (WHERE state IN ('idle in transaction', 'idle in transaction (aborted)'))
               AS idle_in_transaction,
             pg_is_in_recovery() AS standby,
             extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_lag,
             pg_has_role('pg_read_all_stats', 'MEMBER') AS sees_all
        FROM pg_stat_activity
       WHERE backend_type = 'client backend'""";

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private final KeptConnection<PgConnection> kept;
  // Touched only on the kept connection's context.
  private ConnectionFactory<PgConnectOptions> factory;
  private PgConnectOptions connectOptions;

  PostgresProbe(Config config, ProbeContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
    this.kept = new KeptConnection<>(context, "postgres " + config.target().map(Target::shown).orElse("?"),
        PgConnection::close);
  }

  /**
   * One postgres check, validated.
   *
   * @param target empty when the uri was invalid; such a probe reports {@code unknown}
   */
  record Config(Optional<Target> target, String validationQuery, Optional<String> query) {}

  @Override
  public Future<ProbeResult> run() {
    if (config.target().isEmpty()) {
      return Future.succeededFuture(ProbeResult.unknown("uri is not valid (run medic check for the cause)"));
    }
    return kept.call(() -> probe(config.target().get()));
  }

  @Override
  public Future<Void> close() {
    return kept.close(() -> {
      ConnectionFactory<PgConnectOptions> f = factory;
      factory = null;
      return f == null ? Future.succeededFuture() : closeFactory(f);
    });
  }

  /** The state of one run, touched only on the context. */
  private static final class Run {
    final long start = System.nanoTime();
    final Promise<ProbeResult> result = Promise.promise();
    boolean connected;
  }

  private Future<ProbeResult> probe(Target target) {
    String prefix = "postgres " + target.shown() + ": ";
    Run run = new Run();
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> {
      String within = "no answer within " + NetText.duration(timeout) + (run.connected ? "" : " (connecting)");
      if (run.result.tryComplete(critical(prefix + within, run))) {
        // A server that hangs: end the connection and anything still connecting through the factory.
        kept.discard();
        ConnectionFactory<PgConnectOptions> f = factory;
        factory = null;
        if (f != null) {
          closeFactory(f);
        }
      }
    });
    attempt(target, prefix, run, true);
    return run.result.future().andThen(done -> vertx.cancelTimer(timer));
  }

  /** @param mayRetry true when a kept connection is used and may be found dead: then connect once more */
  private void attempt(Target target, String prefix, Run run, boolean mayRetry) {
    boolean reused = kept.kept();
    kept.get(() -> connect(target)).onComplete(c -> {
      if (run.result.future().isComplete()) {
        return;
      }
      if (c.failed()) {
        run.result.tryComplete(critical(prefix + connectFailure(c.cause(), target), run));
        return;
      }
      run.connected = true;
      PgConnection conn = c.result();
      Future<RowSet<Row>> validation = conn.query(config.validationQuery()).execute();
      Future<RowSet<Row>> activity = conn.query(ACTIVITY_QUERY).execute();
      Future<RowSet<Row>> custom = config.query().map(q -> conn.query(q).execute()).orElse(null);
      Future.join(validation, activity, custom == null ? Future.succeededFuture() : custom).onComplete(all -> {
        if (run.result.future().isComplete()) {
          return;
        }
        Throwable broken = connectionLevel(validation, activity, custom);
        if (broken != null) {
          kept.discard();
          if (reused && mayRetry) {
            attempt(target, prefix, run, false);
          } else {
            run.result.tryComplete(critical(prefix + queryFailure(broken, target), run));
          }
          return;
        }
        run.result.tryComplete(judge(prefix, target, validation, activity, custom, run));
      });
    });
  }

  private Future<PgConnection> connect(Target target) {
    return options(target).compose(o -> factory().connect(kept.context(), o)).map(c -> {
      PgConnection pg = PgConnection.cast(c);
      pg.closeHandler(v -> kept.lost(pg, null));
      pg.exceptionHandler(e -> kept.lost(pg, e));
      return pg;
    });
  }

  /**
   * The probe's own factory, one NetClient reused by every connect. {@code PgConnection.connect}
   * would make a NetClient per call, which Vert.x 5.0 keeps until the instance closes (one per
   * failed attempt through an outage), and gives no handle to end a handshake a hung server never
   * answers; closing this factory at the deadline does. Replaced only then.
   */
  private ConnectionFactory<PgConnectOptions> factory() {
    if (factory == null) {
      factory = PgDriver.INSTANCE.createConnectionFactory(vertx, new NetClientOptions());
    }
    return factory;
  }

  private static Future<Void> closeFactory(ConnectionFactory<PgConnectOptions> f) {
    Promise<Void> closed = Promise.promise();
    f.close(closed);
    return closed.future();
  }

  /**
   * The options with TLS set as the sslmode means. For verify-ca and verify-full the JDK's trust
   * store is read at the first connect, on a worker thread: it is a file.
   */
  private Future<PgConnectOptions> options(Target target) {
    if (connectOptions != null) {
      return Future.succeededFuture(connectOptions);
    }
    SslMode mode = target.options().getSslMode();
    boolean verify = mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL;
    Future<TrustOptions> trust = verify
        ? vertx.executeBlocking(PostgresProbe::systemTrust, false) : Future.succeededFuture(null);
    return trust.map(t -> {
      PgConnectOptions o = new PgConnectOptions(target.options());
      ClientSSLOptions ssl = new ClientSSLOptions();
      switch (mode) {
        // As in libpq: encrypted, but neither the chain nor the name checked.
        case ALLOW, PREFER, REQUIRE -> ssl.setTrustAll(true).setHostnameVerificationAlgorithm("");
        case VERIFY_CA -> ssl.setTrustOptions(t).setHostnameVerificationAlgorithm("");
        case VERIFY_FULL -> ssl.setTrustOptions(t).setHostnameVerificationAlgorithm("HTTPS");
        default -> { }
      }
      if (mode != SslMode.DISABLE) {
        o.setSslOptions(ssl);
      }
      connectOptions = o;
      return o;
    });
  }

  private static TrustOptions systemTrust() {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      return TrustOptions.wrap(tmf);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the JDK's trusted certificates: " + e.getMessage(), e);
    }
  }

  private ProbeResult judge(String prefix, Target target, Future<RowSet<Row>> validation,
      Future<RowSet<Row>> activity, Future<RowSet<Row>> custom, Run run) {
    if (validation.failed()) {
      return critical(prefix + "validation query " + NetText.quote(config.validationQuery()) + " failed: "
          + serverError(validation.cause(), target), run);
    }
    if (activity.failed()) {
      return critical(prefix + "reading pg_stat_activity failed: " + serverError(activity.cause(), target), run);
    }
    Row a = activity.result().iterator().next();
    long connections = a.getLong("connections");
    int max = a.getInteger("max_connections");
    double longest = a.getDouble("longest_transaction");
    long idle = a.getLong("idle_in_transaction");
    boolean standby = a.getBoolean("standby");
    Double lag = a.getDouble("replay_lag");
    boolean seesAll = a.getBoolean("sees_all");

    Map<String, Measurement> m = new LinkedHashMap<>();
    m.put("connections", Measurement.count(connections));
    m.put("connections-used", Measurement.ratio(max > 0 ? (double) connections / max : 0));
    m.put("longest-transaction", Measurement.seconds(longest));
    m.put("idle-in-transaction", Measurement.count(idle));
    StringBuilder text = new StringBuilder(prefix.substring(0, prefix.length() - 2))
        .append(standby ? " standby" : " primary")
        .append(", ").append(connections).append(connections == 1 ? " connection" : " connections")
        .append(" (").append(m.get("connections-used").formatted()).append(" of max_connections ").append(max).append(")")
        .append(longest > 0 ? ", longest transaction " + Unit.SECONDS.format(longest) : ", no transaction open")
        .append(", ").append(idle).append(" idle in transaction");
    if (!seesAll) {
      text.append(" (other roles' sessions not visible: grant pg_monitor)");
    }
    if (standby) {
      if (lag == null) {
        text.append(", no transaction replayed yet");
      } else {
        m.put("replication-lag", Measurement.seconds(Math.max(0, lag)));
        text.append(", replication lag ").append(Unit.SECONDS.format(Math.max(0, lag)));
      }
    }
    Status status = Status.OK;
    if (custom != null) {
      Custom c = custom(custom, target);
      if (c.value().isPresent()) {
        m.put("query", new Measurement(c.value().get(), Unit.NUMBER));
        text.append(", query ").append(Unit.NUMBER.format(c.value().get()));
      } else {
        status = c.status();
        text.insert(0, c.problem() + " — ");
      }
    }
    return ProbeResult.of(status, text.toString(), m).withLatency(NetText.since(run.start));
  }

  /** The custom query's number, or why there is none and what that makes the result. */
  private record Custom(Optional<Double> value, Status status, String problem) {}

  private Custom custom(Future<RowSet<Row>> custom, Target target) {
    String q = "query " + NetText.quote(config.query().orElse(""));
    if (custom.failed()) {
      // A query that is wrong (syntax, missing table, no permission: class 42) cannot judge the
      // server; any other error is the server's.
      boolean wrong = custom.cause() instanceof PgException pg && pg.getSqlState() != null
          && pg.getSqlState().startsWith("42");
      return new Custom(Optional.empty(), wrong ? Status.UNKNOWN : Status.CRITICAL,
          q + " failed: " + serverError(custom.cause(), target));
    }
    RowSet<Row> rows = custom.result();
    if (rows.size() != 1 || rows.columnsNames() == null || rows.columnsNames().isEmpty()) {
      return new Custom(Optional.empty(), Status.UNKNOWN,
          q + " returned " + rows.size() + (rows.size() == 1 ? " row" : " rows") + " (expected one row with one number)");
    }
    Object v = rows.iterator().next().getValue(0);
    if (v instanceof Number n) {
      return new Custom(Optional.of(n.doubleValue()), Status.OK, "");
    }
    if (v instanceof Boolean b) {
      return new Custom(Optional.of(b ? 1.0 : 0.0), Status.OK, "");
    }
    String got = v == null ? "NULL" : NetText.quote(String.valueOf(v));
    return new Custom(Optional.empty(), Status.UNKNOWN, q + " returned " + got + " (expected a number)");
  }

  /** The first failure among the queries that means the connection itself is gone, or null. */
  private static Throwable connectionLevel(Future<?>... queries) {
    for (Future<?> f : queries) {
      if (f != null && f.failed() && !(f.cause() instanceof PgException pg && !fatal(pg))) {
        return f.cause();
      }
    }
    return null;
  }

  private static boolean fatal(PgException e) {
    return "FATAL".equals(e.getSeverity()) || "PANIC".equals(e.getSeverity());
  }

  /** Why connecting failed, in the words an operator searches for. */
  private String connectFailure(Throwable e, Target target) {
    PgException pg = NetText.find(e, PgException.class);
    if (pg != null) {
      return serverError(pg, target);
    }
    if (NetText.find(e, ConnectException.class) != null && NetText.find(e, javax.net.ssl.SSLException.class) == null) {
      return "connection refused";
    }
    if (target.password().isEmpty() && e instanceof IllegalArgumentException
        && String.valueOf(e.getMessage()).contains("password")) {
      // The client refuses to answer a password request with no password.
      return "authentication failed (no password in the uri, and the server asks for one)";
    }
    if (String.valueOf(e.getMessage()).contains("does not handle SSL")) {
      return "server does not accept TLS (sslmode=" + target.options().getSslMode().value + ")";
    }
    if (NetText.find(e, ClosedConnectionException.class) != null) {
      return "connection closed by the server during the handshake"
          + (target.options().getSslMode() == SslMode.DISABLE ? "" : " (does the server accept TLS?)");
    }
    return NetText.redact(NetText.failure(e, target.options().getHost() + ":" + target.options().getPort(), timeout),
        target.password());
  }

  private String queryFailure(Throwable e, Target target) {
    if (NetText.find(e, ClosedConnectionException.class) != null) {
      return "connection closed by the server";
    }
    return serverError(e, target);
  }

  /**
   * A server error as {@code what (SQLSTATE message)}: authentication failed, database does not
   * exist, no free connection slot, server starting up or shutting down; others as they come.
   */
  private String serverError(Throwable e, Target target) {
    if (!(e instanceof PgException pg)) {
      if (e instanceof ClosedConnectionException) {
        return "connection closed by the server";
      }
      String m = e.getMessage();
      return NetText.redact(m == null || m.isBlank() ? e.getClass().getSimpleName() : m, target.password());
    }
    String state = pg.getSqlState() == null ? "" : pg.getSqlState();
    String what = switch (state) {
      case "28P01", "28000" -> "authentication failed" + (target.password().isEmpty() ? " (no password in the uri)" : "");
      case "3D000" -> "database does not exist";
      case "53300" -> "no free connection slot";
      case "57P03" -> "server is not accepting connections";
      case "57P01", "57P02" -> "server is shutting down";
      default -> null;
    };
    String detail = (state + " " + NetText.redact(String.valueOf(pg.getErrorMessage()), target.password())).trim();
    return what == null ? detail : what + " (" + detail + ")";
  }

  private static ProbeResult critical(String message, Run run) {
    return ProbeResult.critical(message).withLatency(NetText.since(run.start));
  }

}
