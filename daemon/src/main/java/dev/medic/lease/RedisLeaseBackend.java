package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Leases as Redis keys. {@code <prefix>:lease:<key>} holds {@code "<instance>:<token>"} with a
 * PX expiry of the ttl; the token comes from {@code INCR <prefix>:lease:<key>:fence}, a counter
 * that never expires, so tokens only grow. Taking, renewing and giving up a lease are each one
 * Lua script, so that no other client comes between the compare and the write: renew is
 * compare-and-PEXPIRE and release compare-and-DEL, and neither touches another holder's value.
 *
 * <p>A shared budget is the list {@code <prefix>:attempts:<budget key>} of
 * {@code {"at": <ms>, "attempt": {...}}}, expiring {@code keep} after its last write.
 *
 * <p>One server, as the URI names it: with a replica promoted after a failover, a lease written to
 * the old primary but not yet replicated can be granted twice (what Redlock's critics point out).
 */
final class RedisLeaseBackend implements LeaseBackend {

  /** Takes the lease if nobody holds it: {1, token}, or {0, the holder's value}. */
  private static final String ACQUIRE = """
      local current = redis.call('GET', KEYS[1])
      if current then return {0, current} end
      local token = redis.call('INCR', KEYS[2])
      redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'NX', 'PX', ARGV[2])
      return {1, token}
      """;
  private static final String RENEW = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
      return 0
      """;
  private static final String RELEASE = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;
  /**
   * Replaces the last record with the same token, or appends; then drops records older than keep
   * from the head and lets the whole list expire keep after this write.
   * ARGV: record, token ('' for none), now ms, keep ms.
   */
  private static final String RECORD = """
      local replaced = false
      if ARGV[2] ~= '' then
        local items = redis.call('LRANGE', KEYS[1], 0, -1)
        for i = #items, 1, -1 do
          local ok, e = pcall(cjson.decode, items[i])
          if ok and type(e) == 'table' and type(e.attempt) == 'table' and e.attempt.token ~= nil
              and tostring(e.attempt.token) == ARGV[2] then
            redis.call('LSET', KEYS[1], i - 1, ARGV[1])
            replaced = true
            break
          end
        end
      end
      if not replaced then redis.call('RPUSH', KEYS[1], ARGV[1]) end
      local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[4])
      while true do
        local head = redis.call('LINDEX', KEYS[1], 0)
        if not head then break end
        local ok, e = pcall(cjson.decode, head)
        if ok and type(e) == 'table' and tonumber(e.at) ~= nil and tonumber(e.at) < cutoff then
          redis.call('LPOP', KEYS[1])
        else
          break
        end
      end
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      return 1
      """;

  private final Vertx vertx;
  private final Redis client;
  private final String prefix;
  private final String instance;
  private final Duration ttl;
  private final long answerMs;
  private final String shown;

  RedisLeaseBackend(Vertx vertx, ClusterConfig cluster, String instance) {
    this.vertx = vertx;
    this.prefix = cluster.keyPrefix();
    this.instance = instance;
    this.ttl = cluster.ttl();
    // An answer later than the ttl is of no use to a lease; a budget may wait a little longer.
    this.answerMs = Math.min(10_000, Math.max(2_000, ttl.toMillis()));
    this.shown = cluster.leaseShown();
    RedisOptions options = new RedisOptions()
        .setConnectionString(cluster.lease())
        .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) answerMs))
        .setMaxPoolSize(4)
        .setMaxPoolWaiting(64);
    this.client = Redis.createClient(vertx, options);
  }

  private String leaseKey(String key) {
    return prefix + ":lease:" + key;
  }

  private String budgetKey(String key) {
    return prefix + ":attempts:" + key;
  }

  @Override
  public Future<Acquisition> acquire(String key) {
    long sent = System.nanoTime();
    return send("take the lease on " + key, Request.cmd(Command.EVAL).arg(ACQUIRE).arg(2)
        .arg(leaseKey(key)).arg(leaseKey(key) + ":fence").arg(instance).arg(ttl.toMillis()))
        .map(r -> {
          if (r.get(0).toInteger() == 1) {
            long token = r.get(1).toLong();
            return new Acquisition.Granted(new RedisLease(key, token, sent));
          }
          return new Acquisition.HeldBy(holderOf(r.get(1).toString()));
        });
  }

  /** The instance in {@code "<instance>:<token>"}; instance names may hold colons, tokens do not. */
  static String holderOf(String value) {
    int colon = value.lastIndexOf(':');
    return colon <= 0 ? "unknown" : value.substring(0, colon);
  }

  @Override
  public Future<List<JsonObject>> attempts(String budgetKey) {
    return send("read the shared budget " + budgetKey,
        Request.cmd(Command.LRANGE).arg(budgetKey(budgetKey)).arg(0).arg(-1))
        .map(r -> {
          List<JsonObject> out = new ArrayList<>();
          for (Response item : r) {
            JsonObject attempt = new JsonObject(item.toString()).getJsonObject("attempt");
            if (attempt != null) {
              out.add(attempt);
            }
          }
          return out;
        });
  }

  @Override
  public Future<Void> recordAttempt(String budgetKey, JsonObject attempt, Duration keep) {
    long now = System.currentTimeMillis();
    Object token = attempt.getValue("token");
    String record = new JsonObject().put("at", now).put("attempt", attempt).encode();
    return send("record an attempt in the shared budget " + budgetKey, Request.cmd(Command.EVAL).arg(RECORD).arg(1)
        .arg(budgetKey(budgetKey)).arg(record).arg(token == null ? "" : String.valueOf(token)).arg(now)
        .arg(Math.max(1, keep.toMillis())))
        .mapEmpty();
  }

  @Override
  public Future<Void> clearBudget(String budgetKey) {
    return send("clear the shared budget " + budgetKey, Request.cmd(Command.DEL).arg(budgetKey(budgetKey)))
        .mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  private Future<Response> send(String what, Request request) {
    return client.send(request)
        .timeout(answerMs, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(new LeaseBackendUnavailable(
            "cannot " + what + ": lease backend " + shown + ": " + message(e), e)));
  }

  static String message(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m.lines().findFirst().orElse("");
  }

  private final class RedisLease extends RenewingLease {

    private final String value;

    RedisLease(String key, long token, long sentAtNanos) {
      super(vertx, key, token, ttl, sentAtNanos);
      this.value = instance + ":" + token;
    }

    @Override
    Future<Boolean> renewOnce() {
      return send("renew the lease on " + key(), Request.cmd(Command.EVAL).arg(RENEW).arg(1)
          .arg(leaseKey(key())).arg(value).arg(ttl.toMillis()))
          .map(r -> r.toInteger() == 1);
    }

    @Override
    Future<Void> releaseOnce() {
      return send("release the lease on " + key(), Request.cmd(Command.EVAL).arg(RELEASE).arg(1)
          .arg(leaseKey(key())).arg(value))
          .mapEmpty();
    }
  }
}
