package dev.medic.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /maintenance}, validated whole before anything is opened or journaled:
 * every field's type, exactly one of {@code duration} and {@code until}, an end in the future and
 * at most {@link #MAX_LENGTH} away, known check names. A refusal is an {@link ApiError} (400).
 */
record MaintenanceRequest(Set<String> checks, Instant until, String reason) {

  /** The longest window: longer is a typo (or an attack on the journal), not a plan. */
  static final Duration MAX_LENGTH = Duration.ofDays(366);
  static final int MAX_REASON_CHARS = 1000;
  static final Set<String> FIELDS = Set.of("checks", "duration", "until", "reason");
  static final String SHAPE = "{\"checks\": [..], \"duration\": \"30m\" or \"until\": \"<RFC 3339>\", \"reason\": \"..\"}";
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

  static MaintenanceRequest parse(JsonObject body, Predicate<String> checkExists, Instant now) {
    if (body == null) {
      throw new ApiError(400, "a JSON body is required: " + SHAPE);
    }
    for (String f : body.fieldNames()) {
      if (!FIELDS.contains(f)) {
        throw new ApiError(400, "unknown field \"" + ApiVerticle.shorten(f) + "\" (expected checks, duration, until, reason)");
      }
    }
    Set<String> checks = new LinkedHashSet<>();
    Object raw = body.getValue("checks");
    if (raw != null) {
      if (!(raw instanceof JsonArray list)) {
        throw new ApiError(400, "checks must be a list of check names (empty or absent: all checks), not " + typeOf(raw));
      }
      for (Object c : list) {
        if (!(c instanceof String s)) {
          throw new ApiError(400, "checks must hold check names (strings), not " + typeOf(c));
        }
        if (!checkExists.test(s)) {
          throw new ApiError(400, "no check named \"" + ApiVerticle.shorten(s) + "\"");
        }
        checks.add(s);
      }
    }
    Object until = body.getValue("until");
    Object duration = body.getValue("duration");
    if (until != null && duration != null) {
      throw new ApiError(400, "give either \"until\" or \"duration\", not both");
    }
    if (until == null && duration == null) {
      throw new ApiError(400, "give \"until\" (RFC 3339 time) or \"duration\" (e.g. 30m)");
    }
    Instant end = until != null ? until(until) : now.plus(duration(duration));
    if (!end.isAfter(now)) {
      throw new ApiError(400, "the window must end in the future (until " + end + ", now " + now + ")");
    }
    if (end.isAfter(now.plus(MAX_LENGTH))) {
      throw new ApiError(400, "the window is too long: until " + end + " is more than " + MAX_LENGTH.toDays()
          + " days away (limit " + now.plus(MAX_LENGTH) + ")");
    }
    Object reason = body.getValue("reason");
    if (reason != null && !(reason instanceof String)) {
      throw new ApiError(400, "reason must be a string, not " + typeOf(reason));
    }
    String r = reason == null ? "" : (String) reason;
    if (r.length() > MAX_REASON_CHARS) {
      throw new ApiError(400, "reason is " + r.length() + " characters long (limit " + MAX_REASON_CHARS + ")");
    }
    return new MaintenanceRequest(Set.copyOf(checks), end, r);
  }

  private static Instant until(Object v) {
    if (!(v instanceof String s)) {
      throw new ApiError(400, "until must be an RFC 3339 time as a string (e.g. \"2026-12-01T06:00:00Z\"), not "
          + typeOf(v));
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeException e) {
      throw new ApiError(400, "until \"" + ApiVerticle.shorten(s) + "\" is not an RFC 3339 time (expected e.g. "
          + "\"2026-12-01T06:00:00Z\")");
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 15m}, {@code 2h}, {@code 1d}; above zero and at most {@link #MAX_LENGTH}. */
  static Duration duration(Object v) {
    if (!(v instanceof String s)) {
      throw new ApiError(400, "duration must be a string such as \"30m\", not " + typeOf(v));
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      throw new ApiError(400, "duration \"" + ApiVerticle.shorten(s) + "\" is not a duration (expected e.g. "
          + "\"90s\", \"30m\", \"2h\", \"1d\")");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (d.isZero()) {
      throw new ApiError(400, "duration " + s + " is not above zero");
    }
    if (d.compareTo(MAX_LENGTH) > 0) {
      throw new ApiError(400, "duration " + s + " is longer than the limit of " + MAX_LENGTH.toDays() + "d");
    }
    return d;
  }

  static String typeOf(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Number) {
      return "a number (" + v + ")";
    }
    if (v instanceof Boolean) {
      return "a boolean (" + v + ")";
    }
    if (v instanceof JsonArray) {
      return "a list";
    }
    if (v instanceof JsonObject) {
      return "an object";
    }
    return v.getClass().getSimpleName();
  }
}
