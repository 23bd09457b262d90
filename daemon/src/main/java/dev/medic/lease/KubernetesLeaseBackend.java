package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import dev.medic.kubernetes.KubernetesAccess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Leases as coordination.k8s.io/v1 {@code Lease} objects in the namespace, named
 * {@code <prefix>-<key>} made a DNS-1123 label, as client-go's leader election keeps them:
 * {@code holderIdentity} is the instance, and a lease whose {@code renewTime} plus
 * {@code leaseDurationSeconds} has passed is free, as is one whose holder is "". Every write is a
 * PUT with the {@code resourceVersion} last read, so of two instances writing at once the API
 * server lets one win and answers 409 Conflict to the other, which reads again.
 *
 * <p>The fencing token is {@code leaseTransitions}, raised at every grant. A shared budget is the
 * annotation {@code medic.dev/attempts} (a JSON array) of the Lease object named for the budget.
 *
 * <p>Expiry is judged by each instance's clock against {@code renewTime}, as client-go does: the
 * instances' clocks must agree to well within the ttl (NTP).
 */
final class KubernetesLeaseBackend implements LeaseBackend {

  static final String ATTEMPTS = "medic.dev/attempts";
  private static final String API = "/apis/coordination.k8s.io/v1/namespaces/";
  /** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  /** Token and CA are re-read this often: the kubelet rotates tokens about hourly, well before they expire. */
  private static final long CREDENTIALS_FOR_NANOS = Duration.ofMinutes(1).toNanos();
  private static final int WRITE_TRIES = 5;

  private final Vertx vertx;
  private final KubernetesAccess access;
  private final String prefix;
  private final String instance;
  private final Duration ttl;
  private final long answerMs;
  /** Touched on whatever context calls; a race at worst builds one client more, closed at once. */
  private volatile Connection connection;

  /** A client for the credentials it was made with. */
  private record Connection(KubernetesAccess.Credentials credentials, WebClient client, long readAtNanos) {}

  /** A GET: the object, or empty for 404. */
  private record Read(Optional<JsonObject> object) {}

  KubernetesLeaseBackend(Vertx vertx, ClusterConfig cluster, String instance) {
    this.vertx = vertx;
    this.access = cluster.kubernetes();
    this.prefix = cluster.keyPrefix();
    this.instance = instance;
    this.ttl = cluster.ttl();
    this.answerMs = Math.min(10_000, Math.max(2_000, ttl.toMillis()));
  }

