package dev.medic.recovery;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import dev.medic.probe.HttpRequestSettings;
import dev.medic.recovery.HttpAction.Config;
import dev.medic.recovery.HttpAction.Target;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
  private static final String URL_EXAMPLE = "expected e.g. http://127.0.0.1:8080/admin/reload";

  @Override
  public String type() {
    return "http";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    Optional<HttpRequestSettings.Url> url = HttpRequestSettings.url(settings, URL_EXAMPLE);
    HttpMethod method = HttpMethod.valueOf(settings.choice("method", "POST", METHODS));
    Map<String, String> headers = HttpRequestSettings.headers(settings.child("headers"), url);
    Optional<String> body = settings.optString("body");
    List<Integer> statuses = statuses(settings.child("expect"));
    boolean trustAny = settings.child("tls").choice("trust", "system", "system", "any").equals("any");
    return new HttpAction(
        new Config(method, url.map(HttpActionType::target), Map.copyOf(headers), body, statuses, trustAny), context);
  }

  private static Target target(HttpRequestSettings.Url u) {
    boolean ssl = u.scheme().equals("https");
    String path = u.uri().getRawPath() == null || u.uri().getRawPath().isEmpty() ? "/" : u.uri().getRawPath();
    String requestUri = u.uri().getRawQuery() == null ? path : path + "?" + u.uri().getRawQuery();
    String shownHost = u.host().contains(":") ? "[" + u.host() + "]" : u.host();
    String shown = Secrets.maskUri(u.scheme() + "://" + shownHost + (u.port() == -1 ? "" : ":" + u.port()) + requestUri);
    return new Target(ssl, u.host(), u.port() != -1 ? u.port() : ssl ? 443 : 80, requestUri, shown);
  }

  private static List<Integer> statuses(Settings e) {
    ConfigValue v = e.value("status");
    if (v != null && v.valueType() == ConfigValueType.LIST && ((List<?>) v.unwrapped()).isEmpty()) {
      e.problem("status", "is empty (expected at least one status, e.g. [200], or no key for any 2xx)");
    }
    return e.integers("status", List.of(), 100, 599);
  }
}
