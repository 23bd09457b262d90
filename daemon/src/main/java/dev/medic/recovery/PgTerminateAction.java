package dev.medic.recovery;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Ends PostgreSQL sessions by rule: those idle in a transaction longer than a limit (they hold
 * locks and keep vacuum from cleaning up) and those running one statement longer than a limit.
 *
 * <p>A run opens its own connection, selects the candidates from {@code pg_stat_activity}, then
 * ends each with {@code pg_terminate_backend} — but only if it is still the same backend in the
 * same state episode ({@code backend_start} and {@code state_change} unchanged), so a session
 * that committed in between, or a new backend that got the old pid, is left alone. Never
 * terminated, whatever the rules say: medic's own session ({@code pg_backend_pid()}); backends
 * other than client sessions (walsenders, autovacuum, background workers) unless
 * {@code include-replication}; sessions of superusers unless {@code include-superusers}.
 *
 * <p>Without {@code pg_read_all_stats} a role sees other roles' sessions in
 * {@code pg_stat_activity} without their state, so it cannot tell which to end. Such hidden
 * sessions make the outcome a failure that says which grant is missing, rather than a quiet
 * "nothing to do".
 */
final class PgTerminateAction implements Action {

  /** Sessions named one by one in a message; the rest are counted. */
  static final int LISTED = 20;

  /** What {@code pg_stat_activity.query} reads for a session the role may not look into. */
  static final String HIDDEN = "<insufficient privilege>";

  /**
   * One pg-terminate action, validated.
   *
   * @param uri as configured, password included: never shown
   * @param shown the URI with its password masked
   * @param idleInTransaction end sessions idle in a transaction longer than this
   * @param running end sessions whose current statement has run longer than this
   * @param database only sessions connected to this database
   * @param user only sessions of this role
   */
  record Config(String uri, String shown, Optional<Duration> idleInTransaction, Optional<Duration> running,
      Optional<String> database, Optional<String> user, boolean includeSuperusers, boolean includeReplication) {

    /** {@code idle in transaction > 1s or active > 5m}: the rule, as messages state it. */
    String rule() {
      List<String> parts = new ArrayList<>();
      idleInTransaction.ifPresent(d -> parts.add("idle in transaction > " + RemoteText.duration(d)));
      running.ifPresent(d -> parts.add("active > " + RemoteText.duration(d)));
      String rule = String.join(" or ", parts);
      if (database.isPresent() || user.isPresent()) {
        List<String> only = new ArrayList<>();
        user.ifPresent(u -> only.add("user " + u));
        database.ifPresent(d -> only.add("database " + d));
        rule += ", only " + String.join(" in ", only);
      }
      return rule;
    }
  }

  /** A statement and its parameters, built from the configuration alone. */
  record Query(String sql, Tuple params) {}

