package dev.medic.config;

import com.typesafe.config.ConfigObject;
import dev.medic.evaluate.Evaluator;
import dev.medic.probe.ProbeType;
import java.time.Duration;
import java.util.List;

/**
 * One validated check. The probe-specific keys stay as the raw object: the probe is built from
 * them when the check starts (validation built one already, so that cannot fail), and a reload
 * compares them to tell changed checks from unchanged ones.
 */
public record CheckConfig(
    String name,
    ProbeType probeType,
    ConfigObject raw,
    String origin,
    Duration interval,
    Duration timeout,
    Duration retryInterval,
    Evaluator.Rules rules,
    List<String> dependsOn,
    List<String> onWarning,
    List<String> onCritical,
    String description,
    Scope scope) {

  /** True when the check's notifications are sent only by the holder of its lease. */
  public boolean shared() {
    return scope == Scope.SHARED;
  }

  public String type() {
    return probeType.type();
  }

  public String path() {
    return "medic.checks." + name;
  }

  /** Keys every check has, whatever its type: they shape scheduling and judging, not the probe. */
  private static final java.util.Set<String> CHECK_KEYS = java.util.Set.of("type", "interval", "timeout",
      "retry-interval", "fall", "rise", "flap", "thresholds", "hysteresis", "depends-on", "on-warning",
      "on-critical", "description", "scope");

  /**
   * True when {@code other} would build the same probe: same type, timeout and probe-specific keys.
   * A reload keeps such a check's probe (and its kept connection) and changes only how it is judged.
   */
  public boolean sameProbe(CheckConfig other) {
    return type().equals(other.type()) && timeout.equals(other.timeout) && probeKeys(raw).equals(probeKeys(other.raw));
  }

  /** True when nothing an operator wrote or inherited differs (where in the file it is does not count). */
  public boolean sameSettings(CheckConfig other) {
    return sameProbe(other) && raw.equals(other.raw) && interval.equals(other.interval)
        && retryInterval.equals(other.retryInterval) && rules.equals(other.rules) && dependsOn.equals(other.dependsOn)
        && onWarning.equals(other.onWarning) && onCritical.equals(other.onCritical)
        && description.equals(other.description) && scope == other.scope;
  }

  private static ConfigObject probeKeys(ConfigObject raw) {
    ConfigObject out = raw;
    for (String key : CHECK_KEYS) {
      out = out.withoutKey(key);
    }
    return out;
  }
}
