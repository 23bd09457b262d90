package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code type = disk}: how full the file system holding {@code path} is.
 *
 * <p>Keys: {@code path} (default {@code "/"}, absolute). Measurements: {@code used} (ratio of
 * used to used + available, as df computes Use%), {@code free} (bytes available to unprivileged
 * users, lower is worse), {@code inodes-used} (ratio; only where the file system counts inodes
 * and coreutils {@code stat} is installed).
 */
public final class DiskProbeType implements ProbeType {

  @Override
  public String type() {
    return "disk";
  }

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    String path = settings.string("path", "/");
    if (!path.startsWith("/")) {
      settings.problem("path", "\"" + path + "\" is not an absolute path (expected e.g. \"/\" or \"/var/lib/app\")");
    }
    return new DiskProbe(context, path);
  }

  @Override
  public Map<String, MeasurementSpec> measurements() {
    Map<String, MeasurementSpec> m = new LinkedHashMap<>();
    m.put("used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    m.put("free", MeasurementSpec.lowerIsWorse(Unit.BYTES));
    m.put("inodes-used", MeasurementSpec.higherIsWorse(Unit.RATIO));
    return Collections.unmodifiableMap(m);
  }
}