  /** A session chosen to end, with what identifies it at the moment it was chosen. */
  record Candidate(int pid, String user, String database, String state, double seconds,
      OffsetDateTime backendStart, OffsetDateTime stateChange) {

    String shown() {
      return "pid " + pid + " (" + (user == null ? "?" : user) + "@" + (database == null ? "?" : database) + ", "
          + state + " for " + age(seconds) + ")";
    }

    /** {@code 1.4s}, {@code 42s}, {@code 12m5s}, {@code 3h20m}: as precise as an operator cares. */
    static String age(double seconds) {
      if (seconds < 10) {
        return String.format(java.util.Locale.ROOT, "%.1fs", Math.max(0, seconds));
      }
      long s = Math.round(seconds);
      if (s < 60) {
        return s + "s";
      }
      if (s < 3600) {
        return s / 60 + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
      }
      return s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : s % 3600 / 60 + "m");
    }
  }

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;

  PgTerminateAction(Config config, ActionContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  @Override
  public String describe() {
    return "pg_terminate_backend sessions (" + config.rule() + ") at " + config.shown();
  }

  /**
   * The candidates: the rule's sessions minus those never to be touched. Parameters are bound,
   * never spliced: database and user names come from the configuration, but are still names.
   */
  static Query candidates(Config c) {
    List<Object> params = new ArrayList<>();
    StringBuilder sql = new StringBuilder("""
        SELECT a.pid, a.usename, a.datname, a.state, a.backend_start, a.state_change,
               extract(epoch FROM now() - CASE WHEN a.state = 'active' THEN a.query_start
                                               ELSE a.state_change END)::float8 AS seconds
          FROM pg_stat_activity a
          LEFT JOIN pg_roles r ON r.oid = a.usesysid
         WHERE a.pid <> pg_backend_pid()""");
    exclusions(c, sql, params);
    List<String> rules = new ArrayList<>();
    c.idleInTransaction().ifPresent(d -> {
      params.add(seconds(d));
      rules.add("(a.state IN ('idle in transaction', 'idle in transaction (aborted)')"
          + " AND now() - a.state_change > make_interval(secs => $" + params.size() + "))");
    });
    c.running().ifPresent(d -> {
      params.add(seconds(d));
      rules.add("(a.state = 'active' AND now() - a.query_start > make_interval(secs => $" + params.size() + "))");
    });
    sql.append("\n   AND (").append(String.join("\n        OR ", rules)).append(")");
    sql.append("\n ORDER BY a.pid");
    return new Query(sql.toString(), Tuple.from(params));
  }

  /**
   * Sessions the rule might cover but whose state this role may not see: the same filters, but
   * {@code query} reading {@value #HIDDEN}. Background processes have no role and are not counted.
   */
  static Query hidden(Config c) {
    List<Object> params = new ArrayList<>();
    StringBuilder sql = new StringBuilder("""
        SELECT count(*) AS hidden
          FROM pg_stat_activity a
          LEFT JOIN pg_roles r ON r.oid = a.usesysid
         WHERE a.pid <> pg_backend_pid()
           AND a.usesysid IS NOT NULL""");
    params.add(HIDDEN);
    sql.append("\n   AND a.query = $1");
    if (!c.includeSuperusers()) {
      sql.append("\n   AND NOT coalesce(r.rolsuper, false)");
    }
    filters(c, sql, params);
    return new Query(sql.toString(), Tuple.from(params));
  }

  private static void exclusions(Config c, StringBuilder sql, List<Object> params) {
    if (!c.includeReplication()) {
      sql.append("\n   AND a.backend_type = 'client backend'");
    }
    if (!c.includeSuperusers()) {
      sql.append("\n   AND NOT coalesce(r.rolsuper, false)");
    }
    filters(c, sql, params);
  }

  private static void filters(Config c, StringBuilder sql, List<Object> params) {
    c.database().ifPresent(d -> {
      params.add(d);
      sql.append("\n   AND a.datname = $").append(params.size());
    });
    c.user().ifPresent(u -> {
      params.add(u);
      sql.append("\n   AND a.usename = $").append(params.size());
    });
  }

  /** Ends one candidate if it is still the backend, in the state episode, that was chosen. */
  static final String TERMINATE = """
      SELECT pg_terminate_backend(a.pid) AS terminated
        FROM pg_stat_activity a
       WHERE a.pid = $1 AND a.backend_start = $2 AND a.state_change = $3""";

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  /** The state of one run, touched by its callbacks one after another. */
  private static final class Progress {
    final List<Candidate> terminated = new ArrayList<>();
    final List<Candidate> skipped = new ArrayList<>();
    /** "could not terminate pid 12 (...): permission denied ...", in the order met. */
    final List<String> failed = new ArrayList<>();
    volatile PgConnection connection;
    volatile boolean over;
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    PgConnectOptions options;
    try {
      options = PgConnectOptions.fromUri(config.uri());
    } catch (RuntimeException e) {
      // Validated at load; only a configuration that skipped validation gets here.
      return Future.succeededFuture(ActionOutcome.failed(config.shown() + " is not a valid PostgreSQL URI"));
    }
    long timeoutMs = Math.max(1, timeout.toMillis());
    Progress progress = new Progress();
    Promise<ActionOutcome> outcome = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> {
      String done;
      synchronized (progress) {
        done = progress.terminated.isEmpty() ? ""
            : " after terminating " + list(progress.terminated);
      }
      if (outcome.tryComplete(ActionOutcome.failed("no answer from " + config.shown() + " within "
          + RemoteText.duration(timeout) + done))) {
        progress.over = true;
        PgConnection c = progress.connection;
        if (c != null) {
          c.close();
        }
      }
    });
    Map<String, String> properties = new HashMap<>(options.getProperties());
    // So that operators looking at pg_stat_activity see who is asking.
    properties.putIfAbsent("application_name", "medic");
    options.setProperties(properties);
    PgConnection.connect(vertx, options)
        .compose(conn -> {
          progress.connection = conn;
          if (progress.over) {
            return conn.close().compose(v -> Future.failedFuture("connected after the deadline"));
          }
          return work(conn, progress).eventually(conn::close);
        })
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          outcome.tryComplete(ar.succeeded() ? ar.result() : ActionOutcome.failed(failure(ar.cause(), progress)));
        });
    return outcome.future();
  }

  private Future<ActionOutcome> work(PgConnection conn, Progress progress) {
    Query hiddenQuery = hidden(config);
    Query candidatesQuery = candidates(config);
    return conn.preparedQuery(hiddenQuery.sql()).execute(hiddenQuery.params())
        .map(rows -> rows.iterator().next().getLong("hidden"))
        .compose(hidden -> conn.preparedQuery(candidatesQuery.sql()).execute(candidatesQuery.params())
            .compose(rows -> terminateEach(conn, chosen(rows), 0, progress))
            .map(v -> judge(progress, hidden)));
  }

  private static List<Candidate> chosen(RowSet<Row> rows) {
    List<Candidate> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(new Candidate(r.getInteger("pid"), r.getString("usename"), r.getString("datname"),
          r.getString("state"), r.getDouble("seconds"), r.getOffsetDateTime("backend_start"),
          r.getOffsetDateTime("state_change")));
    }
    return out;
  }

  /** One after another: a failure to end one session (e.g. permission denied) does not spare the rest. */
  private Future<Void> terminateEach(PgConnection conn, List<Candidate> all, int i, Progress progress) {
    if (i == all.size() || progress.over) {
      return Future.succeededFuture();
    }
    Candidate c = all.get(i);
    return conn.preparedQuery(TERMINATE).execute(Tuple.of(c.pid(), c.backendStart(), c.stateChange()))
        .map(rows -> {
          synchronized (progress) {
            if (rows.size() == 0) {
              progress.skipped.add(c);
            } else if (Boolean.TRUE.equals(rows.iterator().next().getBoolean("terminated"))) {
              progress.terminated.add(c);
            } else {
              progress.skipped.add(c); // gone by itself meanwhile
            }
          }
          return (Void) null;
        })
        .recover(e -> {
          synchronized (progress) {
            progress.failed.add("could not terminate " + c.shown() + ": " + RemoteText.cause(e));
          }
          return Future.succeededFuture();
        })
        .compose(v -> terminateEach(conn, all, i + 1, progress));
  }

  private ActionOutcome judge(Progress p, long hidden) {
    List<String> parts = new ArrayList<>();
    synchronized (p) {
      if (p.terminated.isEmpty() && p.skipped.isEmpty() && p.failed.isEmpty()) {
        parts.add("no session to terminate at " + config.shown() + " (" + config.rule() + ")");
      } else {
        parts.add("terminated " + RemoteText.count(p.terminated.size(), "session") + " at " + config.shown()
            + (p.terminated.isEmpty() ? "" : ": " + list(p.terminated)));
      }
      if (!p.skipped.isEmpty()) {
        parts.add(RemoteText.count(p.skipped.size(), "session") + " left alone, changed or gone since chosen: "
            + list(p.skipped));
      }
      parts.addAll(p.failed);
    }
    if (hidden > 0) {
      parts.add(RemoteText.count(hidden, "session") + " of other roles "
          + (hidden == 1 ? "is" : "are") + " not visible to medic's role"
          + " (grant it pg_read_all_stats so that it can see their state)");
    }
    String message = String.join("; ", parts);
    boolean allDone;
    synchronized (p) {
      allDone = p.failed.isEmpty();
    }
    return allDone && hidden == 0 ? ActionOutcome.succeeded(message) : ActionOutcome.failed(message);
  }

  private static String list(List<Candidate> sessions) {
    String listed = sessions.stream().limit(LISTED).map(Candidate::shown).collect(Collectors.joining(", "));
    return sessions.size() > LISTED ? listed + " and " + (sessions.size() - LISTED) + " more" : listed;
  }

  private String failure(Throwable cause, Progress progress) {
    String done;
    synchronized (progress) {
      done = progress.terminated.isEmpty() ? "" : " after terminating " + list(progress.terminated);
    }
    // A driver message can quote the connection string; mask it whatever it says.
    return dev.medic.config.Secrets.maskUri(
        "pg-terminate at " + config.shown() + " failed" + done + ": " + RemoteText.cause(cause));
  }
}
