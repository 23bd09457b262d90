package dev.medic.probe;

import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The keys an HTTP request is configured with, read the same way for the {@code http} probe and
 * the {@code http} action: {@code url} (validated, credentials never shown) and {@code headers}
 * (names checked, values never shown; credentials in the url become Basic auth).
 */
public final class HttpRequestSettings {

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /** A parsed url: where to connect, and the credentials it carried, if any. */
  public record Url(String scheme, String host, int port, URI uri, Optional<String> userInfo) {}

  private HttpRequestSettings() {}

  /** {@code url}, or empty after reporting what is wrong with it ({@code example} says what would do). */
  public static Optional<Url> url(Settings s, String example) {
    return url(s, "url", raw -> NetText.quote(Secrets.maskUri(raw)), false, example);
  }

  /**
   * {@code key} as an http or https URL, or empty after reporting what is wrong with it. Shared by
   * every setting that names an HTTP endpoint (probes, actions, notification channels), so that
   * they accept the same URLs and say the same about the ones they refuse.
   *
   * @param shown how messages quote the URL as written (masked: it may hold credentials)
   * @param hideSyntax true when the whole URL is a secret: a syntax error then does not say where
   */
  public static Optional<Url> url(Settings s, String key, java.util.function.UnaryOperator<String> shown,
      boolean hideSyntax, String example) {
    if (s.value(key) == null) {
      s.problem(key, "missing (a value is required)");
      return Optional.empty();
    }
    Optional<String> text = s.optString(key);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String raw = text.get().trim();
    String shownRaw = shown.apply(raw);
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      s.problem(key, shownRaw + " is not a valid URL: " + (hideSyntax ? "syntax error" : e.getReason()) + " ("
          + example + ")");
      return Optional.empty();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      s.problem(key, shownRaw + " is not an http or https URL (" + example + ")");
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
      s.problem(key, shownRaw + " has no host (" + example + ")");
      return Optional.empty();
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (port == 0 || port > 65535) {
      s.problem(key, shownRaw + " has port " + port + " (expected 1 to 65535)");
      return Optional.empty();
    }
    return Optional.of(new Url(scheme, host, port, uri, Optional.ofNullable(userInfo).filter(u -> !u.isEmpty())));
  }

  /**
   * {@code headers}, checked; credentials in the url become an {@code Authorization: Basic}
   * header unless one is configured explicitly.
   */
  public static Map<String, String> headers(Settings h, Optional<Url> url) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : h.keys()) {
      Optional<String> value = h.optString(name);
      if (value.isEmpty()) {
        continue;
      }
      if (!TOKEN.matcher(name).matches()) {
        h.problem(name, "is not a valid header name (expected letters, digits and !#$%&'*+.^_`|~-)");
      } else if (value.get().chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        // The value may be a secret: say what is wrong with it, never what it is.
        h.problem(name, "value contains a line break or NUL (not allowed in a header; value not shown)");
      } else {
        out.put(name, value.get());
      }
    }
    url.flatMap(Url::userInfo).ifPresent(userInfo -> {
      if (out.keySet().stream().noneMatch("Authorization"::equalsIgnoreCase)) {
        out.put("Authorization",
            "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
      }
    });
    return out;
  }
}
