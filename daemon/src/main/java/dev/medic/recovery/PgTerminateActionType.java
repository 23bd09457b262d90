package dev.medic.recovery;

import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import dev.medic.recovery.PgTerminateAction.Config;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code type = pg-terminate}: ends PostgreSQL sessions that are idle in a transaction, or running
 * one statement, for longer than a limit.
 *
 * <pre>
 * uri                              required: postgresql://user:password@host:port/db
 * idle-in-transaction-longer-than  end sessions idle in a transaction this long (e.g. 5m)
 * running-longer-than              end sessions whose statement has run this long (e.g. 1h)
 *                                  (at least one of the two)
 * database                         only sessions connected to this database
 * user                             only sessions of this role
 * include-superusers               false: superusers' sessions are never ended
 * include-replication              false: only client sessions, never walsenders, autovacuum
 *                                  or background workers
 * </pre>
 */
public final class PgTerminateActionType implements ActionType {

  private static final String URI_EXAMPLE = "expected e.g. postgresql://medic:secret@127.0.0.1:5432/postgres";

  @Override
  public String type() {
    return "pg-terminate";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    String uri = uri(settings);
    Optional<Duration> idle = limit(settings, "idle-in-transaction-longer-than");
    Optional<Duration> running = limit(settings, "running-longer-than");
    if (!settings.has("idle-in-transaction-longer-than") && !settings.has("running-longer-than")) {
      settings.problem("needs a rule: idle-in-transaction-longer-than, running-longer-than or both"
          + " (e.g. idle-in-transaction-longer-than = 5m)");
    }
    Optional<String> database = name(settings, "database");
    Optional<String> user = name(settings, "user");
    boolean superusers = settings.bool("include-superusers", false);
    boolean replication = settings.bool("include-replication", false);
    return new PgTerminateAction(new Config(uri, Secrets.maskUri(uri), idle, running, database, user,
        superusers, replication), context);
  }

  private static Optional<Duration> limit(Settings settings, String key) {
    if (!settings.has(key)) {
      return Optional.empty();
    }
    return Optional.ofNullable(settings.positiveDuration(key, null));
  }

  private static Optional<String> name(Settings settings, String key) {
    Optional<String> v = settings.optString(key);
    if (v.isPresent() && v.get().isEmpty()) {
      settings.problem(key, "is empty (expected a name, or no key for any)");
      return Optional.empty();
    }
    return v;
  }

  private static String uri(Settings settings) {
    if (settings.value("uri") == null) {
      settings.problem("uri", "missing (a value is required: " + URI_EXAMPLE + ")");
      return "";
    }
    String raw = settings.string("uri").trim();
    String shown = RemoteText.quote(Secrets.maskUri(raw));
    String scheme = raw.contains("://") ? raw.substring(0, raw.indexOf("://")).toLowerCase(Locale.ROOT) : "";
    if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
      settings.problem("uri", shown + " is not a postgresql:// URI (" + URI_EXAMPLE + ")");
      return raw;
    }
    try {
      PgConnectOptions.fromUri(raw);
    } catch (RuntimeException e) {
      // The parser's message quotes the input, password and all: leave it out.
      settings.problem("uri", shown + " is not a valid PostgreSQL URI (" + URI_EXAMPLE + ")");
    }
    return raw;
  }
}