  /**
   * The Lease object's name for {@code key}: {@code <prefix>-<key>} in lower case with every run of
   * other characters made one "-"; when that changed the key or is longer than 63, cut and
   * followed by 8 hex digits of the key's SHA-256, so that distinct keys keep distinct names.
   */
  static String objectName(String prefix, String key) {
    String clean = key.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    String name = prefix + "-" + clean;
    if (clean.equals(key) && name.length() <= 63) {
      return name;
    }
    String hash = sha256Hex(key).substring(0, 8);
    String head = name.length() > 63 - 9 ? name.substring(0, 63 - 9) : name;
    return head.replaceAll("-+$", "") + "-" + hash;
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  static String microTime(Instant t) {
    return MICRO_TIME.format(t);
  }

  private int durationSeconds() {
    return (int) Math.max(1, (ttl.toMillis() + 999) / 1000);
  }

  // ---- leases -------------------------------------------------------------------------------------------------

  @Override
  public Future<Acquisition> acquire(String key) {
    String name = objectName(prefix, key);
    long sent = System.nanoTime();
    return guard("take the lease on " + key, connection().compose(c -> get(c, name)
        .compose(read -> decide(c, key, name, read, sent, 1))));
  }

  private Future<Acquisition> decide(Connection c, String key, String name, Read read, long sent, int retries) {
    Instant now = Instant.now();
    if (read.object().isEmpty()) {
      JsonObject created = leaseObject(name, c.credentials().namespace(), new JsonObject(), now, 0);
      return send(c, HttpMethod.POST, collection(c), created).compose(r -> {
        if (r.statusCode() == 201 || r.statusCode() == 200) {
          return Future.succeededFuture(granted(key, name, r.bodyAsJsonObject(), sent));
        }
        if (r.statusCode() == 409 && retries > 0) { // created by another instance just now
          return get(c, name).compose(again -> decide(c, key, name, again, sent, retries - 1));
        }
        return refused(r, "create", name, c);
      });
    }
    JsonObject current = read.object().get();
    JsonObject spec = current.getJsonObject("spec", new JsonObject());
    String holder = spec.getString("holderIdentity", "");
    if (!holder.isEmpty() && !holder.equals(instance) && !expired(spec, now)) {
      return Future.succeededFuture(new Acquisition.HeldBy(holder));
    }
    long transitions = spec.getLong("leaseTransitions", 0L) + 1;
    JsonObject taken = leaseObject(name, c.credentials().namespace(), current.getJsonObject("metadata"), now,
        transitions);
    return send(c, HttpMethod.PUT, item(c, name), taken).compose(r -> {
      if (r.statusCode() == 200) {
        return Future.succeededFuture(granted(key, name, r.bodyAsJsonObject(), sent));
      }
      if (r.statusCode() == 409) { // written by someone else since our GET: read again, once
        return get(c, name).compose(again -> retries > 0
            ? decide(c, key, name, again, sent, retries - 1)
            : Future.succeededFuture(new Acquisition.HeldBy(again.object()
                .map(o -> o.getJsonObject("spec", new JsonObject()).getString("holderIdentity", ""))
                .filter(h -> !h.isEmpty()).orElse("unknown"))));
      }
      return refused(r, "update", name, c);
    });
  }

  private Acquisition granted(String key, String name, JsonObject object, long sent) {
    long token = object.getJsonObject("spec").getLong("leaseTransitions", 0L);
    return new Acquisition.Granted(new KubernetesLease(key, name, object, token, sent));
  }

  /**
   * {@code metadata} as read (its resourceVersion makes the write conditional, its annotations are
   * kept), with a spec held by this instance from {@code now}.
   */
  private JsonObject leaseObject(String name, String namespace, JsonObject metadata, Instant now, long transitions) {
    JsonObject meta = metadata == null ? new JsonObject() : metadata.copy();
    meta.put("name", name).put("namespace", namespace);
    if (!meta.containsKey("labels")) {
      meta.put("labels", new JsonObject().put("app.kubernetes.io/managed-by", "medic"));
    }
    return new JsonObject()
        .put("apiVersion", "coordination.k8s.io/v1")
        .put("kind", "Lease")
        .put("metadata", meta)
        .put("spec", new JsonObject()
            .put("holderIdentity", instance)
            .put("leaseDurationSeconds", durationSeconds())
            .put("acquireTime", microTime(now))
            .put("renewTime", microTime(now))
            .put("leaseTransitions", transitions));
  }

  /** Past renewTime + leaseDurationSeconds (a lease without them has never been renewed). */
  static boolean expired(JsonObject spec, Instant now) {
    String renew = spec.getString("renewTime");
    Integer seconds = spec.getInteger("leaseDurationSeconds");
    if (renew == null || seconds == null) {
      return true;
    }
    try {
      return !Instant.parse(renew).plusSeconds(seconds).isAfter(now);
    } catch (DateTimeParseException e) {
      return true;
    }
  }

  // ---- budgets -------------------------------------------------------------------------------------------------

  @Override
  public Future<List<JsonObject>> attempts(String budgetKey) {
    String name = objectName(prefix, budgetKey);
    return guard("read the shared budget " + budgetKey, connection().compose(c -> get(c, name)).map(read -> {
      List<JsonObject> out = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (Object o : records(read)) {
        if (o instanceof JsonObject r && r.getLong("until", 0L) > now && r.getJsonObject("attempt") != null) {
          out.add(r.getJsonObject("attempt"));
        }
      }
      return out;
    }));
  }

  private static JsonArray records(Read read) {
    String text = read.object()
        .map(o -> o.getJsonObject("metadata", new JsonObject()).getJsonObject("annotations", new JsonObject()))
        .map(a -> a.getString(ATTEMPTS)).orElse(null);
    if (text == null) {
      return new JsonArray();
    }
    try {
      return new JsonArray(text);
    } catch (RuntimeException e) {
      return new JsonArray(); // not ours to understand; it is replaced at the next write
    }
  }

  @Override
  public Future<Void> recordAttempt(String budgetKey, JsonObject attempt, Duration keep) {
    String name = objectName(prefix, budgetKey);
    return guard("record an attempt in the shared budget " + budgetKey, connection().compose(c ->
        updateBudget(c, name, records -> {
          long now = System.currentTimeMillis();
          JsonObject record = new JsonObject().put("until", now + Math.max(1, keep.toMillis())).put("attempt", attempt);
          Object token = attempt.getValue("token");
          JsonArray kept = new JsonArray();
          int replace = -1;
          for (Object o : records) {
            if (o instanceof JsonObject r && r.getLong("until", 0L) > now) {
              kept.add(r);
            }
          }
          for (int i = kept.size() - 1; i >= 0 && token != null; i--) {
            Object t = kept.getJsonObject(i).getJsonObject("attempt", new JsonObject()).getValue("token");
            if (t != null && String.valueOf(t).equals(String.valueOf(token))) {
              replace = i;
              break;
            }
          }
          if (replace >= 0) {
            kept.set(replace, record);
          } else {
            kept.add(record);
          }
          return Optional.of(kept);
        }, WRITE_TRIES)));
  }

  @Override
  public Future<Void> clearBudget(String budgetKey) {
    String name = objectName(prefix, budgetKey);
    return guard("clear the shared budget " + budgetKey, connection().compose(c ->
        updateBudget(c, name, records -> Optional.empty(), WRITE_TRIES)));
  }

  /**
   * Read, change the annotation, write with the resourceVersion read; again on 409. {@code change}
   * gives the new records, or empty to remove the annotation.
   */
  private Future<Void> updateBudget(Connection c, String name,
      java.util.function.Function<JsonArray, Optional<JsonArray>> change, int tries) {
    return get(c, name).compose(read -> {
      Optional<JsonArray> records = change.apply(records(read));
      if (read.object().isEmpty()) {
        if (records.isEmpty()) {
          return Future.succeededFuture();
        }
        JsonObject created = new JsonObject()
            .put("apiVersion", "coordination.k8s.io/v1")
            .put("kind", "Lease")
            .put("metadata", new JsonObject().put("name", name).put("namespace", c.credentials().namespace())
                .put("labels", new JsonObject().put("app.kubernetes.io/managed-by", "medic"))
                .put("annotations", new JsonObject().put(ATTEMPTS, records.get().encode())))
            .put("spec", new JsonObject());
        return send(c, HttpMethod.POST, collection(c), created).compose(r -> written(r, c, name, change, tries, "create"));
      }
      JsonObject object = read.object().get().copy();
      JsonObject meta = object.getJsonObject("metadata");
      JsonObject annotations = meta.getJsonObject("annotations", new JsonObject());
      if (records.isPresent()) {
        annotations.put(ATTEMPTS, records.get().encode());
      } else if (annotations.remove(ATTEMPTS) == null) {
        return Future.succeededFuture();
      }
      meta.put("annotations", annotations);
      return send(c, HttpMethod.PUT, item(c, name), object).compose(r -> written(r, c, name, change, tries, "update"));
    });
  }

  private Future<Void> written(HttpResponse<Buffer> r, Connection c, String name,
      java.util.function.Function<JsonArray, Optional<JsonArray>> change, int tries, String verb) {
    if (r.statusCode() == 200 || r.statusCode() == 201) {
      return Future.succeededFuture();
    }
    if (r.statusCode() == 409 && tries > 1) {
      return updateBudget(c, name, change, tries - 1);
    }
    return refused(r, verb, name, c);
  }

  @Override
  public Future<Void> close() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      c.client().close();
    }
    return Future.succeededFuture();
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  /** The client, with credentials read at most a minute ago; a new one when the CA file changed. */
  private Future<Connection> connection() {
    Connection c = connection;
    if (c != null && System.nanoTime() - c.readAtNanos() < CREDENTIALS_FOR_NANOS) {
      return Future.succeededFuture(c);
    }
    return access.credentials(vertx).map(credentials -> {
      Connection now = connection;
      if (now != null && now.credentials().ca().equals(credentials.ca())) {
        Connection refreshed = new Connection(credentials, now.client(), System.nanoTime());
        connection = refreshed;
        return refreshed;
      }
      WebClient client = WebClient.create(vertx, new WebClientOptions(
          access.clientOptions(credentials, "medic-lease[" + access.api().shown() + "]")));
      Connection fresh = new Connection(credentials, client, System.nanoTime());
      connection = fresh;
      if (now != null) {
        now.client().close();
      }
      return fresh;
    });
  }

