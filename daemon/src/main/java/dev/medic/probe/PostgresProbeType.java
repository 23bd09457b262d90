package dev.medic.probe;

import dev.medic.config.Settings;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code postgres} probe type: one kept connection, a validation query, the server's activity
 * and optionally a query of the operator's own.
 *
 * <pre>
 * uri               required: postgresql://user:password@host:5432/database?sslmode=require
 *                   (postgres:// as well). Without a user: the OS user; without a database: the
 *                   user's name, as libpq does. sslmode disable (default) | allow | prefer |
 *                   require (encrypted, not verified, as in libpq) | verify-ca | verify-full
 *                   (the JDK's trusted CAs). application_name defaults to medic.
 * query             a query returning one number: measurement "query"
 * validation-query  SELECT 1
 * </pre>
 */
public final class PostgresProbeType implements ProbeType {

  static final String URI_EXAMPLE = "expected e.g. postgresql://medic:secret@127.0.0.1:5432/app?sslmode=require";

  /** How medic's session shows in pg_stat_activity, unless the uri names another. */
  static final String APPLICATION_NAME = "medic";

  private static final Map<String, MeasurementSpec> MEASUREMENTS = measurementSpecs();

  public PostgresProbeType() {}

  @Override
  public String type() {
    return "postgres";
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    return MEASUREMENTS;
  }

  private static Map<String, MeasurementSpec> measurementSpecs() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("connections", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("connections-used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("longest-transaction", MeasurementSpec.higherIsWorse(Unit.SECONDS));
    m.put("idle-in-transaction", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("replication-lag", MeasurementSpec.higherIsWorse(Unit.SECONDS));
    m.put("query", MeasurementSpec.higherIsWorse(Unit.NUMBER));
    return java.util.Collections.unmodifiableMap(m);
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    Optional<Target> target = target(settings);
    String validation = settings.string("validation-query", "SELECT 1").trim();
    if (validation.isEmpty()) {
      settings.problem("validation-query", "is empty (expected a query such as SELECT 1, or no key)");
      validation = "SELECT 1";
    }
    Optional<String> query = settings.optString("query").map(String::trim);
    if (query.isPresent() && query.get().isEmpty()) {
      settings.problem("query", "is empty (expected a query returning one number, or no key)");
      query = Optional.empty();
    }
    return new PostgresProbe(new PostgresProbe.Config(target, validation, query), context);
  }

  /**
   * The connection options from the uri, and what messages may say about them.
   *
   * @param shown host:port/database, for messages
   * @param password the password as sent, to keep it out of any message; empty when none was given
   */
  record Target(PgConnectOptions options, String shown, Optional<String> password) {}

  private static Optional<Target> target(Settings s) {
    if (s.value("uri") == null) {
      s.problem("uri", "missing (a value is required, " + URI_EXAMPLE + ")");
      return Optional.empty();
    }
    Optional<String> text = s.optString("uri");
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String raw = text.get().trim();
    String shownRaw = NetText.quote(NetText.withoutUserInfo(raw));
    if (!raw.startsWith("postgresql://") && !raw.startsWith("postgres://")) {
      s.problem("uri", shownRaw + " is not a postgresql:// URI (" + URI_EXAMPLE + ")");
      return Optional.empty();
    }
    Parts parts = Parts.of(raw);
    PgConnectOptions options;
    try {
      options = PgConnectOptions.fromUri(raw);
    } catch (IllegalArgumentException e) {
      s.problem("uri", shownRaw + " is not a valid PostgreSQL URI: " + parseReason(e, parts) + " (" + URI_EXAMPLE + ")");
      return Optional.empty();
    }
    if (options.isUsingDomainSocket()) {
      s.problem("uri", shownRaw + " names a Unix socket; medic connects over TCP (expected host:port)");
      return Optional.empty();
    }
    // Vert.x fills what the uri leaves out with "user", "pass" and "db"; libpq's defaults are
    // what an operator expects.
    if (!parts.hasUser()) {
      options.setUser(System.getProperty("user.name"));
    }
    if (parts.password().isEmpty()) {
      options.setPassword("");
    }
    if (!parts.hasDatabase()) {
      options.setDatabase(options.getUser());
    }
    // Parameters in the uri replace Vert.x's default properties (client_encoding and the like)
    // instead of adding to them.
    Map<String, String> properties = new HashMap<>(PgConnectOptions.DEFAULT_PROPERTIES);
    properties.putAll(options.getProperties());
    String app = properties.get("application_name");
    if (app == null || app.equals(PgConnectOptions.DEFAULT_PROPERTIES.get("application_name"))) {
      properties.put("application_name", APPLICATION_NAME);
    }
    options.setProperties(properties);
    String host = options.getHost().contains(":") ? "[" + options.getHost() + "]" : options.getHost();
    return Optional.of(new Target(options, host + ":" + options.getPort() + "/" + options.getDatabase(),
        parts.password()));
  }

  /** The parser's reason, with nothing of the uri that could be a secret. */
  private static String parseReason(IllegalArgumentException e, Parts parts) {
    Throwable reason = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
    String m = reason.getMessage() == null ? "" : reason.getMessage();
    if (m.startsWith("Wrong syntax")) {
      // The client's parser allows only these in user and password.
      return "cannot be read (user and password may hold letters, digits and -._~!* only;"
          + " percent-encode any other character, e.g. / as %2F, @ as %40)";
    }
    if (m.startsWith("Missing delimiter")) {
      return "a query parameter has no '=' (expected name=value)";
    }
    return NetText.redact(m, parts.password());
  }

  /**
   * What the uri states itself, found before Vert.x parses it (its parser fills in defaults and
   * cannot say what was written).
   */
  private record Parts(boolean hasUser, Optional<String> password, boolean hasDatabase) {

    static Parts of(String raw) {
      String rest = raw.substring(raw.indexOf("://") + 3);
      int q = rest.indexOf('?');
      Map<String, String> params = new HashMap<>();
      if (q >= 0) {
        for (String kv : rest.substring(q + 1).split("&")) {
          int eq = kv.indexOf('=');
          if (eq > 0) {
            params.put(kv.substring(0, eq), decode(kv.substring(eq + 1)));
          }
        }
        rest = rest.substring(0, q);
      }
      int slash = rest.indexOf('/');
      String authority = slash < 0 ? rest : rest.substring(0, slash);
      String path = slash < 0 ? "" : rest.substring(slash + 1);
      int at = authority.lastIndexOf('@');
      String userInfo = at < 0 ? null : authority.substring(0, at);
      Optional<String> password = Optional.ofNullable(params.get("password"));
      if (userInfo != null && userInfo.contains(":")) {
        password = Optional.of(decode(userInfo.substring(userInfo.indexOf(':') + 1)));
      }
      return new Parts(userInfo != null || params.containsKey("user"), password.filter(p -> !p.isEmpty()),
          !path.isEmpty() || params.containsKey("dbname"));
    }

    private static String decode(String s) {
      try {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return s;
      }
    }
  }
}
