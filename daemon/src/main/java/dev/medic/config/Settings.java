package dev.medic.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one configuration object key by key, recording which keys were read and collecting every
 * problem with its file, line and key path instead of throwing at the first.
 *
 * <p>Readers return a usable fallback after reporting a problem, so validation goes on and finds
 * the next problem. After a component has read everything it understands, {@link
 * #reportUnknownKeys()} names whatever is left, with a "did you mean" hint.
 */
public final class Settings {

  /** Keys that read the same quoted or not; others are quoted in paths, as HOCON would need. */
  private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");
  private static final Pattern KB = Pattern.compile("(?<=[0-9\\s])KB\\s*$");
  private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");

  private final ConfigObject object;
  private final String path;
  private final ConfigOrigin origin;
  private final Problems problems;
  private final Set<String> known = new LinkedHashSet<>();
  private final Map<String, Settings> children = new LinkedHashMap<>();

  public Settings(ConfigObject object, String path, ConfigOrigin origin, Problems problems) {
    this.object = object;
    this.path = path;
    this.origin = object != null ? object.origin() : origin;
    this.problems = problems;
  }

  public String path() {
    return path;
  }

  public ConfigOrigin origin() {
    return origin;
  }

  /** The object as configured, or null when absent. */
  public ConfigObject rawObject() {
    return object;
  }

  public Problems problems() {
    return problems;
  }

  public String pathOf(String key) {
    return join(path, key);
  }

  /**
   * {@code path.key}, quoting a key that holds a dot, a space or the like, so that a reported path
   * names one key unambiguously ({@code medic.checks."my app"}, not {@code medic.checks.my app}).
   */
  public static String join(String path, String key) {
    String k = PLAIN_KEY.matcher(key).matches() ? key : ConfigUtil.quoteString(key);
    return path.isEmpty() ? k : path + "." + k;
  }

  public boolean has(String key) {
    known.add(key);
    ConfigValue v = raw(key);
    return v != null && v.valueType() != ConfigValueType.NULL;
  }

  /**
   * The keys present in this object in the order they are written. typesafe keeps no order (its
   * objects are hash maps), so checks would be planned, printed and started in an order that is
   * neither the file's nor alphabetical; keys are sorted by file and line, then by name.
   */
  public Set<String> keys() {
    if (object == null) {
      return Set.of();
    }
    List<String> keys = new ArrayList<>(object.keySet());
    keys.sort(Comparator.comparing((String k) -> fileOf(object.get(k).origin()))
        .thenComparingInt(k -> object.get(k).origin().lineNumber())
        .thenComparing(Comparator.naturalOrder()));
    return Collections.unmodifiableSet(new LinkedHashSet<>(keys));
  }

  private static String fileOf(ConfigOrigin origin) {
    if (origin.filename() != null) {
      return origin.filename();
    }
    // description() would carry the line number, so text parsed from a string sorts as one file.
    return origin.resource() != null ? origin.resource() : "";
  }

  /** Reports a problem on {@code key} (at its line, or at this object's line when it is absent). */
  public void problem(String key, String message) {
    ConfigValue v = raw(key);
    problems.add(v != null ? v.origin() : origin, pathOf(key), message);
  }

  /** Reports a problem on this object as a whole. */
  public void problem(String message) {
    problems.add(origin, path, message);
  }

  // ---- scalar readers -------------------------------------------------------------------------

  public String string(String key) {
    Optional<String> v = optString(key);
    if (v.isEmpty()) {
      if (raw(key) == null) {
        problem(key, "missing (a value is required)");
      }
      return "";
    }
    return v.get();
  }

  public String string(String key, String fallback) {
    return optString(key).orElse(fallback);
  }

  public Optional<String> optString(String key) {
    ConfigValue v = value(key);
    if (v == null) {
      return Optional.empty();
    }
    return switch (v.valueType()) {
      case STRING, NUMBER, BOOLEAN -> Optional.of(String.valueOf(v.unwrapped()));
      default -> {
        problem(key, "is " + typeName(v) + " (expected a string)");
        yield Optional.empty();
      }
    };
  }

  /** A string that must be one of {@code allowed}. */
  public String choice(String key, String fallback, String... allowed) {
    String v = string(key, fallback);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    problem(key, "\"" + v + "\" is not allowed (expected one of: " + String.join(", ", allowed) + ")");
    return fallback;
  }

  public boolean bool(String key, boolean fallback) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    if (v.valueType() == ConfigValueType.BOOLEAN) {
      return (Boolean) v.unwrapped();
    }
    if (v.valueType() == ConfigValueType.STRING) {
      String s = ((String) v.unwrapped()).toLowerCase(Locale.ROOT);
      if (s.equals("true") || s.equals("yes") || s.equals("on")) {
        return true;
      }
      if (s.equals("false") || s.equals("no") || s.equals("off")) {
        return false;
      }
    }
    problem(key, "\"" + v.unwrapped() + "\" is not a boolean (expected true or false)");
    return fallback;
  }

  public int integer(String key, int fallback, int min, int max) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    Long parsed = null;
    if (v.valueType() == ConfigValueType.NUMBER) {
      Number n = (Number) v.unwrapped();
      if (n.doubleValue() == Math.rint(n.doubleValue())) {
        parsed = n.longValue();
      }
    } else if (v.valueType() == ConfigValueType.STRING) {
      try {
        parsed = Long.parseLong(((String) v.unwrapped()).trim());
      } catch (NumberFormatException e) {
        parsed = null;
      }
    }
    if (parsed == null) {
      problem(key, "\"" + v.unwrapped() + "\" is not a whole number (expected " + min + " to " + max + ")");
      return fallback;
    }
    if (parsed < min || parsed > max) {
      problem(key, parsed + " is out of range (expected " + min + " to " + max + ")");
      return fallback;
    }
    return parsed.intValue();
  }

  public double number(String key, double fallback) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    Optional<Double> d = asNumber(v);
    if (d.isEmpty()) {
      problem(key, "\"" + v.unwrapped() + "\" is not a number (expected e.g. 42 or 0.5)");
      return fallback;
    }
    return d.get();
  }

  /**
   * A duration of zero or more. A negative one is refused: no duration key of medic means
   * anything below zero, and the timers fed with one fire at once, every time ({@code
   * repeat-interval = -1m} re-sent a notification on every scan). Where zero makes no sense
   * either, use {@link #positiveDuration}.
   */
  public Duration duration(String key, Duration fallback) {
    Duration d = anyDuration(key, fallback);
    if (d != null && d.isNegative()) {
      problem(key, ConfigLoader.human(d) + " is negative (expected 0s or more)");
      return fallback;
    }
    return d;
  }

  private Duration anyDuration(String key, Duration fallback) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    return parseDuration(key, v).orElse(fallback);
  }

  /** A duration that must be strictly positive. */
  public Duration positiveDuration(String key, Duration fallback) {
    Duration d = anyDuration(key, fallback);
    if (d != null && (d.isZero() || d.isNegative())) {
      problem(key, ConfigLoader.human(d) + " is not above zero (expected a duration such as 5s)");
      return fallback;
    }
    return d;
  }

  public long bytes(String key, long fallback) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    return parseBytes(key, v).orElse(fallback);
  }

  public double ratio(String key, double fallback) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    return parseRatio(key, v).orElse(fallback);
  }

  // ---- collections ----------------------------------------------------------------------------

  public List<String> strings(String key, List<String> fallback) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    if (v.valueType() == ConfigValueType.STRING) {
      return List.of((String) v.unwrapped());
    }
    if (v.valueType() != ConfigValueType.LIST) {
      problem(key, "is " + typeName(v) + " (expected a list of strings)");
      return fallback;
    }
    List<String> out = new ArrayList<>();
    for (ConfigValue item : (Iterable<ConfigValue>) ((com.typesafe.config.ConfigList) v)) {
      if (item.valueType() == ConfigValueType.OBJECT || item.valueType() == ConfigValueType.LIST
          || item.valueType() == ConfigValueType.NULL) {
        problems.add(item.origin(), pathOf(key), "has an item that is " + typeName(item) + " (expected strings)");
      } else {
        out.add(String.valueOf(item.unwrapped()));
      }
    }
    return List.copyOf(out);
  }

  public List<Integer> integers(String key, List<Integer> fallback, int min, int max) {
    ConfigValue v = value(key);
    if (v == null) {
      return fallback;
    }
    List<ConfigValue> items = v.valueType() == ConfigValueType.LIST
        ? new ArrayList<>((com.typesafe.config.ConfigList) v) : List.of(v);
    List<Integer> out = new ArrayList<>();
    for (ConfigValue item : items) {
      Optional<Double> d = asNumber(item);
      if (d.isEmpty() || d.get() != Math.rint(d.get()) || d.get() < min || d.get() > max) {
        problems.add(item.origin(), pathOf(key),
            "\"" + item.unwrapped() + "\" is not allowed (expected whole numbers from " + min + " to " + max + ")");
      } else {
        out.add(d.get().intValue());
      }
    }
    return List.copyOf(out);
  }

  /** An object of string values, e.g. HTTP headers. */
  public Map<String, String> stringMap(String key) {
    ConfigValue v = value(key);
    if (v == null) {
      return Map.of();
    }
    if (v.valueType() != ConfigValueType.OBJECT) {
      problem(key, "is " + typeName(v) + " (expected an object of name = value)");
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
      ConfigValue item = e.getValue();
      if (item.valueType() == ConfigValueType.OBJECT || item.valueType() == ConfigValueType.LIST) {
        problems.add(item.origin(), join(pathOf(key), e.getKey()), "is " + typeName(item) + " (expected a string)");
      } else if (item.valueType() != ConfigValueType.NULL) {
        out.put(e.getKey(), String.valueOf(item.unwrapped()));
      }
    }
    return out;
  }

  /** The raw value of a key that may take several shapes; marks it known. */
  public ConfigValue value(String key) {
    known.add(key);
    ConfigValue v = raw(key);
    return v == null || v.valueType() == ConfigValueType.NULL ? null : v;
  }

  /** A nested object; an absent key gives an empty one, so defaults apply. */
  public Settings child(String key) {
    known.add(key);
    Settings existing = children.get(key);
    if (existing != null) {
      return existing;
    }
    ConfigValue v = raw(key);
    ConfigObject obj = null;
    if (v != null && v.valueType() == ConfigValueType.OBJECT) {
      obj = (ConfigObject) v;
    } else if (v != null && v.valueType() != ConfigValueType.NULL) {
      problem(key, "is " + typeName(v) + " (expected an object { ... })");
    }
    Settings child = new Settings(obj, pathOf(key), v != null ? v.origin() : origin, problems);
    children.put(key, child);
    return child;
  }

  /** Marks keys as understood without reading them (e.g. handled by another component). */
  public void accept(String... keys) {
    known.addAll(List.of(keys));
  }

  /** Reports every key present that nothing read, here and in every child read through here. */
  public void reportUnknownKeys() {
    if (object != null) {
      for (String key : object.keySet()) {
        if (!known.contains(key)) {
          problem(key, DidYouMean.unknownMessage("key", key, known));
        }
      }
    }
    for (Settings c : children.values()) {
      c.reportUnknownKeys();
    }
  }

  // ---- parsing of single values (also used for thresholds) ------------------------------------

  public Optional<Duration> parseDuration(String key, ConfigValue v) {
    if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER) {
      // typesafe reads a bare number as milliseconds: "3" would silently be 3ms, not 3s.
      Optional<Double> bare = asNumber(v);
      if (bare.isPresent() && bare.get() != 0) {
        problems.add(v.origin(), pathOf(key),
            v.unwrapped() + " has no unit (expected a duration such as 500ms, 5s, 2m, 1h, 7d)");
        return Optional.empty();
      }
      try {
        return Optional.of(ConfigFactory.empty().withValue("v", v).getDuration("v"));
      } catch (com.typesafe.config.ConfigException e) {
        // fall through to the problem below
      }
    }
    problems.add(v.origin(), pathOf(key),
        "\"" + v.unwrapped() + "\" is not a duration (expected e.g. 500ms, 5s, 2m, 1h, 7d)");
    return Optional.empty();
  }

  public Optional<Long> parseBytes(String key, ConfigValue v) {
    ConfigValue parsed = v;
    if (v.valueType() == ConfigValueType.STRING) {
      // typesafe knows kB but not KB; operators write KB, as they write MB and GB (all decimal).
      parsed = ConfigValueFactory.fromAnyRef(KB.matcher((String) v.unwrapped()).replaceFirst("kB"));
    }
    try {
      long b = ConfigFactory.empty().withValue("v", parsed).getBytes("v");
      if (b >= 0) {
        return Optional.of(b);
      }
    } catch (com.typesafe.config.ConfigException e) {
      // reported below
    }
    problems.add(v.origin(), pathOf(key),
        "\"" + v.unwrapped() + "\" is not a size (expected e.g. 512KB, 100MB, 2GiB or a number of bytes)");
    return Optional.empty();
  }

  public Optional<Double> parseRatio(String key, ConfigValue v) {
    Optional<Double> r = Optional.empty();
    if (v.valueType() == ConfigValueType.NUMBER) {
      r = Optional.of(((Number) v.unwrapped()).doubleValue());
    } else if (v.valueType() == ConfigValueType.STRING) {
      String s = ((String) v.unwrapped()).trim();
      try {
        r = s.endsWith("%")
            ? Optional.of(Double.parseDouble(s.substring(0, s.length() - 1).trim()) / 100.0)
            : Optional.of(Double.parseDouble(s));
      } catch (NumberFormatException e) {
        r = Optional.empty();
      }
    }
    if (r.isEmpty() || r.get() < 0 || r.get() > 1) {
      problems.add(v.origin(), pathOf(key),
          "\"" + v.unwrapped() + "\" is not a ratio (expected 0% to 100%, or 0 to 1, e.g. 80% or 0.8)");
      return Optional.empty();
    }
    return r;
  }

  public static Optional<Double> asNumber(ConfigValue v) {
    if (v.valueType() == ConfigValueType.NUMBER) {
      return Optional.of(((Number) v.unwrapped()).doubleValue());
    }
    if (v.valueType() == ConfigValueType.STRING) {
      // Not Double.parseDouble alone: it takes Java literals, so "7d" (a duration of seven days)
      // would read as the number 7.0, and "NaN" or "0x10" as numbers too.
      String s = ((String) v.unwrapped()).trim();
      if (!DECIMAL.matcher(s).matches()) {
        return Optional.empty();
      }
      return Optional.of(Double.parseDouble(s));
    }
    return Optional.empty();
  }

  static String typeName(ConfigValue v) {
    return switch (v.valueType()) {
      case OBJECT -> "an object";
      case LIST -> "a list";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case STRING -> "a string";
    };
  }

  private ConfigValue raw(String key) {
    return object == null ? null : object.get(key);
  }
}