  private String collection(Connection c) {
    return access.api().basePath() + API + c.credentials().namespace() + "/leases";
  }

  private String item(Connection c, String name) {
    return collection(c) + "/" + name;
  }

  private Future<Read> get(Connection c, String name) {
    return send(c, HttpMethod.GET, item(c, name), null).compose(r -> {
      if (r.statusCode() == 200) {
        return Future.succeededFuture(new Read(Optional.of(r.bodyAsJsonObject())));
      }
      if (r.statusCode() == 404) {
        return Future.succeededFuture(new Read(Optional.empty()));
      }
      return refused(r, "get", name, c);
    });
  }

  private Future<HttpResponse<Buffer>> send(Connection c, HttpMethod method, String path, JsonObject body) {
    HttpRequest<Buffer> request = c.client()
        .request(method, access.api().port(), access.api().host(), path)
        .ssl(true)
        .timeout(answerMs)
        .bearerTokenAuthentication(c.credentials().token())
        .putHeader("Accept", "application/json")
        .putHeader("User-Agent", "medic");
    return body == null ? request.send() : request.sendJsonObject(body);
  }

  /** An answer that is neither the object nor a conflict: the backend cannot be used as it is. */
  private <T> Future<T> refused(HttpResponse<Buffer> r, String verb, String name, Connection c) {
    String why = r.statusCode() == 401 ? " (the token from " + access.tokenFile() + " was not accepted)"
        : r.statusCode() == 403 ? " (the service account needs RBAC permission to get, create and update"
            + " leases.coordination.k8s.io in " + c.credentials().namespace() + ")" : "";
    String message = "";
    try {
      JsonObject status = r.bodyAsJsonObject();
      message = status == null ? "" : ": " + status.getString("message", "");
    } catch (RuntimeException e) {
      // not a Status object
    }
    return Future.failedFuture(new IllegalStateException("cannot " + verb + " Lease " + c.credentials().namespace()
        + "/" + name + ": HTTP " + r.statusCode() + message + why));
  }

