package dev.medic.probe;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.medic.config.Settings;
import dev.medic.probe.HttpProbe.Config;
import dev.medic.probe.HttpProbe.Expectations;
import dev.medic.probe.HttpProbe.JsonExpectation;
import dev.medic.probe.HttpProbe.Target;
import dev.medic.probe.HttpProbe.Tls;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.pointer.JsonPointer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The {@code http} probe type: one request per run, judged by status, body text and JSON fields.
 *
 * <pre>
 * url               required, http:// or https://; user:password@ in it becomes Basic auth
 * method            GET (HEAD POST PUT DELETE OPTIONS PATCH)
 * headers           { name = value }; values are never shown
 * body              request body, sent as given
 * expect.status     [200, 204]; default any 2xx
 * expect.body-contains  text the body must contain
 * expect.json       { "/pointer" = value }: RFC 6901 pointer to a string, number or boolean
 * follow-redirects  false; at most 10; 307/308 repeat the request, others become GET;
 *                   headers are not sent to another origin
 * keep-alive        true: reuse the connection across runs
 * tls.trust         system (chain and hostname verified) | any (neither)
 * tls.ca            PEM file of CAs trusted instead of the system store
 * </pre>
 */
public final class HttpProbeType implements ProbeType {

  static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

  /** RFC 9110 token: what a header name may be made of. */

  private static final String URL_EXAMPLE = "expected e.g. http://127.0.0.1:8080/health";

  public HttpProbeType() {}

  @Override
  public String type() {
    return "http";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    Optional<HttpRequestSettings.Url> url = HttpRequestSettings.url(settings, URL_EXAMPLE);
    HttpMethod method = HttpMethod.valueOf(settings.choice("method", "GET", METHODS));
    Map<String, String> headers = HttpRequestSettings.headers(settings.child("headers"), url);
    Optional<String> body = settings.optString("body");
    Expectations expect = expectations(settings.child("expect"), method);
    boolean followRedirects = settings.bool("follow-redirects", false);
    boolean keepAlive = settings.bool("keep-alive", true);
    Tls tls = tls(settings.child("tls"));
    return new HttpProbe(
        new Config(method, url.map(u -> Target.of(u.scheme(), u.host(), u.port(), u.uri())), Map.copyOf(headers), body, expect, followRedirects, keepAlive, tls),
        context);
  }

  private static Expectations expectations(Settings e, HttpMethod method) {
    ConfigValue statusValue = e.value("status");
    if (statusValue != null && statusValue.valueType() == ConfigValueType.LIST
        && ((List<?>) statusValue.unwrapped()).isEmpty()) {
      e.problem("status", "is empty (expected at least one status, e.g. [200], or no key for any 2xx)");
    }
    List<Integer> statuses = e.integers("status", List.of(), 100, 599);
    Optional<String> bodyContains = e.optString("body-contains");
    List<JsonExpectation> json = json(e.child("json"));
    if (method == HttpMethod.HEAD) {
      String why = "cannot be checked with method HEAD (a HEAD response has no body)";
      bodyContains.ifPresent(b -> e.problem("body-contains", why));
      if (!json.isEmpty()) {
        e.problem("json", why);
      }
    }
    return new Expectations(statuses, bodyContains, List.copyOf(json));
  }

  private static List<JsonExpectation> json(Settings j) {
    List<JsonExpectation> out = new ArrayList<>();
    // Sorted: typesafe-config keeps no key order, and messages should read the same every run.
    for (String pointer : new TreeSet<>(j.keys())) {
      ConfigValue v = j.value(pointer);
      JsonPointer compiled;
      try {
        compiled = JsonPointer.from(pointer);
      } catch (IllegalArgumentException ex) {
        j.problem(pointer, NetText.quote(pointer) + " is not a JSON Pointer (expected e.g. \"/status\")");
        continue;
      }
      if (v == null) {
        j.problem(pointer, "is null (expected a string, number or boolean)");
      } else if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
        j.problem(pointer, "is " + (v.valueType() == ConfigValueType.OBJECT ? "an object" : "a list")
            + " (expected a string, number or boolean; quote a pointer that contains dots: \"/a.b\")");
      } else {
        out.add(new JsonExpectation(pointer, compiled, v.unwrapped()));
      }
    }
    return out;
  }

  private static Tls tls(Settings t) {
    boolean trustAny = t.choice("trust", "system", "system", "any").equals("any");
    Optional<String> ca = t.optString("ca");
    if (ca.isPresent()) {
      if (trustAny) {
        t.problem("ca", "has no effect with trust = any (remove one of the two)");
        return new Tls(true, Optional.empty());
      }
      if (!readableCertificates(t, ca.get())) {
        return new Tls(false, Optional.empty());
      }
    }
    return new Tls(trustAny, ca);
  }

  /**
   * Reads the CA file once, here, so that {@code medic check} finds a wrong path or a file that
   * holds no certificate; the probe leaves the reading at run time to Vert.x.
   */
  private static boolean readableCertificates(Settings t, String path) {
    String shown = NetText.quote(path);
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        t.problem("ca", shown + " holds no certificate (expected a PEM file of CA certificates)");
        return false;
      }
      return true;
    } catch (NoSuchFileException e) {
      t.problem("ca", shown + " does not exist (expected a PEM file of CA certificates)");
    } catch (IOException | RuntimeException e) {
      t.problem("ca", shown + " cannot be read: " + e.getMessage() + " (expected a PEM file of CA certificates)");
    } catch (CertificateException e) {
      t.problem("ca", shown + " is not a PEM certificate file: " + e.getMessage());
    }
    return false;
  }
}
