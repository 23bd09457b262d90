package dev.medic.recovery;

import dev.medic.config.Secrets;
import dev.medic.config.Settings;
import dev.medic.recovery.RedisClearAction.Config;
import dev.medic.recovery.RedisClearAction.Mode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code type = redis-clear}: removes the keys matching a pattern (SCAN + UNLINK in batches), or
 * with {@code mode = flushdb} — and only then — the whole database.
 *
 * <pre>
 * uri       required: redis://[user:password@]host[:port][/db] or rediss://...
 * pattern   required unless mode = flushdb: a SCAN MATCH pattern, e.g. "cache:*"; one that
 *           matches every key ("*", "?*") is refused: that is what mode = flushdb says
 * batch     500: the COUNT of each SCAN (1 to 100000)
 * mode      scan | flushdb (default scan)
 * </pre>
 */
public final class RedisClearActionType implements ActionType {

  static final int DEFAULT_BATCH = 500;
  private static final String URI_EXAMPLE = "expected e.g. redis://127.0.0.1:6379/0";

  @Override
  public String type() {
    return "redis-clear";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    String uri = uri(settings);
    Mode mode = Mode.valueOf(settings.choice("mode", "scan", "scan", "flushdb").toUpperCase(Locale.ROOT));
    Optional<String> pattern = settings.optString("pattern");
    if (mode == Mode.FLUSHDB) {
      if (pattern.isPresent()) {
        // Keys "matching" a pattern that FLUSHDB would ignore: say so rather than flush everything.
        settings.problem("pattern", "has no effect with mode = flushdb (which removes every key of the database;"
            + " remove pattern, or mode for SCAN + UNLINK of the matching keys)");
      }
      pattern = Optional.empty();
    } else if (pattern.isEmpty()) {
      if (settings.value("pattern") == null) {
        settings.problem("pattern", "missing (a value is required: the keys to remove, e.g. \"cache:*\";"
            + " or mode = flushdb to remove every key of the database)");
      }
    } else if (pattern.get().isEmpty()) {
      settings.problem("pattern", "is empty (expected a SCAN MATCH pattern, e.g. \"cache:*\")");
      pattern = Optional.empty();
    } else if (matchesEveryKey(pattern.get())) {
      // Removing every key is what mode = flushdb is for; a pattern must not do it by the back door.
      settings.problem("pattern", RemoteText.quote(pattern.get()) + " matches every key, which is FLUSHDB by"
          + " another name (expected mode = flushdb, without pattern, to remove every key of the database;"
          + " or the keys to remove, e.g. \"cache:*\")");
      pattern = Optional.empty();
    }
    int batch = settings.integer("batch", DEFAULT_BATCH, 1, 100_000);
    if (mode == Mode.FLUSHDB && settings.value("batch") != null) {
      settings.problem("batch", "has no effect with mode = flushdb");
    }
    return new RedisClearAction(new Config(uri, Secrets.maskUri(uri), mode, pattern, batch), context);
  }

  /**
   * True for a SCAN MATCH pattern made only of {@code *} and {@code ?} with at least one {@code *}:
   * {@code *}, {@code **}, {@code ?*}, {@code *?*} match every key (but the few shorter than the
   * number of {@code ?}).
   */
  static boolean matchesEveryKey(String pattern) {
    return pattern.indexOf('*') >= 0 && pattern.chars().allMatch(c -> c == '*' || c == '?');
  }

  private static String uri(Settings settings) {
    if (settings.value("uri") == null) {
      settings.problem("uri", "missing (a value is required: " + URI_EXAMPLE + ")");
      return "";
    }
    String raw = settings.string("uri").trim();
    String shown = RemoteText.quote(Secrets.maskUri(raw));
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      // The reason quotes the input, password and all: leave it out.
      settings.problem("uri", shown + " is not a valid URI (" + URI_EXAMPLE + ")");
      return raw;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      settings.problem("uri", shown + " is not a redis:// or rediss:// URI (" + URI_EXAMPLE + ")");
      return raw;
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      settings.problem("uri", shown + " has no host (" + URI_EXAMPLE + ")");
      return raw;
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      settings.problem("uri", shown + " has port " + uri.getPort() + " (expected 1 to 65535)");
      return raw;
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    if (!path.isEmpty() && !path.equals("/") && !path.substring(1).matches("[0-9]{1,9}")) {
      settings.problem("uri", shown + " names database " + RemoteText.quote(path.substring(1))
          + " (expected a database number, e.g. /0)");
    }
    return raw;
  }
}
