package dev.medic.kubernetes;

import dev.medic.config.Settings;
import dev.medic.probe.NetText;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How medic reaches the Kubernetes API server from inside a pod: the server's URL, the service
 * account's token, the CA that signed the server's certificate, and the namespace. The
 * kubernetes action and the kubernetes lease backend read the same keys the same way:
 *
 * <pre>
 * api          default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT when set,
 *              else https://kubernetes.default.svc
 * namespace    default: the namespace file next to token-file, read at each use
 * token-file   /var/run/secrets/kubernetes.io/serviceaccount/token (re-read at each use)
 * ca-file      /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
 * </pre>
 *
 * The files are not read while validating: they exist only inside the pod, and the configuration
 * may be checked elsewhere. They are read at each use, off the event loop, because the kubelet
 * rotates service-account tokens (about hourly).
 *
 * @param caFile empty when the server's certificate is not to be verified ({@code tls.trust = any})
 * @param namespace as configured; empty means the namespace file, read at each use
 * @param namespaceFile where the service account's namespace is, next to its token
 */
public record KubernetesAccess(Api api, String tokenFile, Optional<String> caFile, Optional<String> namespace,
    String namespaceFile) {

  public static final String SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
  public static final String DEFAULT_API = "https://kubernetes.default.svc";

  /** A DNS-1123 label: what a namespace name must be, and safe in a URL path. */
  public static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /**
   * The API server.
   *
   * @param basePath a prefix before {@code /api} and {@code /apis} (e.g. behind a proxy); usually empty
   */
  public record Api(String host, int port, String basePath) {

    public String shown() {
      return "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + basePath;
    }
  }

  /** What one use needs, read from the files just before it. */
  public record Credentials(String token, String namespace, Optional<Buffer> ca) {

    @Override
    public String toString() {
      return "Credentials[namespace=" + namespace + "]"; // never the token
    }
  }

  /** A file that could not be read, or holds nothing usable; the message says which and why. */
  public static final class Unreadable extends RuntimeException {
    public Unreadable(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Reads {@code api}, {@code namespace}, {@code token-file} and {@code ca-file} from
   * {@code settings}, reporting problems there.
   *
   * @param env where KUBERNETES_SERVICE_HOST and _PORT are looked up (the process environment)
   */
  public static KubernetesAccess read(Settings settings, Map<String, String> env) {
    Optional<String> namespace = settings.optString("namespace");
    namespace.ifPresent(ns -> {
      if (!NAMESPACE.matcher(ns).matches()) {
        settings.problem("namespace", NetText.quote(ns, 200)
            + " is not a namespace name (expected lower-case letters, digits and -, at most 63, e.g. \"shop\")");
      }
    });
    Api api = api(settings, env);
    String tokenFile = path(settings, "token-file", SERVICE_ACCOUNT + "/token");
    String caFile = path(settings, "ca-file", SERVICE_ACCOUNT + "/ca.crt");
    Path parent = Path.of(tokenFile).toAbsolutePath().getParent();
    String namespaceFile = (parent == null ? Path.of("/") : parent).resolve("namespace").toString();
    return new KubernetesAccess(api, tokenFile, Optional.of(caFile), namespace, namespaceFile);
  }

  /** The same access, without verifying the server's certificate. */
  public KubernetesAccess trustingAnyServer() {
    return new KubernetesAccess(api, tokenFile, Optional.empty(), namespace, namespaceFile);
  }

  /** The namespace as shown before it is known: configured, or where it will be read. */
  public String namespaceShown() {
    return namespace.orElse("<namespace of the service account>");
  }

  /** Reads token, namespace and CA for one use, without blocking; fails with {@link Unreadable}. */
  public Future<Credentials> credentials(Vertx vertx) {
    Future<String> token = readFile(vertx, tokenFile, "the service account token", mountHint()).map(b -> {
      String t = b.toString(StandardCharsets.UTF_8).trim();
      if (t.isEmpty()) {
        throw new Unreadable("the service account token " + tokenFile + " is empty");
      }
      return t;
    });
    Future<String> ns = namespace.map(Future::succeededFuture).orElseGet(() ->
        readFile(vertx, namespaceFile, "the service account namespace", " (set namespace to name one)").map(b -> {
          String n = b.toString(StandardCharsets.UTF_8).trim();
          if (!NAMESPACE.matcher(n).matches()) {
            throw new Unreadable(namespaceFile + " holds " + NetText.quote(n, 200)
                + ", not a namespace name (set namespace to name one)");
          }
          return n;
        }));
    Future<Optional<Buffer>> ca = caFile.isEmpty()
        ? Future.succeededFuture(Optional.empty())
        : readFile(vertx, caFile.get(), "the API server's CA", mountHint()).map(Optional::of);
    return Future.all(token, ns, ca).map(all -> new Credentials(token.result(), ns.result(), ca.result()));
  }

  /** Client options for the API server: TLS, trusting only the CA when there is one. */
  public HttpClientOptions clientOptions(Credentials credentials, String name) {
    HttpClientOptions options = new HttpClientOptions().setName(name);
    if (credentials.ca().isPresent()) {
      options.setVerifyHost(true).setTrustOptions(new PemTrustOptions().addCertValue(credentials.ca().get()));
    } else {
      options.setVerifyHost(false).setTrustAll(true);
    }
    return options;
  }

  private static Future<Buffer> readFile(Vertx vertx, String path, String what, String hint) {
    return vertx.fileSystem().readFile(path).recover(e -> Future.failedFuture(new Unreadable(
        "cannot read " + what + " from " + path + ": " + innermost(e) + hint)));
  }

  /** Said when the service account's files are missing where the kubelet would mount them. */
  private String mountHint() {
    return tokenFile.startsWith(SERVICE_ACCOUNT) ? " (is a service account token mounted into medic's pod?)" : "";
  }

  private static String innermost(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    if (message == null || message.isBlank()) {
      return root.getClass().getSimpleName();
    }
    String line = message.lines().findFirst().orElse("").trim();
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  private static Api api(Settings settings, Map<String, String> env) {
    Optional<String> written = settings.optString("api");
    String raw = written.orElseGet(() -> defaultApi(env)).trim();
    String shown = NetText.quote(raw, 200) + (written.isPresent() ? "" : " (from KUBERNETES_SERVICE_HOST/PORT)");
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
      // Requests carry the service account's token: never in clear text.
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
  private static String defaultApi(Map<String, String> env) {
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
