package dev.medic.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.medic.evaluate.Bound;
import dev.medic.evaluate.Evaluator;
import dev.medic.evaluate.Limit;
import dev.medic.evaluate.Threshold;
import dev.medic.probe.MeasurementSpec;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeType;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Unit;
import dev.medic.Plugins;
import dev.medic.notify.ChannelContext;
import dev.medic.notify.ChannelType;
import dev.medic.notify.ChannelTypes;
import dev.medic.recovery.Action;
import dev.medic.recovery.ActionContext;
import dev.medic.recovery.ActionType;
import dev.medic.recovery.ActionTypes;
import dev.medic.recovery.SequenceAction;
import dev.medic.recovery.Maintenance;
import dev.medic.recovery.Policy;
import dev.medic.kubernetes.KubernetesAccess;
import dev.medic.lease.LeaseBackendType;
import dev.medic.lease.LeaseBackendTypes;
import io.vertx.core.Vertx;
import java.io.File;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a HOCON file (or the embedded default), merges it over {@code reference.conf}, validates
 * all of it and builds an immutable {@link MedicConfig}. Every problem is collected and reported
 * at once; nothing is started. {@code medic check}, {@code medic run} and reload share this path.
 */
public final class ConfigLoader {

  public static final String EMBEDDED = "embedded default";
  private static final String EMBEDDED_RESOURCE = "medic-default.conf";
  private static final String REFERENCE = "reference.conf";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
  /** A required substitution as typesafe renders it: {@code ${NAME}}, not {@code ${?NAME}}. */
  private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\{(?!\\?)\\s*([^}]+?)\\s*}");
  private static final Set<String> LIMIT_KEYS = Set.of("warning", "critical", "hysteresis");
  private static final Policy DEFAULT_POLICY = new Policy(3, Duration.ofMinutes(30), Duration.ofSeconds(10),
      Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(1), true, Duration.ofSeconds(10),
      Duration.ofSeconds(30), false);
  private static final MeasurementSpec LATENCY = MeasurementSpec.higherIsWorse(Unit.SECONDS);

  private final ProbeTypes probeTypes;
  private final ActionTypes actionTypes;
  private final ChannelTypes channelTypes;
  private final LeaseBackendTypes leaseTypes = LeaseBackendTypes.discover();
  private final Vertx vertx;

  /** With the action types registered on the class path. */
  public ConfigLoader(ProbeTypes probeTypes, Vertx vertx) {
    this(probeTypes, ActionTypes.discover(), vertx);
  }

  public ConfigLoader(ProbeTypes probeTypes, ActionTypes actionTypes, Vertx vertx) {
    this(new Plugins(probeTypes, actionTypes, ChannelTypes.discover()), vertx);
  }

  /** @param vertx handed to the plug-in types while they validate; they must not start anything */
  public ConfigLoader(Plugins plugins, Vertx vertx) {
    this.probeTypes = plugins.probes();
    this.actionTypes = plugins.actions();
    this.channelTypes = plugins.channels();
    this.vertx = vertx;
  }

  /** Loads {@code file}, or the embedded default when it is empty. */
  public MedicConfig load(Optional<Path> file) throws ConfigException {
    if (file.isEmpty()) {
      Problems problems = new Problems(EMBEDDED_RESOURCE);
      Config user = parse(problems, () -> ConfigFactory.parseResources(ConfigLoader.class,
          "/" + EMBEDDED_RESOURCE, options().setAllowMissing(false)));
      return build(user, EMBEDDED, problems);
    }
    File f = file.get().toFile();
    Problems problems = new Problems(f.getPath());
    if (!f.isFile() || !f.canRead()) {
      problems.add(null, "", "cannot read the configuration file (expected a readable HOCON file)");
      throw new ConfigException(problems.sorted());
    }
    Config user = parse(problems, () -> new Includes(problems, options().setAllowMissing(false)).parse(f));
    // A missing include or a check defined twice is reported with every other problem at once:
    // build() validates what was read and throws at its end.
    return build(user, f.getPath(), problems);
  }

  /** Loads configuration text, e.g. in tests; {@code name} stands for the file in messages. */
  public MedicConfig loadString(String hocon, String name) throws ConfigException {
    Problems problems = new Problems(name);
    Config user = parse(problems, () -> ConfigFactory.parseString(hocon, options().setOriginDescription(name)));
    return build(user, name, problems);
  }

  private static ConfigParseOptions options() {
    return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF);
  }

  private interface Parse {
    Config parse();
  }

  private static Config parse(Problems problems, Parse parse) throws ConfigException {
    try {
      return parse.parse();
    } catch (com.typesafe.config.ConfigException e) {
      problems.add(e.origin(), "", "not valid HOCON: " + stripOrigin(e) + " (expected HOCON syntax)");
      throw new ConfigException(problems.sorted());
    }
  }

  /**
   * Typesafe stops at one unresolvable substitution and names no key. Instead: report every one,
   * each with its key path, then resolve the rest with those keys set to null, so that validation
   * goes on to find the other problems (and says nothing more about the keys already reported).
   */
  private static Config resolveAroundUnset(Config user, Config reference, Problems problems)
      throws ConfigException {
    Config partial = user.withFallback(reference)
        .resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true));
    Set<String> unset = new LinkedHashSet<>();
    findUnresolved(partial.root(), "", partial, unset, problems);
    Config patched = user;
    for (String path : unset) {
      patched = patched.withValue(path, ConfigValueFactory.fromAnyRef(null));
      problems.suppressLater(path);
    }
    try {
      return patched.withFallback(reference).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw unresolvable(e, problems);
    }
  }

  private static void findUnresolved(ConfigValue v, String path, Config partial, Set<String> unset,
      Problems problems) {
    try {
      if (v.valueType() == ConfigValueType.OBJECT) {
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
          findUnresolved(e.getValue(), Settings.join(path, e.getKey()), partial, unset, problems);
        }
      } else if (v.valueType() == ConfigValueType.LIST) {
        for (ConfigValue item : (ConfigList) v) {
          findUnresolved(item, path, partial, unset, problems);
        }
      }
    } catch (com.typesafe.config.ConfigException.NotResolved e) {
      unset.add(path);
      problems.add(v.origin(), path, unsetMessage(v.render(), partial));
    }
  }

  /**
   * Names only the substitutions that cannot be resolved; the rest of the value is not quoted, as it
   * may hold a secret ({@code "postgresql://medic:hunter2@"${DB_HOST}}).
   */
  private static String unsetMessage(String rendered, Config partial) {
    List<String> all = new ArrayList<>();
    List<String> unset = new ArrayList<>();
    Matcher m = SUBSTITUTION.matcher(rendered);
    while (m.find()) {
      String name = m.group(1);
      all.add(name);
      if (System.getenv(name) == null && !hasPath(partial, name)) {
        unset.add(name);
      }
    }
    List<String> names = unset.isEmpty() ? all : unset;
    if (names.isEmpty()) {
      return "cannot be resolved (expected every ${VAR} to be set, or written ${?VAR})";
    }
    String name = names.get(0);
    String subject = names.stream().map(n -> "${" + n + "}").collect(Collectors.joining(", "));
    return subject + (names.size() == 1 ? " is" : " are") + " not set (expected " + name
        + " in the environment or the configuration, or ${?" + name + "} to leave the key unset)";
  }

  private static boolean hasPath(Config config, String path) {
    try {
      return config.hasPathOrNull(path);
    } catch (com.typesafe.config.ConfigException e) {
      return false;
    }
  }

  private static ConfigException unresolvable(com.typesafe.config.ConfigException e, Problems problems) {
    problems.add(e.origin(), "", stripOrigin(e) + " (expected every ${VAR} to be set, or written ${?VAR})");
    return new ConfigException(problems.sorted());
  }

  private MedicConfig build(Config user, String source, Problems problems) throws ConfigException {
    Config reference = ConfigFactory.parseResources(ConfigLoader.class, "/" + REFERENCE,
        options().setAllowMissing(false));
    Config merged;
    try {
      merged = user.withFallback(reference).resolve();
    } catch (com.typesafe.config.ConfigException.UnresolvedSubstitution e) {
      merged = resolveAroundUnset(user, reference, problems);
    } catch (com.typesafe.config.ConfigException e) {
      throw unresolvable(e, problems);
    }

    Settings root = new Settings(merged.root(), "", merged.root().origin(), problems);
    Settings medic = root.child("medic");

    int before = problems.count();
    Duration interval = medic.positiveDuration("interval", Duration.ofSeconds(30));
    Duration timeout = medic.positiveDuration("timeout", Duration.ofSeconds(5));
    Duration startupSpread = medic.duration("startup-spread", Duration.ofSeconds(1));
    int fall = medic.integer("fall", 2, 1, 1000);
    int rise = medic.integer("rise", 2, 1, 1000);
    Duration retry = medic.positiveDuration("retry-interval", Duration.ofSeconds(2));
    if (problems.count() == before) {
      timings(medic, interval, timeout, retry);
    }
    Settings flap = medic.child("flap");
    int flapChanges = flap.integer("changes", 5, 1, 1000);
    Duration flapWindow = flap.positiveDuration("window", Duration.ofMinutes(10));

    Settings http = medic.child("http");
    ApiConfig api = new ApiConfig(
        http.string("host", "127.0.0.1"),
        http.integer("port", 9779, 0, 65535),
        http.optString("token").filter(t -> !t.isBlank()),
        http.positiveDuration("idle-timeout", ApiConfig.DEFAULT_IDLE_TIMEOUT),
        http.positiveDuration("header-timeout", ApiConfig.DEFAULT_HEADER_TIMEOUT),
        http.integer("max-connections", ApiConfig.DEFAULT_MAX_CONNECTIONS, 1, 100_000),
        http.integer("max-event-clients", ApiConfig.DEFAULT_MAX_EVENT_CLIENTS, 0, 10_000),
        http.integer("events-backlog", ApiConfig.DEFAULT_EVENTS_BACKLOG, 1, 100_000));
    Path journalDir = Path.of(medic.child("journal").string("dir", "/var/lib/medic"));
    boolean dryRun = medic.bool("dry-run", false);
    Settings log = medic.child("log");
    String logFormat = log.choice("format", "text", "text", "json");
    String logLevel = log.choice("level", "info", "trace", "debug", "info", "warn", "error");
    String instance = medic.optString("instance").filter(s -> !s.isBlank()).orElseGet(ConfigLoader::hostName);

    ClusterConfig cluster = cluster(medic.child("cluster"));
    Policy defaults = policy(medic.child("recovery"), DEFAULT_POLICY, dryRun, false);
    Map<String, ActionConfig> actions = actions(medic.child("actions"), defaults, cluster);
    Map<String, ChannelConfig> notify = channels(medic.child("notify"));

    Settings checksSettings = medic.child("checks");
    Map<String, CheckConfig> checks = new LinkedHashMap<>();
    for (String name : checksSettings.keys()) {
      Settings c = checksSettings.child(name);
      if (!NAME.matcher(name).matches()) {
        checksSettings.problem(name, "\"" + name + "\" is not a valid check name (expected letters, digits, - and _)");
      }
      CheckConfig check = check(name, c, interval, timeout, retry, fall, rise, flapChanges, flapWindow, actions,
          medic.child("actions").keys(), cluster);
      if (check != null) {
        checks.put(name, check);
      }
    }
    resolveDependencies(checksSettings, checks);
    List<Maintenance.Window> windows = maintenance(medic, checksSettings.keys());
    resolveChannelChecks(medic.child("notify"), notify, checksSettings.keys());
    root.reportUnknownKeys();
    problems.throwIfAny();
    return new MedicConfig(source, instance, startupSpread, api, journalDir, dryRun, logFormat, logLevel,
        java.util.Collections.unmodifiableMap(checks),
        actions, notify, windows, cluster);
  }

  /** Lower-case letters, digits and -: safe in Redis keys, table rows and Kubernetes object names. */
  private static final Pattern KEY_PREFIX = Pattern.compile("[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?");

  /** {@code medic.cluster}: fleet mode's lease backend, or none. */
  private ClusterConfig cluster(Settings s) {
    String lease = s.string("lease", "").trim();
    Duration ttl = s.duration("ttl", Duration.ofSeconds(15));
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
      s.problem("ttl", human(ttl) + " is below 1s (expected a lease time-to-live of 1s or more, e.g. 15s)");
      ttl = Duration.ofSeconds(15);
    }
    ClusterConfig.OnBackendDown onDown = ClusterConfig.OnBackendDown.valueOf(
        s.choice("on-backend-down", "skip", "skip", "local").toUpperCase(java.util.Locale.ROOT));
    String prefix = s.string("key-prefix", "medic");
    if (!KEY_PREFIX.matcher(prefix).matches()) {
      s.problem("key-prefix", "\"" + prefix + "\" is not a key prefix (expected lower-case letters, digits and -,"
          + " at most 20, e.g. \"medic\")");
      prefix = "medic";
    }
    KubernetesAccess kubernetes = KubernetesAccess.read(s.child("kubernetes"), System.getenv());
    String backend = "";
    if (!lease.isEmpty()) {
      String name = LeaseBackendTypes.typeName(lease);
      Optional<LeaseBackendType> type = leaseTypes.find(name);
      if (type.isEmpty()) {
        List<String> expected = leaseTypes.names().stream()
            .map(n -> n.equals("kubernetes") ? "\"kubernetes\"" : n + "://").toList();
        s.problem("lease", "\"" + lease + "\" names no lease backend (expected \"\" for none, or one of: "
            + String.join(", ", expected) + ")");
      } else {
        type.get().validate(lease, s);
        backend = name;
      }
    }
    return new ClusterConfig(lease, backend, ttl, onDown, prefix, kubernetes);
  }

  /** {@code scope = local | shared}; shared needs a lease backend to share through. */
  private static Scope scope(Settings s, ClusterConfig cluster) {
    Scope scope = Scope.valueOf(s.choice("scope", "local", "local", "shared").toUpperCase(java.util.Locale.ROOT));
    if (scope == Scope.SHARED && !cluster.enabled()) {
      s.problem("scope", "shared needs fleet mode, which is off: medic.cluster.lease is \"\" (expected"
          + " medic.cluster.lease = a redis:// or postgresql:// URI, or \"kubernetes\"; or scope = local)");
    }
    return scope;
  }

  /** {@code medic.maintenance = [ { checks = [..], until = "<RFC 3339>", reason = ".." } ]}. */
  private static List<Maintenance.Window> maintenance(Settings medic, Set<String> checkNames) {
    ConfigValue v = medic.value("maintenance");
    if (v == null) {
      return List.of();
    }
    if (v.valueType() != ConfigValueType.LIST) {
      medic.problem("maintenance", "is not a list (expected [ { checks = [..], until = \"2026-12-01T06:00:00Z\","
          + " reason = \"..\" } ])");
      return List.of();
    }
    List<Maintenance.Window> out = new ArrayList<>();
    int i = 0;
    for (ConfigValue item : (com.typesafe.config.ConfigList) v) {
      String path = medic.pathOf("maintenance") + "[" + i + "]";
      if (item.valueType() != ConfigValueType.OBJECT) {
        medic.problems().add(item.origin(), path, "is not an object (expected { checks, until, reason })");
        i++;
        continue;
      }
      Settings w = new Settings((ConfigObject) item, path, item.origin(), medic.problems());
      List<String> checks = w.strings("checks", List.of());
      for (String c : checks) {
        if (!checkNames.contains(c)) {
          w.problem("checks", DidYouMean.unknownMessage("check \"" + c + "\"", c, checkNames));
        }
      }
      String until = w.string("until");
      String reason = w.string("reason", "");
      w.reportUnknownKeys();
      try {
        if (!until.isEmpty()) {
          out.add(new Maintenance.Window("config-" + i, Set.copyOf(checks), java.time.Instant.parse(until), reason));
        }
      } catch (java.time.format.DateTimeParseException e) {
        w.problem("until", "\"" + until + "\" is not a time (expected RFC 3339, e.g. 2026-12-01T06:00:00Z)");
      }
      i++;
    }
    return List.copyOf(out);
  }

  private CheckConfig check(String name, Settings c, Duration interval, Duration timeout, Duration retry,
      int fall, int rise, int flapChanges, Duration flapWindow, Map<String, ActionConfig> actions,
      Set<String> actionNames, ClusterConfig cluster) {
    if (c.rawObject() == null) {
      return null; // not an object: child() has said so, and there is nothing more to read
    }
    Optional<ProbeType> type = probeType(c);
    Scope scope = scope(c, cluster);
    int before = c.problems().count();
    Duration checkInterval = c.positiveDuration("interval", interval);
    Duration checkTimeout = c.positiveDuration("timeout", timeout);
    Duration checkRetry = c.positiveDuration("retry-interval", retry);
    if (c.problems().count() == before) {
      timings(c, checkInterval, checkTimeout, checkRetry);
    }
    if (checkTimeout.compareTo(checkInterval) >= 0 && !written(c, "timeout")) {
      // `interval = 5s` with the default 5s timeout: probe within half the interval instead.
      checkTimeout = checkInterval.dividedBy(2);
    }
    if (checkRetry.compareTo(checkInterval) > 0) {
      // Retrying slower than the cycle itself makes no sense: the interval is the retry pace.
      checkRetry = checkInterval;
    }
    int checkFall = c.integer("fall", fall, 1, 1000);
    int checkRise = c.integer("rise", rise, 1, 1000);
    Settings flap = c.child("flap");
    int changes = flap.integer("changes", flapChanges, 1, 1000);
    Duration window = flap.positiveDuration("window", flapWindow);
    List<String> dependsOn = c.strings("depends-on", List.of());
    List<String> onWarning = c.strings("on-warning", List.of());
    List<String> onCritical = c.strings("on-critical", List.of());
    for (String key : List.of("on-warning", "on-critical")) {
      for (String action : key.equals("on-warning") ? onWarning : onCritical) {
        // Against every name written under medic.actions: one with a bad type has its own problem.
        if (!actions.containsKey(action) && !actionNames.contains(action)) {
          c.problem(key, DidYouMean.unknownMessage("action \"" + action + "\"", action, actions.keySet())
              .replace("(expected one of: )", "(no actions are defined under medic.actions)"));
        }
      }
    }
    String description = c.string("description", "");
    List<Threshold> thresholds = type.map(t -> thresholds(c.child("thresholds"), t)).orElse(List.of());
    if (type.isEmpty()) {
      c.accept(c.keys().toArray(String[]::new));
      return null;
    }
    try {
      Probe probe = type.get().create(c, new ProbeContext(vertx, name, checkTimeout, () -> { }));
      probe.close();
    } catch (RuntimeException e) {
      c.problem("the " + type.get().type() + " probe could not be built: " + e.getMessage());
    }
    return new CheckConfig(name, type.get(), rawObject(c), originOf(c), checkInterval, checkTimeout, checkRetry,
        new Evaluator.Rules(checkFall, checkRise, changes, window, thresholds), dependsOn, onWarning, onCritical,
        description, scope);
  }

  /** The check's probe type, or empty after reporting why there is none. */
  private Optional<ProbeType> probeType(Settings c) {
    String expected = probeTypes.names().isEmpty() ? "(no probe types are installed)"
        : "(expected one of: " + String.join(", ", probeTypes.names()) + ")";
    if (!c.has("type")) {
      c.problem("type", "missing " + expected);
      return Optional.empty();
    }
    Optional<String> name = c.optString("type"); // reports a value that is not a string
    if (name.isEmpty()) {
      return Optional.empty();
    }
    if (name.get().isBlank()) {
      c.problem("type", "is empty " + expected);
      return Optional.empty();
    }
    Optional<ProbeType> type = probeTypes.find(name.get());
    if (type.isEmpty()) {
      c.problem("type", probeTypes.names().isEmpty()
          ? "unknown probe type \"" + name.get() + "\" " + expected
          : DidYouMean.unknownMessage("probe type \"" + name.get() + "\"", name.get(), probeTypes.names()));
    }
    return type;
  }

  /**
   * Checks timeout < interval and retry-interval ≤ interval where the values were written: once for
   * the defaults under medic (not again for every check inheriting them), and for a check only when
   * it sets one of them itself. The problem goes to the key written here, the one to change. Called
   * only when all three were valid: a fallback standing in for a bad value would be misquoted.
   */
  private static void timings(Settings s, Duration interval, Duration timeout, Duration retry) {
    // Only a timeout written here is a mistake; an inherited one is shortened by the caller.
    if (timeout.compareTo(interval) >= 0 && written(s, "timeout")) {
      s.problem("timeout", "timeout " + human(timeout) + " is not below interval " + human(interval)
          + " (expected timeout < interval)");
    }
    // An inherited retry-interval longer than the interval is clamped by the caller; only one
    // written here is a mistake.
    if (retry.compareTo(interval) > 0 && written(s, "retry-interval")) {
      s.problem("retry-interval", "retry-interval " + human(retry)
          + " is longer than interval " + human(interval) + " (expected retry-interval ≤ interval)");
    }
  }

  /** True when {@code key} is set in this object by the configuration, not by reference.conf. */
  private static boolean written(Settings s, String key) {
    ConfigValue v = s.value(key);
    return v != null && !REFERENCE.equals(v.origin().resource());
  }

  private static ConfigObject rawObject(Settings c) {
    return c.rawObject();
  }

  private static String originOf(Settings c) {
    return c.origin() == null ? "" : c.origin().description();
  }

  private List<Threshold> thresholds(Settings ts, ProbeType type) {
    Map<String, MeasurementSpec> specs = new LinkedHashMap<>(type.measurements());
    specs.putIfAbsent("latency", LATENCY);
    List<Threshold> out = new ArrayList<>();
    for (String measurement : ts.keys()) {
      Settings t = ts.child(measurement);
      MeasurementSpec spec = specs.get(measurement);
      if (spec == null && !type.openMeasurements()) {
        ts.problem(measurement, DidYouMean.unknownMessage("measurement \"" + measurement + "\" for type "
            + type.type(), measurement, specs.keySet()));
        t.accept(t.keys().toArray(String[]::new));
        continue;
      }
      if (t.rawObject() == null) {
        continue; // not an object: child() has said so
      }
      Unit unit = spec == null ? Unit.NUMBER : spec.unit();
      Optional<Double> warning = limitValue(t, "warning", unit);
      Optional<Double> critical = limitValue(t, "critical", unit);
      Optional<Double> hysteresis = limitValue(t, "hysteresis", unit);
      if (hysteresis.isPresent() && hysteresis.get() < 0) {
        // The evaluator ignores a margin that is not positive: say so rather than drop it silently.
        t.problem("hysteresis", t.value("hysteresis").unwrapped() + " is negative (expected a margin of 0 or more)");
        hysteresis = Optional.empty();
      }
      if (warning.isEmpty() && critical.isEmpty() && !t.has("warning") && !t.has("critical")) {
        // A misspelt limit (warn = 80%) is reported as an unknown key with the right names.
        if (LIMIT_KEYS.containsAll(t.keys())) {
          t.problem("needs a limit (expected warning and/or critical)");
        }
        continue;
      }
      boolean lowerIsWorse = spec != null ? spec.lowerIsWorse()
          : warning.isPresent() && critical.isPresent() && critical.get() < warning.get();
      if (warning.isPresent() && critical.isPresent()) {
        boolean inverted = lowerIsWorse ? critical.get() > warning.get() : critical.get() < warning.get();
        if (inverted) {
          t.problem("critical", "critical " + unit.format(critical.get()) + " is " + (lowerIsWorse ? "above" : "below")
              + " warning " + unit.format(warning.get()) + " (expected critical " + (lowerIsWorse ? "≤" : "≥")
              + " warning, as " + (lowerIsWorse ? "lower" : "higher") + " " + measurement + " is worse)");
        }
      }
      Optional<Limit> w = warning.map(v -> new Bound(v, lowerIsWorse));
      Optional<Limit> cr = critical.map(v -> new Bound(v, lowerIsWorse));
      out.add(new Threshold(measurement, unit, w, cr, hysteresis.orElse(0.0)));
    }
    return out;
  }

  private static Optional<Double> limitValue(Settings t, String key, Unit unit) {
    ConfigValue v = t.value(key);
    if (v == null) {
      return Optional.empty();
    }
    return switch (unit) {
      case SECONDS -> t.parseDuration(key, v).filter(d -> {
        // A latency, an age or a lag is never below zero: such a limit would hold always or never.
        // (A negative hysteresis has its own message, below.)
        boolean refused = d.isNegative() && !key.equals("hysteresis");
        if (refused) {
          t.problem(key, human(d) + " is negative (expected 0s or more)");
        }
        return !refused;
      }).map(d -> d.toNanos() / 1e9);
      case RATIO -> t.parseRatio(key, v);
      case BYTES -> t.parseBytes(key, v).map(Long::doubleValue);
      case NUMBER -> anyUnit(t, key, v);
      default -> {
        Optional<Double> n = Settings.asNumber(v);
        if (n.isEmpty()) {
          t.problem(key, "\"" + v.unwrapped() + "\" is not a number (expected a number)");
        }
        yield n;
      }
    };
  }

  private static final java.util.regex.Pattern DURATION_TEXT =
      java.util.regex.Pattern.compile("\\s*[0-9.]+\\s*(ns|us|ms|s|m|h|d|seconds?|minutes?|hours?|days?)\\s*");

  /**
   * A limit for a measurement whose unit is only known at run time (a plugin's perfdata): medic
   * keeps such values in base units, so {@code 80%} means 0.8, {@code 350ms} 0.35 s and
   * {@code 100MB} bytes; a plain number is compared as it is.
   */
  private static Optional<Double> anyUnit(Settings t, String key, ConfigValue v) {
    Optional<Double> n = Settings.asNumber(v);
    if (n.isPresent()) {
      return n;
    }
    String text = String.valueOf(v.unwrapped()).trim();
    if (text.endsWith("%")) {
      return t.parseRatio(key, v);
    }
    if (DURATION_TEXT.matcher(text).matches()) {
      return t.parseDuration(key, v).map(d -> d.toNanos() / 1e9);
    }
    return t.parseBytes(key, v).map(Long::doubleValue);
  }

  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

  private Map<String, ChannelConfig> channels(Settings s) {
    Map<String, ChannelConfig> out = new LinkedHashMap<>();
    for (String name : s.keys()) {
      Settings c = s.child(name);
      if (!NAME.matcher(name).matches()) {
        s.problem(name, "\"" + name + "\" is not a valid name (expected letters, digits, - and _)");
      }
      if (c.rawObject() == null) {
        continue; // not an object: child() has said so
      }
      String typeName = c.string("type");
      Optional<ChannelType> type = channelTypes.find(typeName);
      List<String> severities = c.strings("severities", List.of("warning", "critical"));
      for (String sev : severities) {
        if (!SEVERITIES.contains(sev)) {
          c.problem("severities", "\"" + sev + "\" is not a severity (expected critical, warning or info)");
        }
      }
      List<String> checks = c.strings("checks", List.of());
      Duration groupWait = c.duration("group-wait", Duration.ofSeconds(5));
      // Alertmanager forgets an alert that is not re-sent within its resolve_timeout (5m).
      Duration repeat = c.duration("repeat-interval",
          "alertmanager".equals(typeName) ? Duration.ofMinutes(1) : Duration.ofHours(4));
      Duration retryFor = c.positiveDuration("retry-for", Duration.ofHours(24));
      Duration timeout = c.positiveDuration("timeout", Duration.ofSeconds(10));
      ChannelConfig.OutboxLimits outbox = outboxLimits(c.child("outbox"));
      if (type.isEmpty()) {
        if (!typeName.isEmpty()) {
          c.problem("type", DidYouMean.unknownMessage("channel type \"" + typeName + "\"", typeName,
              channelTypes.names()));
        }
        c.accept(c.keys().toArray(String[]::new));
        continue;
      }
      try {
        type.get().create(c, new ChannelContext(vertx, name, timeout)).close();
      } catch (RuntimeException e) {
        c.problem("the " + typeName + " channel could not be built: " + e.getMessage());
      }
      out.put(name, new ChannelConfig(name, type.get(), c.rawObject(), Set.copyOf(severities), Set.copyOf(checks),
          groupWait, repeat, retryFor, timeout, outbox));
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /** {@code outbox { max-events, max-size }} of a channel: what its queue may hold while the receiver is down. */
  private static ChannelConfig.OutboxLimits outboxLimits(Settings o) {
    ChannelConfig.OutboxLimits d = ChannelConfig.OutboxLimits.DEFAULT;
    int maxEvents = o.integer("max-events", d.maxEvents(), 1, 10_000_000);
    long maxBytes = o.bytes("max-size", d.maxBytes());
    if (maxBytes < 64 * 1024) {
      o.problem("max-size", maxBytes + " bytes is below 64KiB (expected a size such as 32MB)");
      maxBytes = d.maxBytes();
    }
    return new ChannelConfig.OutboxLimits(maxEvents, maxBytes);
  }

  /** Routing names real checks: a typo there would silently drop notifications. */
  private static void resolveChannelChecks(Settings notify, Map<String, ChannelConfig> channels, Set<String> checks) {
    for (ChannelConfig ch : channels.values()) {
      for (String c : ch.checks()) {
        if (!checks.contains(c)) {
          notify.child(ch.name()).problem("checks", DidYouMean.unknownMessage("check \"" + c + "\"", c, checks));
        }
      }
    }
  }

  private Map<String, ActionConfig> actions(Settings s, Policy defaults, ClusterConfig cluster) {
    Map<String, ActionConfig> out = new LinkedHashMap<>();
    Map<String, List<String>> sequences = new LinkedHashMap<>();
    for (String name : s.keys()) {
      Settings a = s.child(name);
      if (!NAME.matcher(name).matches()) {
        s.problem(name, "\"" + name + "\" is not a valid name (expected letters, digits, - and _)");
      }
      if (a.rawObject() == null) {
        continue; // not an object: child() has said so
      }
      String typeName = a.string("type");
      Optional<ActionType> type = actionTypes.find(typeName);
      Policy policy = policy(a, defaults, defaults.dryRun(), true);
      Scope scope = scope(a, cluster);
      if (type.isEmpty()) {
        if (!typeName.isEmpty()) {
          a.problem("type", DidYouMean.unknownMessage("action type \"" + typeName + "\"", typeName,
              actionTypes.names()));
        }
        a.accept(a.keys().toArray(String[]::new));
        continue;
      }
      try {
        Action action = type.get().create(a, new ActionContext(vertx, name, policy.timeout()));
        if (action instanceof SequenceAction sequence) {
          sequences.put(name, sequence.steps());
        }
        action.close();
      } catch (RuntimeException e) {
        a.problem("the " + typeName + " action could not be built: " + e.getMessage());
      }
      out.put(name, new ActionConfig(name, type.get(), a.rawObject(), policy, scope));
    }
    resolveSteps(s, sequences);
    return java.util.Collections.unmodifiableMap(out);
  }

  /**
   * The steps of every sequence name actions written under medic.actions, never the sequence
   * itself, and no cycle through nested sequences (reported once, at the sequence where the
   * search found it closed).
   */
  private static void resolveSteps(Settings actions, Map<String, List<String>> sequences) {
    Set<String> names = actions.keys();
    for (Map.Entry<String, List<String>> seq : sequences.entrySet()) {
      Settings s = actions.child(seq.getKey());
      for (String step : seq.getValue()) {
        if (step.equals(seq.getKey())) {
          s.problem("steps", "\"" + step + "\" is this sequence itself (expected other actions)");
        } else if (!names.contains(step)) {
          Set<String> others = new LinkedHashSet<>(names);
          others.remove(seq.getKey());
          s.problem("steps", DidYouMean.unknownMessage("action \"" + step + "\"", step, others));
        }
      }
    }
    Set<String> done = new HashSet<>();
    for (String start : sequences.keySet()) {
      stepCycle(start, sequences, new ArrayList<>(), done, actions);
    }
  }

  private static void stepCycle(String name, Map<String, List<String>> sequences, List<String> path,
      Set<String> done, Settings actions) {
    if (done.contains(name) || !sequences.containsKey(name)) {
      return;
    }
    int at = path.indexOf(name);
    if (at >= 0) {
      List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
      cycle.add(name);
      String last = path.get(path.size() - 1);
      actions.child(last).problem("steps", "sequences run each other in a cycle: " + String.join(" → ", cycle)
          + " (expected steps that end)");
      return;
    }
    path.add(name);
    for (String step : sequences.get(name)) {
      if (!step.equals(name)) {
        stepCycle(step, sequences, path, done, actions);
      }
    }
    path.remove(path.size() - 1);
    done.add(name);
  }

  /** The policy keys of an action, or of {@code medic.recovery} for the defaults. */
  private static Policy policy(Settings s, Policy d, boolean dryRun, boolean perAction) {
    int maxAttempts = s.integer("max-attempts", d.maxAttempts(), 1, 1000);
    Duration within = s.positiveDuration("within", d.within());
    Settings backoff = s.child("backoff");
    Duration initial = backoff.positiveDuration("initial", d.backoffInitial());
    Duration max = backoff.positiveDuration("max", d.backoffMax());
    if (max.compareTo(initial) < 0) {
      backoff.problem("max", "max " + human(max) + " is below initial " + human(initial)
          + " (expected max ≥ initial)");
    }
    Duration stableAfter = s.positiveDuration("stable-after", d.stableAfter());
    Duration cooldown = s.duration("cooldown", d.cooldown());
    boolean verify = s.bool("verify", d.verify());
    Duration grace = s.duration("grace", d.grace());
    Duration timeout = s.positiveDuration("timeout", d.timeout());
    // medic.dry-run is the global switch; an action may also be dry on its own.
    boolean dry = perAction ? s.bool("dry-run", dryRun) : dryRun;
    return new Policy(maxAttempts, within, initial, max, stableAfter, cooldown, verify, grace, timeout, dry);
  }

  private static Map<String, ConfigObject> namedObjects(Settings s, boolean needType) {
    Map<String, ConfigObject> out = new LinkedHashMap<>();
    for (String name : s.keys()) {
      Settings item = s.child(name);
      if (!NAME.matcher(name).matches()) {
        s.problem(name, "\"" + name + "\" is not a valid name (expected letters, digits, - and _)");
      }
      if (item.rawObject() == null) {
        continue; // not an object: child() has said so
      }
      if (needType) {
        item.string("type");
      }
      // The recovery and notification modules validate the rest of these keys.
      item.accept(item.keys().toArray(String[]::new));
      out.put(name, item.rawObject());
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  private static void resolveDependencies(Settings checksSettings, Map<String, CheckConfig> checks) {
    Set<String> allNames = checksSettings.keys();
    for (CheckConfig c : checks.values()) {
      Settings s = checksSettings.child(c.name());
      for (String dep : c.dependsOn()) {
        if (dep.equals(c.name())) {
          s.problem("depends-on", "\"" + dep + "\" depends on itself (expected other checks)");
        } else if (!allNames.contains(dep)) {
          Set<String> others = new LinkedHashSet<>(allNames);
          others.remove(c.name());
          s.problem("depends-on", DidYouMean.unknownMessage("check \"" + dep + "\"", dep, others));
        }
      }
    }
    // Report each cycle once, at the check where the search found it closed.
    Map<String, Integer> mark = new HashMap<>();
    Set<String> reported = new LinkedHashSet<>();
    for (String start : checks.keySet()) {
      findCycle(start, checks, mark, new ArrayList<>(), checksSettings, reported);
    }
  }

  private static void findCycle(String name, Map<String, CheckConfig> checks, Map<String, Integer> mark,
      List<String> stack, Settings checksSettings, Set<String> reported) {
    Integer m = mark.get(name);
    if (m != null && m == 2) {
      return;
    }
    if (m != null && m == 1) {
      List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(name), stack.size()));
      cycle.add(name);
      String key = String.join(">", cycle);
      if (reported.add(key)) {
        checksSettings.child(stack.get(stack.size() - 1)).problem("depends-on",
            "dependency cycle " + String.join(" → ", cycle) + " (expected no cycles in depends-on)");
      }
      return;
    }
    CheckConfig c = checks.get(name);
    if (c == null) {
      return;
    }
    mark.put(name, 1);
    stack.add(name);
    for (String dep : c.dependsOn()) {
      if (!dep.equals(name)) {
        findCycle(dep, checks, mark, stack, checksSettings, reported);
      }
    }
    stack.remove(stack.size() - 1);
    mark.put(name, 2);
  }

  /** {@code 500ms}, {@code 45s}, {@code 15m}, {@code 2h}: how durations are written in configs. */
  public static String human(Duration d) {
    if (d.isNegative()) {
      return "-" + human(d.negated());
    }
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s % 3600 == 0 && s > 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0 && s > 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  private static String stripOrigin(com.typesafe.config.ConfigException e) {
    String msg = e.getMessage();
    if (e.origin() != null) {
      String prefix = e.origin().description() + ": ";
      if (msg.startsWith(prefix)) {
        msg = msg.substring(prefix.length());
      }
    }
    return msg;
  }

  /**
   * The default instance name: the pod name where the Kubernetes downward API passes it as
   * POD_NAME (docker/k8s manifests do), else the host name (in a pod, also the pod name).
   */
  private static String hostName() {
    for (String var : List.of("POD_NAME", "HOSTNAME")) {
      String env = System.getenv(var);
      if (env != null && !env.isBlank()) {
        return env;
      }
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }
}
