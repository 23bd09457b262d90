package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.probe.MeasurementSpec;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeType;
import io.vertx.core.Future;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A probe type that reads and validates its keys the way a real one does — so the loader sees
 * realistic unknown keys, missing values and measurements — and whose probe touches nothing: every
 * run is ok. For configuration and CLI tests, where no probe type of the real ones is on the class
 * path yet and none is needed.
 *
 * @param reader reads the type's keys through the check's settings, reporting problems there
 */
public record FakeProbeType(String type, Map<String, MeasurementSpec> measurements, Consumer<Settings> reader)
    implements ProbeType {

  @Override
  public Probe create(Settings settings, ProbeContext context) {
    reader.accept(settings);
    return () -> Future.succeededFuture(ProbeResult.ok(type + " (fake): nothing probed"));
  }
}
