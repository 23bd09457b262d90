package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.spi.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Leases as PostgreSQL session advisory locks: {@code pg_try_advisory_lock(id)}, id the first 64
 * bits of SHA-256 of {@code <prefix>:lease:<key>}, taken on a connection of its own per lease
 * (never pooled: the lock belongs to the session) whose application_name is
 * {@code medic:<instance>}, so that the others read the holder from pg_locks joined with
 * pg_stat_activity. Renewal is a {@code SELECT 1} on that connection every ttl/3; release is
 * {@code pg_advisory_unlock} and closing it.
 *
 * <p>The lock ends with its session, not at a time. So that a holder that freezes (stopped, its
 * network gone) does not keep it for good, the session sets {@code idle_session_timeout} to the
 * ttl (PostgreSQL 14 and later) — a renewing holder is never idle that long — and TCP keepalives
 * and {@code tcp_user_timeout} that notice a dead peer within about the ttl.
 *
 * <p>Fencing tokens come from the table {@code medic_lease_fence} (key, token); shared budgets
 * live in {@code medic_shared_attempts}. Both are created if missing, so the role needs CREATE on
 * the schema once (or an administrator creates them first, see docs/fleet.md).
 */
final class PostgresLeaseBackend implements LeaseBackend {

  /** Serialises the CREATE TABLE IF NOT EXISTS of instances starting together (which can collide). */
  private static final long SCHEMA_LOCK = lockId("medic:lease-schema");

  private static final String SCHEMA_FENCE = """
      CREATE TABLE IF NOT EXISTS medic_lease_fence (
        key text PRIMARY KEY,
        token bigint NOT NULL)""";
  private static final String SCHEMA_ATTEMPTS = """
      CREATE TABLE IF NOT EXISTS medic_shared_attempts (
        id bigserial PRIMARY KEY,
        budget text NOT NULL,
        token text,
        record jsonb NOT NULL,
        expires_at timestamptz NOT NULL,
        UNIQUE (budget, token))""";
  private static final String SESSION = """
      SELECT set_config('tcp_keepalives_idle', $1, false),
             set_config('tcp_keepalives_interval', $2, false),
             set_config('tcp_keepalives_count', '3', false),
             CASE WHEN current_setting('server_version_num')::int >= 120000
               THEN set_config('tcp_user_timeout', $3, false) END,
             CASE WHEN current_setting('server_version_num')::int >= 140000
               THEN set_config('idle_session_timeout', $3, false) END""";
  private static final String HOLDER = """
      SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = $1 AND l.objid::bigint = $2""";
  private static final String NEXT_TOKEN = """
      INSERT INTO medic_lease_fence (key, token) VALUES ($1, 1)
      ON CONFLICT (key) DO UPDATE SET token = medic_lease_fence.token + 1 RETURNING token""";
  private static final String RECORD = """
      INSERT INTO medic_shared_attempts (budget, token, record, expires_at)
      VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
      ON CONFLICT (budget, token) DO UPDATE SET record = EXCLUDED.record, expires_at = EXCLUDED.expires_at""";
  private static final String APPLICATION = "medic:";

  private final Vertx vertx;
  private final String prefix;
  private final String instance;
  private final Duration ttl;
  private final long answerMs;
  private final String shown;
  private final PgConnectOptions options;
  private final Pool pool;
  /** One NetClient for every lease connection (PgConnection.connect would keep one per call). */
  private final ConnectionFactory<PgConnectOptions> factory;
  private Future<Void> schema;