  private <T> Future<T> guard(String what, Future<T> work) {
    return work.recover(e -> Future.failedFuture(new LeaseBackendUnavailable("cannot " + what
        + ": lease backend kubernetes " + access.api().shown() + ": " + RedisLeaseBackend.message(e), e)));
  }

  // ---- the lease -----------------------------------------------------------------------------------------------

  private final class KubernetesLease extends RenewingLease {

    private final String name;
    /** The object as last written by this lease; its resourceVersion conditions the next write. */
    private volatile JsonObject object;

    KubernetesLease(String key, String name, JsonObject object, long token, long sentAtNanos) {
      super(vertx, key, token, ttl, sentAtNanos);
      this.name = name;
      this.object = object;
    }

    private boolean ours(JsonObject o) {
      JsonObject spec = o.getJsonObject("spec", new JsonObject());
      return instance.equals(spec.getString("holderIdentity")) && spec.getLong("leaseTransitions", -1L) == fencingToken();
    }

    /** PUT {@code change} of the object; on 409 read again and, while it is still this lease, once more. */
    private Future<Boolean> write(java.util.function.UnaryOperator<JsonObject> change, int tries) {
      return connection().compose(c -> {
        JsonObject next = change.apply(object.copy());
        return send(c, HttpMethod.PUT, item(c, name), next).compose(r -> {
          if (r.statusCode() == 200) {
            object = r.bodyAsJsonObject();
            return Future.succeededFuture(true);
          }
          if (r.statusCode() == 404) {
            return Future.succeededFuture(false);
          }
          if (r.statusCode() == 409 && tries > 1) {
            return get(c, name).compose(read -> {
              if (read.object().isEmpty() || !ours(read.object().get())) {
                return Future.succeededFuture(false);
              }
              object = read.object().get();
              return write(change, tries - 1);
            });
          }
          return refused(r, "update", name, c);
        });
      });
    }

    @Override
    Future<Boolean> renewOnce() {
      return guard("renew the lease on " + key(), write(o -> {
        o.getJsonObject("spec").put("renewTime", microTime(Instant.now()));
        return o;
      }, 2));
    }

    @Override
    Future<Void> releaseOnce() {
      // As client-go gives a lease up: no holder, so the next instance need not wait for the ttl.
      return guard("release the lease on " + key(), write(o -> {
        o.getJsonObject("spec").put("holderIdentity", "").put("leaseDurationSeconds", 1)
            .put("renewTime", microTime(Instant.now()));
        return o;
      }, 2).mapEmpty());
    }
  }
}
