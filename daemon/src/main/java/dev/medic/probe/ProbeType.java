package dev.medic.probe;

import dev.medic.config.Settings;
import java.util.Map;

/**
 * A kind of probe, found by its configuration {@code type} through {@link java.util.ServiceLoader}.
 * Adding a probe type is adding an implementation and a line in
 * {@code META-INF/services/dev.medic.probe.ProbeType}.
 */
public interface ProbeType {

  /** The configuration {@code type} value, e.g. {@code http}. */
  String type();

  /**
   * Reads and validates this type's keys from {@code settings} and builds the probe. Every key the
   * type understands must be read through {@code settings} (that is how unknown keys are found);
   * problems are reported to {@code settings}, never thrown. Nothing may start here: the
   * configuration may be only checked ({@code medic check}) and never run.
   */
  Probe create(Settings settings, ProbeContext context);

  /** Measurements this type reports, for thresholds; {@code latency} is known for every type. */
  default Map<String, MeasurementSpec> measurements() {
    return Map.of();
  }

  /** True when measurement names are only known at run time (a command's perfdata). */
  default boolean openMeasurements() {
    return false;
  }
}
