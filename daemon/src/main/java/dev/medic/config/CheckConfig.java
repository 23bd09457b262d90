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
}
