package dev.medic.recovery;

import dev.medic.config.Settings;
import dev.medic.recovery.KubernetesAction.Api;
import dev.medic.recovery.KubernetesAction.Config;
import dev.medic.recovery.KubernetesAction.Operation;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code type = kubernetes}: rollout-restarts a deployment or deletes a pod through the API server,
 * with the service account of the pod medic runs in.
 *
 * <pre>
 * operation    rollout-restart (needs deployment) | delete-pod (needs pod); default rollout-restart
 * deployment   the deployment to restart
 * pod          the pod to delete
 * namespace    default: the namespace file next to token-file, read at each run
 * api          default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT when set,
 *              else https://kubernetes.default.svc
 * token-file   /var/run/secrets/kubernetes.io/serviceaccount/token (re-read at each run)
 * ca-file      /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
 * tls.trust    ca-file (chain and host name verified against ca-file) | any (neither)
 * </pre>
 *
 * The files are not read here: they exist only inside the pod, and the configuration may be
 * checked elsewhere.
 */
public final class KubernetesActionType implements ActionType {

  static final String SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
  static final String DEFAULT_API = "https://kubernetes.default.svc";

  /** A DNS-1123 subdomain: what deployment and pod names are made of (lower case, digits, - and .). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private final Map<String, String> env;
  private final Clock clock;

  public KubernetesActionType() {
    this(System.getenv(), Clock.systemUTC());
  }

  /** @param env where KUBERNETES_SERVICE_HOST and _PORT are looked up (the process environment) */
  KubernetesActionType(Map<String, String> env, Clock clock) {
    this.env = env;
    this.clock = clock;
  }

  @Override
  public String type() {
    return "kubernetes";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    Operation operation = Operation.of(settings.choice("operation", "rollout-restart", "rollout-restart", "delete-pod"));
    String name = target(settings, operation);
    Optional<String> namespace = settings.optString("namespace");
    namespace.ifPresent(ns -> {
      if (!KubernetesAction.NAMESPACE.matcher(ns).matches()) {
        settings.problem("namespace", RemoteText.quote(ns)
            + " is not a namespace name (expected lower-case letters, digits and -, at most 63, e.g. \"shop\")");
      }
    });
    Api api = api(settings);
    String tokenFile = path(settings, "token-file", SERVICE_ACCOUNT + "/token");
    Settings tls = settings.child("tls");
    boolean trustAny = tls.choice("trust", "ca-file", "ca-file", "any").equals("any");
    boolean caWritten = settings.has("ca-file");
    String caFile = path(settings, "ca-file", SERVICE_ACCOUNT + "/ca.crt");
    if (trustAny && caWritten) {
      settings.problem("ca-file", "has no effect with tls.trust = any (remove one of the two)");
    }
    Path parent = Path.of(tokenFile.isBlank() ? SERVICE_ACCOUNT + "/token" : tokenFile).toAbsolutePath().getParent();
    String namespaceFile = (parent == null ? Path.of("/") : parent).resolve("namespace").toString();
    return new KubernetesAction(new Config(api, tokenFile, trustAny ? Optional.empty() : Optional.of(caFile),
        namespace, namespaceFile, operation, name), context, clock);
  }

  /** The deployment or pod the operation needs; the other key would be ignored, so it is an error. */
  private static String target(Settings settings, Operation operation) {
    String key = operation.kind;
    String other = operation == Operation.ROLLOUT_RESTART ? "pod" : "deployment";
    if (settings.has(other)) {
      settings.problem(other, "has no effect with operation = " + operation.key
          + " (" + (operation == Operation.ROLLOUT_RESTART ? "delete-pod" : "rollout-restart") + " uses it)");
    }
    if (!settings.has(key)) {
      settings.problem(key, "missing (operation = " + operation.key + " needs the " + key + "'s name)");
      return "";
    }
    String name = settings.string(key);
    if (!NAME.matcher(name).matches()) {
      settings.problem(key, RemoteText.quote(name)
          + " is not a Kubernetes name (expected lower-case letters, digits, - and ., e.g. \"web\")");
    }
    return name;
  }

  private Api api(Settings settings) {
    Optional<String> written = settings.optString("api");
    String raw = written.orElseGet(this::defaultApi).trim();
    String shown = RemoteText.quote(raw) + (written.isPresent() ? "" : " (from KUBERNETES_SERVICE_HOST/PORT)");
    String example = " (expected e.g. " + DEFAULT_API + ")";
    Api fallback = new Api("kubernetes.default.svc", 443, "");
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      settings.problem("api", shown + " is not a valid URL: " + e.getReason() + example);
      return fallback;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https")) {
      // The request carries the service account's token: never in clear text.
      settings.problem("api", shown + " is not an https URL (the token is only ever sent over TLS)" + example);
      return fallback;
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty() || uri.getRawUserInfo() != null || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      settings.problem("api", shown + " is not the URL of an API server (expected a host, no user, query or fragment)"
          + example);
      return fallback;
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() == -1 ? 443 : uri.getPort();
    if (port < 1 || port > 65535) {
      settings.problem("api", shown + " has port " + port + " (expected 1 to 65535)");
      return fallback;
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new Api(host, port, path);
  }

  /** What client-go's in-cluster config uses, falling back to the service's DNS name. */
  private String defaultApi() {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    if (host == null || host.isBlank()) {
      return DEFAULT_API;
    }
    String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    host = host.trim();
    return "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port.trim();
  }

  private static String path(Settings settings, String key, String fallback) {
    String p = settings.string(key, fallback);
    if (p.isBlank()) {
      settings.problem(key, "is empty (expected a file path, default " + fallback + ")");
      return fallback;
    }
    return p;
  }
}
