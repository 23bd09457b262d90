package dev.medic.notify;

import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import dev.medic.probe.HttpRequestSettings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
    return HttpRequestSettings.url(s, key, raw -> credential ? "the URL (not shown: it is the credential)"
        : DeliveryFailure.quote(raw.replaceFirst("//[^/?#@]*@", "//****@")), credential, EXAMPLE).map(url -> {
          URI uri = url.uri();
          boolean ssl = url.scheme().equals("https");
          String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
          String shownHost = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
          String origin = url.scheme() + "://" + shownHost + (url.port() == -1 ? "" : ":" + url.port());
          String shown = credential ? origin + "/" + Secrets.MASK
              : Secrets.maskUri(origin + path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
          String authorization = url.userInfo().map(u -> "Basic "
              + Base64.getEncoder().encodeToString(u.getBytes(StandardCharsets.UTF_8))).orElse(null);
          return new Endpoint(ssl, url.host(), url.port() != -1 ? url.port() : ssl ? 443 : 80, path, uri.getRawQuery(),
              authorization, shown);
        });
  }
}
