package dev.medic.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The operator page that {@code GET /status} serves to browsers: one self-contained HTML file
 * (inline CSS and script, nothing from elsewhere) that reads the same {@code /status} JSON, follows
 * {@code /events}, and calls the control endpoints with the operator's token. The document of the
 * moment is embedded in the page, so the first paint needs no second request.
 */
final class StatusPage {

  static final String RESOURCE = "/dev/medic/api/status.html";
  /** Where the page takes the {@code /status} document it is served with. */
  static final String MARKER = "/*medic:status*/";

  /**
   * Inline script and style only, requests to this origin only: the page needs nothing else, and
   * a check message that smuggled markup in could not load anything either.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
      + "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
      + "frame-ancestors 'none'";

  private final String before;
  private final String after;

  private StatusPage(String html) {
    int at = html.indexOf(MARKER);
    if (at < 0) {
      throw new IllegalStateException(RESOURCE + " has no " + MARKER);
    }
    before = html.substring(0, at);
    after = html.substring(at + MARKER.length());
  }

  /** The page from the class path; blocking, so call it from a worker. */
  static StatusPage load() {
    try (InputStream in = StatusPage.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      return new StatusPage(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The page with {@code status} embedded; markup in any string of it cannot close the script. */
  Buffer render(JsonObject status) {
    String json = status.encode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    return Buffer.buffer(before.length() + json.length() + after.length()).appendString(before)
        .appendString(json).appendString(after);
  }

  /** Answers the page; the future completes once it has been written (or the client went away). */
  static io.vertx.core.Future<Void> serve(HttpServerResponse response, Buffer page) {
    return response.setStatusCode(200)
        .putHeader("content-type", "text/html; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("referrer-policy", "no-referrer")
        .end(page);
  }

  /**
   * True when the {@code Accept} header ranks {@code text/html} (or XHTML) above
   * {@code application/json}: browsers get the page; curl ({@code *}{@code /*}), scripts that
   * ask for JSON and clients that send no header get JSON, which stays the default.
   */
  static boolean prefersHtml(String accept) {
    if (accept == null || accept.isBlank()) {
      return false;
    }
    double html = 0;
    double json = 0;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String p = parts[i].trim();
        if (p.regionMatches(true, 0, "q=", 0, 2)) {
          try {
            q = Double.parseDouble(p.substring(2).trim());
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (type.equals("text/html") || type.equals("application/xhtml+xml")) {
        html = Math.max(html, q);
      } else if (type.equals("application/json")) {
        json = Math.max(json, q);
      }
    }
    return html > 0 && html > json;
  }
}
