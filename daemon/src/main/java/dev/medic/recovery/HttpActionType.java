package dev.medic.recovery;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import dev.medic.recovery.HttpAction.Config;
import dev.medic.recovery.HttpAction.Target;
import io.vertx.core.http.HttpMethod;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code type = http}: calls an endpoint, e.g. a reload or cache-flush hook.
 *
 * <pre>
 * url            required, http:// or https://; user:password@ in it becomes Basic auth
 * method         POST (GET PUT PATCH DELETE)
 * headers        { name = value }; values are never shown
 * body           request body, sent as given (set Content-Type in headers)
 * expect.status  [200, 204]; default any 2xx
 * tls.trust      system (chain and hostname verified) | any (neither)
 * </pre>
 */
public final class HttpActionType implements ActionType {

  static final String[] METHODS = {"POST", "GET", "PUT", "PATCH", "DELETE"};

  /** RFC 9110 token: what a header name may be made of. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final String URL_EXAMPLE = "expected e.g. http://127.0.0.1:8080/admin/reload";

  @Override
  public String type() {
    return "http";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    Optional<Url> url = url(settings);
    HttpMethod method = HttpMethod.valueOf(settings.choice("method", "POST", METHODS));
    Map<String, String> headers = headers(settings.child("headers"));
    url.flatMap(Url::userInfo).ifPresent(userInfo -> {
      // An explicit Authorization header wins over credentials in the url.
      if (headers.keySet().stream().noneMatch("Authorization"::equalsIgnoreCase)) {
        headers.put("Authorization",
            "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
      }
    });
    Optional<String> body = settings.optString("body");
    List<Integer> statuses = statuses(settings.child("expect"));
    boolean trustAny = settings.child("tls").choice("trust", "system", "system", "any").equals("any");
    return new HttpAction(
        new Config(method, url.map(Url::target), Map.copyOf(headers), body, statuses, trustAny), context);
  }

  private record Url(Target target, Optional<String> userInfo) {}

  private static Optional<Url> url(Settings s) {
    if (s.value("url") == null) {
      s.problem("url", "missing (a value is required: " + URL_EXAMPLE + ")");
      return Optional.empty();
    }
    Optional<String> text = s.optString("url");
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String raw = text.get().trim();
    String shownRaw = "\"" + Secrets.maskUri(raw) + "\"";
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      s.problem("url", shownRaw + " is not a valid URL: " + e.getReason() + " (" + URL_EXAMPLE + ")");
      return Optional.empty();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      s.problem("url", shownRaw + " is not an http or https URL (" + URL_EXAMPLE + ")");
      return Optional.empty();
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      s.problem("url", shownRaw + " has no host (" + URL_EXAMPLE + ")");
      return Optional.empty();
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort();
    if (port == 0 || port > 65535) {
      s.problem("url", shownRaw + " has port " + port + " (expected 1 to 65535)");
      return Optional.empty();
    }
    boolean ssl = scheme.equals("https");
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    String shownHost = host.contains(":") ? "[" + host + "]" : host;
    String shown = Secrets.maskUri(scheme + "://" + shownHost + (port == -1 ? "" : ":" + port) + requestUri);
    Target target = new Target(ssl, host, port != -1 ? port : ssl ? 443 : 80, requestUri, shown);
    return Optional.of(new Url(target, Optional.ofNullable(uri.getUserInfo()).filter(u -> !u.isEmpty())));
  }

  private static Map<String, String> headers(Settings h) {
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
    return out;
  }

  private static List<Integer> statuses(Settings e) {
    ConfigValue v = e.value("status");
    if (v != null && v.valueType() == ConfigValueType.LIST && ((List<?>) v.unwrapped()).isEmpty()) {
      e.problem("status", "is empty (expected at least one status, e.g. [200], or no key for any 2xx)");
    }
    return e.integers("status", List.of(), 100, 599);
  }
}
