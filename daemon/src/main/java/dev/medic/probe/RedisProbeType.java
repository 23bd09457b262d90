package dev.medic.probe;

import dev.medic.config.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code redis} probe type: PING and INFO over one kept connection.
 *
 * <pre>
 * uri        required: redis://[user:password@]host:port[/db], rediss:// for TLS;
 *            redis://:password@host for the default user; port 6379 when left out
 * database   a database number instead of the uri's /db
 * tls.trust  system (chain and host name verified) | any (neither); only with rediss://
 * </pre>
 */
public final class RedisProbeType implements ProbeType {

  static final String URI_EXAMPLE = "expected e.g. redis://127.0.0.1:6379, redis://:secret@cache:6379/0 or rediss://...";

  private static final Map<String, MeasurementSpec> MEASUREMENTS = measurementSpecs();

  public RedisProbeType() {}

  @Override
  public String type() {
    return "redis";
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    return MEASUREMENTS;
  }

  private static Map<String, MeasurementSpec> measurementSpecs() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("memory-used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("connected-clients", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("blocked-clients", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("rejected-connections", MeasurementSpec.higherIsWorse(Unit.COUNT));
    m.put("evicted-keys", MeasurementSpec.higherIsWorse(Unit.COUNT));
    return Collections.unmodifiableMap(m);
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    Optional<Target> target = target(settings);
    Optional<Integer> database = Optional.empty();
    if (settings.has("database")) {
      int db = settings.integer("database", -1, 0, 65535);
      database = db < 0 ? Optional.empty() : Optional.of(db);
    }
    Settings tls = settings.child("tls");
    boolean trustAny = false;
    if (tls.has("trust")) {
      trustAny = tls.choice("trust", "system", "system", "any").equals("any");
      if (target.isPresent() && !target.get().tls()) {
        tls.problem("trust", "has no effect without TLS (expected a rediss:// uri)");
      }
    }
    Optional<Integer> db = database;
    boolean any = trustAny;
    return new RedisProbe(target.map(t -> t.with(db, any)), context);
  }

  /**
   * Where and how to connect.
   *
   * @param host without IPv6 brackets
   * @param database the uri's /db, or the {@code database} key, which wins
   * @param trustAny with TLS: verify neither chain nor host name
   */
  record Target(boolean tls, String host, int port, Optional<String> user, Optional<String> password,
      Optional<Integer> database, boolean trustAny) {

    Target with(Optional<Integer> databaseOverride, boolean trustAny) {
      return new Target(tls, host, port, user, password, databaseOverride.or(() -> database), trustAny);
    }

    /** {@code 127.0.0.1:6379}, for messages. */
    String shown() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The uri for the client: no credentials (those go in the options), named so CLIENT LIST shows medic. */
    String connectionString() {
      return (tls ? "rediss://" : "redis://") + shown() + database.map(d -> "/" + d).orElse("") + "?client=medic";
    }
  }

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
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      s.problem("uri", shownRaw + " is not a valid URI (" + URI_EXAMPLE
          + "; percent-encode special characters in the password, e.g. @ as %40)");
      return Optional.empty();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("unix")) {
      s.problem("uri", shownRaw + " names a Unix socket; medic connects over TCP (" + URI_EXAMPLE + ")");
      return Optional.empty();
    }
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      s.problem("uri", shownRaw + " is not a redis:// or rediss:// URI (" + URI_EXAMPLE + ")");
      return Optional.empty();
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      s.problem("uri", shownRaw + " has no host (" + URI_EXAMPLE + ")");
      return Optional.empty();
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() == -1 ? 6379 : uri.getPort();
    if (port == 0 || port > 65535) {
      s.problem("uri", shownRaw + " has port " + port + " (expected 1 to 65535)");
      return Optional.empty();
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      s.problem("uri", shownRaw + " has a query or fragment (expected user and password before @, the database"
          + " after /: redis://user:password@host:port/db)");
      return Optional.empty();
    }
    Optional<Integer> database = Optional.empty();
    String path = uri.getPath() == null ? "" : uri.getPath();
    if (!path.isEmpty() && !path.equals("/")) {
      try {
        int db = Integer.parseInt(path.substring(1));
        if (db < 0) {
          throw new NumberFormatException();
        }
        database = Optional.of(db);
      } catch (NumberFormatException e) {
        s.problem("uri", shownRaw + " has database " + NetText.quote(path.substring(1))
            + " (expected a number after the /, e.g. /0)");
        return Optional.empty();
      }
    }
    Optional<String> user = Optional.empty();
    Optional<String> password = Optional.empty();
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      if (colon < 0 || colon == userInfo.length() - 1) {
        s.problem("uri", shownRaw + " has a user but no password (expected redis://user:password@host"
            + " or redis://:password@host for the default user)");
        return Optional.empty();
      }
      user = Optional.of(decode(userInfo.substring(0, colon))).filter(u -> !u.isEmpty());
      password = Optional.of(decode(userInfo.substring(colon + 1)));
    }
    return Optional.of(new Target(scheme.equals("rediss"), host, port, user, password, database, false));
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
