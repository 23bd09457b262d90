package dev.medic.recovery;

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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Removes the keys matching a pattern from one Redis database, a batch at a time: a {@code SCAN}
 * cursor loop with {@code MATCH} and {@code COUNT}, each batch found removed with one
 * {@code UNLINK} (which frees memory in the background, so a batch of large values does not stall
 * the server). {@code KEYS} is never sent: on a large database it blocks Redis for seconds — the
 * outage this action is meant to end. {@code FLUSHDB ASYNC} only with {@code mode = flushdb}.
 *
 * <p>Each run opens its own connection and closes it after, so nothing is held between runs and
 * the {@code SELECT} of the URI's database cannot leak into anything else. The action keeps its
 * own deadline: it stops between batches, closes the connection, and says how far it got. Keys
 * written while it runs may or may not be found (SCAN's guarantee covers only keys present
 * throughout).
 */
final class RedisClearAction implements Action {

  enum Mode {
    SCAN,
    FLUSHDB
  }

  /**
   * One redis-clear action, validated.
   *
   * @param uri as configured, credentials included: never shown
   * @param shown the URI with its password masked
   * @param pattern the MATCH pattern; empty with {@code mode = flushdb}
   * @param batch the COUNT hint of each SCAN
   */
  record Config(String uri, String shown, Mode mode, Optional<String> pattern, int batch) {}

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;

  RedisClearAction(Config config, ActionContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  @Override
  public String describe() {
    return config.mode() == Mode.FLUSHDB
        ? "FLUSHDB ASYNC at " + config.shown()
        : "SCAN MATCH " + RemoteText.quote(config.pattern().orElse("")) + " COUNT " + config.batch()
            + " + UNLINK at " + config.shown();
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    long timeoutMs = Math.max(1, timeout.toMillis());
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    AtomicLong unlinked = new AtomicLong();
    Promise<ActionOutcome> outcome = Promise.promise();
    Redis client = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(config.uri())
        .setMaxPoolSize(1)
        .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))));
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (outcome.tryComplete(ActionOutcome.failed(timedOut(unlinked.get())))) {
        // Fails the command in flight; the loop stops there.
        client.close();
      }
    });
    client.connect()
        .compose(conn -> (config.mode() == Mode.FLUSHDB ? flush(conn) : scan(conn, "0", unlinked, deadline))
            .eventually(conn::close))
        .eventually(client::close)
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          outcome.tryComplete(ar.succeeded() ? ar.result() : ActionOutcome.failed(failure(ar.cause(), unlinked.get())));
        });
    return outcome.future();
  }

  /** One SCAN step, its batch unlinked, then the next step until the cursor is back at 0. */
  private Future<ActionOutcome> scan(RedisConnection conn, String cursor, AtomicLong unlinked, long deadline) {
    String pattern = config.pattern().orElseThrow();
    return conn.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(config.batch()))
        .compose(reply -> {
          String next = reply.get(0).toString();
          Response keys = reply.get(1);
          Future<Long> removed = keys == null || keys.size() == 0 ? Future.succeededFuture(0L) : unlink(conn, keys);
          return removed.compose(n -> {
            unlinked.addAndGet(n);
            if (next.equals("0")) {
              return Future.succeededFuture(ActionOutcome.succeeded(
                  "unlinked " + RemoteText.count(unlinked.get(), "key") + " matching " + RemoteText.quote(pattern)));
            }
            if (System.nanoTime() - deadline >= 0) {
              return Future.succeededFuture(ActionOutcome.failed(timedOut(unlinked.get())));
            }
            return scan(conn, next, unlinked, deadline);
          });
        });
  }

  private static Future<Long> unlink(RedisConnection conn, Response keys) {
    Request unlink = Request.cmd(Command.UNLINK);
    for (Response key : keys) {
      // As bytes: keys need not be UTF-8.
      unlink.arg(key.toBuffer());
    }
    return conn.send(unlink).map(Response::toLong);
  }

  private Future<ActionOutcome> flush(RedisConnection conn) {
    // DBSIZE first, to say what went: FLUSHDB itself answers only OK.
    return conn.send(Request.cmd(Command.DBSIZE))
        .compose(size -> conn.send(Request.cmd(Command.FLUSHDB).arg("ASYNC"))
            .map(ok -> ActionOutcome.succeeded("flushed the database at " + config.shown()
                + " (" + RemoteText.count(size.toLong(), "key") + ")")));
  }

  private String timedOut(long unlinked) {
    return config.mode() == Mode.FLUSHDB
        ? "no answer to FLUSHDB from " + config.shown() + " within " + RemoteText.duration(timeout)
        : "stopped at the timeout of " + RemoteText.duration(timeout) + " after unlinking "
            + RemoteText.count(unlinked, "key") + " matching " + RemoteText.quote(config.pattern().orElse(""))
            + " (more may remain)";
  }

  private String failure(Throwable cause, long unlinked) {
    String progress = config.mode() == Mode.SCAN && unlinked > 0
        ? " after unlinking " + RemoteText.count(unlinked, "key") : "";
    // The client's messages can quote the connection string; mask it whatever it says.
    return dev.medic.config.Secrets.maskUri(
        "redis-clear at " + config.shown() + " failed" + progress + ": " + RemoteText.cause(cause));
  }
}