  PostgresLeaseBackend(Vertx vertx, ClusterConfig cluster, String instance) {
    this.vertx = vertx;
    this.prefix = cluster.keyPrefix();
    this.instance = instance;
    this.ttl = cluster.ttl();
    this.answerMs = Math.min(10_000, Math.max(2_000, ttl.toMillis()));
    this.shown = cluster.leaseShown();
    PgConnectOptions o = PgConnectOptions.fromUri(cluster.lease())
        .addProperty("application_name", APPLICATION + instance)
        // CREATE ... IF NOT EXISTS answers NOTICE "already exists" at every start: not news.
        .addProperty("client_min_messages", "warning");
    SslMode mode = o.getSslMode();
    if (mode != null && mode != SslMode.DISABLE) {
      ClientSSLOptions ssl = new ClientSSLOptions();
      switch (mode) {
        // As libpq: encrypted, but neither the chain nor the name checked.
        case ALLOW, PREFER, REQUIRE -> ssl.setTrustAll(true).setHostnameVerificationAlgorithm("");
        case VERIFY_CA -> ssl.setHostnameVerificationAlgorithm("");
        default -> ssl.setHostnameVerificationAlgorithm("HTTPS");
      }
      o.setSslOptions(ssl);
    }
    this.options = o;
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(new PgConnectOptions(o))
        .using(vertx).build();
    this.factory = PgDriver.INSTANCE.createConnectionFactory(vertx, new NetClientOptions().setConnectTimeout((int) answerMs));
  }

  /** The advisory lock id of a name: 64 bits of its SHA-256. */
  static long lockId(String name) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      long id = 0;
      for (int i = 0; i < 8; i++) {
        id = (id << 8) | (h[i] & 0xff);
      }
      return id;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private String leaseName(String key) {
    return prefix + ":lease:" + key;
  }

  private String budgetName(String key) {
    return prefix + ":" + key;
  }

  @Override
  public Future<Acquisition> acquire(String key) {
    long id = lockId(leaseName(key));
    long sent = System.nanoTime();
    return guard("take the lease on " + key, schema().compose(v -> connect()).compose(conn -> {
      conn.exceptionHandler(e -> { });
      Future<Acquisition> got = conn.preparedQuery(SESSION)
          .execute(Tuple.of(seconds(ttl.dividedBy(3)), seconds(ttl.dividedBy(3)), String.valueOf(ttl.toMillis())))
          .compose(r -> tryLock(conn, id))
          .compose(locked -> locked ? Future.succeededFuture(true)
              // Held, or just given up: ask who holds it, and try once more if nobody does.
              : holder(conn, id).compose(h -> h.isEmpty() ? tryLock(conn, id) : Future.succeededFuture(false)))
          .compose(locked -> {
            if (!locked) {
              return holder(conn, id).map(h -> (Acquisition) new Acquisition.HeldBy(h.isEmpty() ? "unknown" : h));
            }
            return conn.preparedQuery(NEXT_TOKEN).execute(Tuple.of(leaseName(key)))
                .map(r -> (Acquisition) new Acquisition.Granted(
                    new PostgresLease(conn, key, id, r.iterator().next().getLong(0), sent)));
          });
      // Only a granted lease keeps its connection.
      return got.andThen(ar -> {
        if (ar.failed() || !(ar.result() instanceof Acquisition.Granted)) {
          conn.close();
        }
      });
    }));
  }

  private static String seconds(Duration d) {
    return String.valueOf(Math.max(1, (d.toMillis() + 999) / 1000));
  }

  private Future<SqlConnection> connect() {
    return factory.connect(vertx.getOrCreateContext(), options).map(c -> (SqlConnection) c);
  }

