package dev.medic.recovery;

import dev.medic.kubernetes.KubernetesAccess;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Rollout-restarts a deployment, or deletes a pod, through the Kubernetes API server with the
 * pod's service account: one request per run, on a client made for that run and closed after it.
 *
 * <p>The token, the CA file and (unless configured) the namespace are read at every run, without
 * blocking: service-account tokens are rotated by the kubelet (about hourly), so a token read once
 * at start would be refused a few hours later. The token is sent as a bearer token and appears in
 * no message, log or output.
 *
 * <p>A rollout restart is what {@code kubectl rollout restart} does: a strategic merge patch that
 * sets the {@code kubectl.kubernetes.io/restartedAt} annotation of the pod template, so the
 * deployment's controller rolls its pods. The API server accepting the patch is success; whether
 * the new pods come up is for the policy's {@code verify} to judge.
 */
final class KubernetesAction implements Action {

  static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
  static final String FIELD_MANAGER = "medic";

  enum Operation {
    ROLLOUT_RESTART("rollout-restart", "deployment", "patch"),
    DELETE_POD("delete-pod", "pod", "delete");

    final String key;
    final String kind;
    final String verb;

    Operation(String key, String kind, String verb) {
      this.key = key;
      this.kind = kind;
      this.verb = verb;
    }

    static Operation of(String key) {
      return key.equals(DELETE_POD.key) ? DELETE_POD : ROLLOUT_RESTART;
    }
  }

  /**
   * One kubernetes action, validated.
   *
   * @param name the deployment (rollout-restart) or pod (delete-pod), a valid Kubernetes name
   */
  record Config(KubernetesAccess access, Operation operation, String name) {

    KubernetesAccess.Api api() {
      return access.api();
    }

    Optional<String> namespace() {
      return access.namespace();
    }

    Optional<String> caFile() {
      return access.caFile();
    }

    String tokenFile() {
      return access.tokenFile();
    }
  }

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private final Clock clock;

  KubernetesAction(Config config, ActionContext context, Clock clock) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
    this.clock = clock;
  }

  @Override
  public String describe() {
    String ns = config.namespace().orElse("<namespace of the service account>");
    return (config.operation() == Operation.ROLLOUT_RESTART ? "kubectl rollout restart deployment/" : "kubectl delete pod/")
        + config.name() + " -n " + ns + " via " + config.api().shown();
  }

  /** The body of a rollout restart: the annotation {@code kubectl rollout restart} sets, at {@code now}. */
  static JsonObject restartPatch(Instant now) {
    String at = OffsetDateTime.ofInstant(now.truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC)
        .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    return new JsonObject().put("spec", new JsonObject().put("template", new JsonObject().put("metadata",
        new JsonObject().put("annotations", new JsonObject().put(RESTARTED_AT, at)))));
  }

  /** Path and query of the request for {@code namespace}. */
  String requestUri(String namespace) {
    String base = config.api().basePath();
    return config.operation() == Operation.ROLLOUT_RESTART
        ? base + "/apis/apps/v1/namespaces/" + namespace + "/deployments/" + config.name()
            + "?fieldManager=" + FIELD_MANAGER
        : base + "/api/v1/namespaces/" + namespace + "/pods/" + config.name();
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ActionOutcome> outcome = Promise.promise();
    HttpClientRequest[] inFlight = new HttpClientRequest[1];
    String[] namespaceSeen = {config.namespace().orElse("?")};
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (outcome.tryComplete(ActionOutcome.failed("no answer from the API server " + config.api().shown()
          + " within " + RemoteText.duration(timeout) + " (" + what(namespaceSeen[0]) + " may still happen)"))) {
        HttpClientRequest r = inFlight[0];
        if (r != null) {
          r.reset(0, new TimeoutException("deadline reached"));
        }
      }
    });
    config.access().credentials(vertx)
        .compose(credentials -> {
          namespaceSeen[0] = credentials.namespace();
          return send(credentials, timeoutMs, inFlight);
        })
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          outcome.tryComplete(ar.succeeded() ? ar.result() : ActionOutcome.failed(failure(ar.cause(), namespaceSeen[0])));
        });
    return outcome.future();
  }

  private Future<ActionOutcome> send(KubernetesAccess.Credentials credentials, long timeoutMs,
      HttpClientRequest[] inFlight) {
    String namespace = credentials.namespace();
    HttpClientOptions options = config.access()
        .clientOptions(credentials, "medic-kubernetes[" + config.api().shown() + "]")
        .setKeepAlive(false);
    HttpClientAgent client = vertx.createHttpClient(options);
    boolean patch = config.operation() == Operation.ROLLOUT_RESTART;
    RequestOptions request = new RequestOptions()
        .setMethod(patch ? HttpMethod.PATCH : HttpMethod.DELETE)
        .setHost(config.api().host())
        .setPort(config.api().port())
        .setSsl(true)
        .setURI(requestUri(namespace))
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs)
        .putHeader("Authorization", "Bearer " + credentials.token())
        .putHeader("Accept", "application/json")
        .putHeader("User-Agent", "medic");
    if (patch) {
      request.putHeader("Content-Type", "application/strategic-merge-patch+json");
    }
    return client.request(request)
        .compose(r -> {
          inFlight[0] = r;
          return patch ? r.send(restartPatch(clock.instant()).toBuffer()) : r.send();
        })
        .compose(HttpReply::read)
        .map(reply -> judge(reply, namespace))
        .eventually(client::close);
  }

  private String what(String namespace) {
    return (config.operation() == Operation.ROLLOUT_RESTART ? "the rollout restart of " : "the deletion of ")
        + config.operation().kind + " \"" + namespace + "/" + config.name() + "\"";
  }

  private ActionOutcome judge(HttpReply reply, String namespace) {
    String object = config.operation().kind + " \"" + namespace + "/" + config.name() + "\"";
    if (reply.is2xx()) {
      return ActionOutcome.succeeded(config.operation() == Operation.ROLLOUT_RESTART
          ? "rollout restart of " + object + " started" : "deleted " + object);
    }
    String because = reply.status() == 401
        ? " (the token from " + config.tokenFile() + " was not accepted)"
        : reply.status() == 403 ? " (the service account needs RBAC permission to "
            + config.operation().verb + " " + config.operation().kind + "s in " + namespace + ")" : "";
    return new ActionOutcome(false, "cannot " + config.operation().verb + " " + object + ": "
        + reply.statusAndMessage() + because, RemoteText.output(reply.body()));
  }

  private String failure(Throwable cause, String namespace) {
    if (cause instanceof KubernetesAccess.Unreadable) {
      return cause.getMessage();
    }
    String where = "API server " + config.api().shown();
    Throwable t = cause;
    while (t != null) {
      if (t instanceof SSLException) {
        return "TLS handshake with the " + where + " failed: " + RemoteText.cause(t)
            + (config.caFile().isPresent() ? " (trusting only the CA in " + config.caFile().get() + ")" : "");
      }
      t = t.getCause() == t ? null : t.getCause();
    }
    String text = RemoteText.cause(cause);
    if (text.toLowerCase(Locale.ROOT).contains("connection refused")) {
      return "connect to the " + where + " refused";
    }
    return what(namespace) + " failed: " + where + ": " + text;
  }
}
