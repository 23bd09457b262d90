package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code type = cpu}: CPU time spent busy between two runs, and the load average per core.
 *
 * <p>Keys: {@code stat} (default {@code "/proc/stat"}), {@code loadavg} (default {@code
 * "/proc/loadavg"}) — e.g. {@code /host/proc/...} to watch a node from a container.
 * Measurements: {@code used} (ratio of non-idle time, iowait counted as idle), {@code iowait}
 * (ratio), {@code load1}, {@code load5}, {@code load15} (numbers: load average divided by the
 * processors available to medic).
 */
public final class CpuProbeType implements ProbeType {

  @Override
  public String type() {
    return "cpu";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String stat = absolutePath(settings, "stat", "/proc/stat");
    String loadavg = absolutePath(settings, "loadavg", "/proc/loadavg");
    return new CpuProbe(context, stat, loadavg);
  }

  private static String absolutePath(Settings settings, String key, String fallback) {
    String p = settings.string(key, fallback);
    if (!p.startsWith("/")) {
      settings.problem(key, "\"" + p + "\" is not an absolute path (expected e.g. \"" + fallback + "\")");
    }
    return p;
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("iowait", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("load1", MeasurementSpec.higherIsWorse(Unit.NUMBER));
    m.put("load5", MeasurementSpec.higherIsWorse(Unit.NUMBER));
    m.put("load15", MeasurementSpec.higherIsWorse(Unit.NUMBER));
    return Collections.unmodifiableMap(m);
  }
}