  private static Future<Boolean> tryLock(SqlConnection conn, long id) {
    return conn.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(id))
        .map(r -> r.iterator().next().getBoolean(0));
  }

  /** The instance holding lock {@code id}, or "" when nobody does (any more). */
  private static Future<String> holder(SqlConnection conn, long id) {
    return conn.preparedQuery(HOLDER).execute(Tuple.of(id >>> 32, id & 0xffffffffL)).map(r -> {
      if (r.size() == 0) {
        return "";
      }
      String app = r.iterator().next().getString(0);
      return app == null || app.isEmpty() ? "unknown"
          : app.startsWith(APPLICATION) ? app.substring(APPLICATION.length()) : app;
    });
  }

  /** Creates the tables once per backend; tried again after a failure. */
  private synchronized Future<Void> schema() {
    if (schema == null || schema.failed()) {
      schema = pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
          .execute(Tuple.of(SCHEMA_LOCK))
          .compose(r -> conn.query(SCHEMA_FENCE).execute())
          .compose(r -> conn.query(SCHEMA_ATTEMPTS).execute())
          .mapEmpty());
    }
    return schema;
  }

  @Override
  public Future<List<JsonObject>> attempts(String budgetKey) {
    return guard("read the shared budget " + budgetKey, schema().compose(v -> pool.preparedQuery(
        "SELECT record FROM medic_shared_attempts WHERE budget = $1 AND expires_at > now() ORDER BY id")
        .execute(Tuple.of(budgetName(budgetKey)))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          for (Row row : rows) {
            out.add(row.getJsonObject(0));
          }
          return out;
        })));
  }

  @Override
  public Future<Void> recordAttempt(String budgetKey, JsonObject attempt, Duration keep) {
    Object token = attempt.getValue("token");
    return guard("record an attempt in the shared budget " + budgetKey, schema().compose(v -> pool.withConnection(
        conn -> conn.preparedQuery(RECORD)
            .execute(Tuple.of(budgetName(budgetKey), token == null ? null : String.valueOf(token), attempt,
                Math.max(1, keep.toMillis())))
            .compose(r -> conn.preparedQuery(
                "DELETE FROM medic_shared_attempts WHERE budget = $1 AND expires_at <= now()")
                .execute(Tuple.of(budgetName(budgetKey))))
            .mapEmpty())));
  }

  @Override
  public Future<Void> clearBudget(String budgetKey) {
    return guard("clear the shared budget " + budgetKey, schema().compose(v -> pool.preparedQuery(
        "DELETE FROM medic_shared_attempts WHERE budget = $1").execute(Tuple.of(budgetName(budgetKey))).mapEmpty()));
  }

  @Override
  public Future<Void> close() {
    Promise<Void> factoryClosed = Promise.promise();
    factory.close(factoryClosed);
    return Future.join(pool.close(), factoryClosed.future()).mapEmpty();
  }

  private <T> Future<T> guard(String what, Future<T> work) {
    return work.timeout(answerMs, TimeUnit.MILLISECONDS).recover(e -> Future.failedFuture(
        new LeaseBackendUnavailable("cannot " + what + ": lease backend " + shown + ": "
            + RedisLeaseBackend.message(e), e)));
  }

  private final class PostgresLease extends RenewingLease {

    private final SqlConnection conn;
    private final long id;
    private volatile boolean closed;

    PostgresLease(SqlConnection conn, String key, long id, long token, long sentAtNanos) {
      super(vertx, key, token, ttl, sentAtNanos);
      this.conn = conn;
      this.id = id;
      // The session ended (server restart, idle_session_timeout, network): the lock went with it.
      conn.closeHandler(v -> {
        closed = true;
        markLost();
      });
    }

    @Override
    Future<Boolean> renewOnce() {
      if (closed) {
        return Future.succeededFuture(false);
      }
      return conn.query("SELECT 1").execute().map(r -> true);
    }

    @Override
    Future<Void> releaseOnce() {
      if (closed) {
        return Future.succeededFuture();
      }
      return conn.preparedQuery("SELECT pg_advisory_unlock($1)").execute(Tuple.of(id))
          .<Void>mapEmpty()
          .eventually(conn::close)
          .recover(e -> closed ? Future.succeededFuture()
              : Future.failedFuture(new LeaseBackendUnavailable("cannot release the lease on " + key()
                  + ": lease backend " + shown + ": " + RedisLeaseBackend.message(e), e)));
    }

    @Override
    void lost() {
      // Never keep the session of a lease this instance no longer counts as held: it would keep the lock.
      conn.close();
    }
  }
}
