package dev.medic.notify;

import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Where an HTTP channel posts: a validated {@code http} or {@code https} URL.
 *
 * @param path the path as configured, {@code /} when empty
 * @param query the raw query, or null
 * @param authorization {@code Basic ...} from {@code user:password@} in the URL, or null
 * @param shown the URL as messages show it: no user or password, secrets in the path and query
 *     masked; for a URL that is itself the credential (a Slack hook) only its origin
 */
record Endpoint(boolean ssl, String host, int port, String path, String query, String authorization, String shown) {

  private static final String EXAMPLE = "expected e.g. https://hooks.example.org/medic";

  /** The URL as messages show it; never the Authorization a record would print. */
  @Override
  public String toString() {
    return shown;
  }

  /** The path and query on the request line. */
  String requestUri() {
    return query == null ? path : path + "?" + query;
  }

  String hostPort() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** This endpoint with {@code suffix} appended to its path ({@code http://am:9093/} + {@code api/v2/alerts}). */
  Endpoint resolve(String suffix) {
    String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String joined = base + (suffix.startsWith("/") ? suffix : "/" + suffix);
    String shownBase = shown.endsWith("/") ? shown.substring(0, shown.length() - 1) : shown;
    int q = shownBase.indexOf('?');
    String shownJoined = q < 0 ? shownBase + joined.substring(base.length())
        : shownBase.substring(0, q) + joined.substring(base.length()) + shownBase.substring(q);
    return new Endpoint(ssl, host, port, joined, query, authorization, shownJoined);
  }

  /**
   * Reads {@code key} as an http(s) URL, reporting what is wrong with it.
   *
   * @param credential true when the whole URL is a secret (a Slack incoming webhook): messages
   *     then never quote it, not even masked
   */
  static Optional<Endpoint> read(Settings s, String key, boolean credential) {
    if (s.value(key) == null) {
      s.problem(key, "missing (a value is required)");
      return Optional.empty();
    }
    Optional<String> text = s.optString(key);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String raw = text.get().trim();
    String quoted = credential ? "the URL (not shown: it is the credential)"
        : DeliveryFailure.quote(raw.replaceFirst("//[^/?#@]*@", "//****@"));
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      s.problem(key, quoted + " is not a valid URL: " + (credential ? "syntax error" : e.getReason())
          + " (" + EXAMPLE + ")");
      return Optional.empty();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      s.problem(key, quoted + " is not an http or https URL (" + EXAMPLE + ")");
      return Optional.empty();
    }
    String host = uri.getHost();
    int port = uri.getPort();
    String userInfo = uri.getUserInfo();
    if (host == null && uri.getRawAuthority() != null) {
      // java.net.URI refuses host names with '_' (common for containers); URL takes them.
      try {
        URL url = uri.toURL();
        host = url.getHost();
        port = url.getPort();
        userInfo = url.getUserInfo();
      } catch (MalformedURLException | IllegalArgumentException e) {
        host = null;
      }
    }
    if (host == null || host.isEmpty()) {
      s.problem(key, quoted + " has no host (" + EXAMPLE + ")");
      return Optional.empty();
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (port == 0 || port > 65535) {
      s.problem(key, quoted + " has port " + port + " (expected 1 to 65535)");
      return Optional.empty();
    }
    boolean ssl = scheme.equals("https");
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String shownHost = host.contains(":") ? "[" + host + "]" : host;
    String origin = scheme + "://" + shownHost + (port == -1 ? "" : ":" + port);
    String shown = credential ? origin + "/" + Secrets.MASK
        : Secrets.maskUri(origin + path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    String authorization = userInfo == null || userInfo.isEmpty() ? null
        : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    return Optional.of(new Endpoint(ssl, host, port != -1 ? port : ssl ? 443 : 80, path, uri.getRawQuery(),
        authorization, shown));
  }
}
