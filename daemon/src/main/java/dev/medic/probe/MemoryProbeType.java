package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code type = memory}: memory and swap use from {@code /proc/meminfo}.
 *
 * <p>Keys: {@code meminfo} (default {@code "/proc/meminfo"}; point it at e.g.
 * {@code /host/proc/meminfo} to watch a node from a container). Measurements: {@code used}
 * (ratio, 1 − MemAvailable / MemTotal), {@code available} (bytes, lower is worse), {@code
 * swap-used} (ratio; 0 without swap).
 */
public final class MemoryProbeType implements ProbeType {

  static final String DEFAULT_MEMINFO = "/proc/meminfo";

  @Override
  public String type() {
    return "memory";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String meminfo = settings.string("meminfo", DEFAULT_MEMINFO);
    if (!meminfo.startsWith("/")) {
      settings.problem("meminfo", "\"" + meminfo + "\" is not an absolute path (expected e.g. \"/proc/meminfo\")");
    }
    return new MemoryProbe(context.vertx(), meminfo);
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("available", MeasurementSpec.lowerIsWorse(Unit.BYTES));
    m.put("swap-used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    return Collections.unmodifiableMap(m);
  }
}
