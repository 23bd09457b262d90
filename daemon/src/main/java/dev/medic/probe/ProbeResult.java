package dev.medic.probe;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one run of a probe found. An unhealthy target is a result with status {@code critical}
 * and a message that states the actual value and the limit; it is never a failed future.
 *
 * @param latency how long the probe took; {@code null} lets the scheduler fill in wall time
 */
public record ProbeResult(
    Status status, String message, Duration latency, Map<String, Measurement> measurements) {

  public ProbeResult {
    measurements = Collections.unmodifiableMap(new LinkedHashMap<>(measurements));
  }

  public static ProbeResult ok(String message) {
    return new ProbeResult(Status.OK, message, null, Map.of());
  }

  public static ProbeResult critical(String message) {
    return new ProbeResult(Status.CRITICAL, message, null, Map.of());
  }

  public static ProbeResult unknown(String message) {
    return new ProbeResult(Status.UNKNOWN, message, null, Map.of());
  }

  public static ProbeResult of(Status status, String message, Map<String, Measurement> measurements) {
    return new ProbeResult(status, message, null, measurements);
  }

  public ProbeResult withLatency(Duration latency) {
    return new ProbeResult(status, message, latency, measurements);
  }

  public ProbeResult withMeasurement(String name, Measurement m) {
    Map<String, Measurement> copy = new LinkedHashMap<>(measurements);
    copy.put(name, m);
    return new ProbeResult(status, message, latency, copy);
  }
}
