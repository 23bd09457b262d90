package dev.medic.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of the Kubernetes API server that leases use, over HTTPS on 127.0.0.1: Lease objects of
 * coordination.k8s.io/v1 kept in memory, answered as the real server answers — 401 without the
 * bearer token, 404 Status for a missing object, 201 for a create and 409 AlreadyExists for a
 * second one, 200 for a PUT whose metadata.resourceVersion is the current one and 409 Conflict
 * otherwise; every write bumps the resourceVersion. It judges nothing else (expiry is the
 * clients' business, as with the real server). Every request is recorded.
 */
public final class FakeLeaseApiServer {

  /** One request as received. */
  public record Seen(String method, String path, JsonObject body) {}

  private static final Pattern PATH =
      Pattern.compile("/apis/coordination\\.k8s\\.io/v1/namespaces/([a-z0-9-]+)/leases(?:/([a-z0-9.-]+))?");

  private final String token;
  private final Map<String, JsonObject> objects = new LinkedHashMap<>();
  private final List<Seen> seen = new ArrayList<>();
  private long resourceVersion = 1000;
  private Runnable beforeNextPut;
  private HttpServer server;

  public FakeLeaseApiServer(String token) {
    this.token = token;
  }

  /** Listens on 127.0.0.1 and a free port, with {@code certificate}; the port. */
  public int start(Vertx vertx, TestCertificate certificate) {
    server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certificate.certPem().toString())
            .setKeyPath(certificate.keyPem().toString())))
        .requestHandler(req -> req.body().onSuccess(body -> answer(req, body.length() == 0 ? null : body.toJsonObject())));
    return server.listen().await().actualPort();
  }

  public void stop() {
    server.close().await();
  }

  public synchronized List<Seen> requests() {
    return List.copyOf(seen);
  }

  public synchronized void clearRequests() {
    seen.clear();
  }

  /** The stored object, or null. */
  public synchronized JsonObject object(String namespace, String name) {
    JsonObject o = objects.get(namespace + "/" + name);
    return o == null ? null : o.copy();
  }

  /** Changes a stored object as another writer would (kubectl edit), bumping its resourceVersion. */
  public synchronized void edit(String namespace, String name, Consumer<JsonObject> change) {
    JsonObject o = objects.get(namespace + "/" + name);
    change.accept(o);
    o.getJsonObject("metadata").put("resourceVersion", String.valueOf(++resourceVersion));
  }

  /** Runs {@code r} just before the next PUT is judged: another writer getting in between. */
  public synchronized void beforeNextPut(Runnable r) {
    beforeNextPut = r;
  }

  private synchronized void answer(HttpServerRequest req, JsonObject body) {
    seen.add(new Seen(req.method().name(), req.path(), body));
    if (!("Bearer " + token).equals(req.getHeader("Authorization"))) {
      status(req, 401, "Unauthorized", "Unauthorized");
      return;
    }
    Matcher m = PATH.matcher(req.path());
    if (!m.matches()) {
      status(req, 404, "NotFound", "the server could not find the requested resource");
      return;
    }
    String namespace = m.group(1);
    String name = m.group(2);
    switch (req.method().name()) {
      case "GET" -> {
        JsonObject o = name == null ? null : objects.get(namespace + "/" + name);
        if (o == null) {
          status(req, 404, "NotFound", "leases.coordination.k8s.io \"" + name + "\" not found");
        } else {
          json(req, 200, o);
        }
      }
      case "POST" -> {
        String n = body.getJsonObject("metadata").getString("name");
        if (name != null) {
          status(req, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        } else if (objects.containsKey(namespace + "/" + n)) {
          status(req, 409, "AlreadyExists", "leases.coordination.k8s.io \"" + n + "\" already exists");
        } else if (body.getJsonObject("metadata").containsKey("resourceVersion")) {
          status(req, 500, "InternalError", "resourceVersion should not be set on objects to be created");
        } else {
          JsonObject o = body.copy();
          o.getJsonObject("metadata").put("namespace", namespace).put("uid", UUID.randomUUID().toString())
              .put("creationTimestamp", Instant.now().toString())
              .put("resourceVersion", String.valueOf(++resourceVersion));
          objects.put(namespace + "/" + n, o);
          json(req, 201, o);
        }
      }
      case "PUT" -> {
        if (beforeNextPut != null) {
          Runnable r = beforeNextPut;
          beforeNextPut = null;
          r.run();
        }
        JsonObject o = name == null ? null : objects.get(namespace + "/" + name);
        String rv = body.getJsonObject("metadata").getString("resourceVersion");
        if (o == null) {
          status(req, 404, "NotFound", "leases.coordination.k8s.io \"" + name + "\" not found");
        } else if (!name.equals(body.getJsonObject("metadata").getString("name"))) {
          status(req, 400, "BadRequest", "the name of the object does not match the name on the URL");
        } else if (rv != null && !rv.equals(o.getJsonObject("metadata").getString("resourceVersion"))) {
          status(req, 409, "Conflict", "Operation cannot be fulfilled on leases.coordination.k8s.io \"" + name
              + "\": the object has been modified; please apply your changes to the latest version and try again");
        } else {
          JsonObject stored = body.copy();
          stored.getJsonObject("metadata").put("resourceVersion", String.valueOf(++resourceVersion))
              .put("uid", o.getJsonObject("metadata").getString("uid"));
          objects.put(namespace + "/" + name, stored);
          json(req, 200, stored);
        }
      }
      default -> status(req, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
  }

  private static void json(HttpServerRequest req, int code, JsonObject o) {
    req.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(o.encode());
  }

  private static void status(HttpServerRequest req, int code, String reason, String message) {
    json(req, code, new JsonObject().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
        .put("message", message).put("reason", reason).put("code", code));
  }
}
