package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.probe.MeasurementSpec;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Unit;
import java.util.List;
import java.util.Map;

/**
 * Stand-ins for the real probe types, under the real names and reading the real keys (as far as
 * configuration tests need): {@code http}, {@code disk}, {@code memory}, {@code cpu}, {@code tls}
 * and {@code postgres}. Each one's measurements have the real units and directions, so thresholds
 * are parsed and judged as they will be.
 */
public final class FakeProbeTypes {

  private FakeProbeTypes() {}

  /** All of them. */
  public static ProbeTypes all() {
    return ProbeTypes.of(http(), disk(), memory(), cpu(), tls(), postgres());
  }

  /** {@code url} (required), {@code method}, {@code headers}, {@code expect { status, body-contains }}. */
  public static FakeProbeType http() {
    return new FakeProbeType("http", Map.of(), s -> {
      s.string("url");
      s.choice("method", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
      s.stringMap("headers");
      Settings expect = s.child("expect");
      expect.integers("status", List.of(), 100, 599);
      expect.optString("body-contains");
    });
  }

  /** {@code path} (required); {@code used} is a ratio, {@code free} bytes where lower is worse. */
  public static FakeProbeType disk() {
    return new FakeProbeType("disk", Map.of(
        "used", MeasurementSpec.higherIsWorse(Unit.RATIO),
        "free", MeasurementSpec.lowerIsWorse(Unit.BYTES)),
        s -> s.string("path"));
  }

  /** No keys of its own; {@code used} is a ratio. */
  public static FakeProbeType memory() {
    return new FakeProbeType("memory", Map.of("used", MeasurementSpec.higherIsWorse(Unit.RATIO)), s -> { });
  }

  /** No keys of its own; {@code used} is a ratio. */
  public static FakeProbeType cpu() {
    return new FakeProbeType("cpu", Map.of("used", MeasurementSpec.higherIsWorse(Unit.RATIO)), s -> { });
  }

  /** {@code host} (required), {@code port} (443); {@code days-left} where fewer is worse. */
  public static FakeProbeType tls() {
    return new FakeProbeType("tls", Map.of("days-left", MeasurementSpec.lowerIsWorse(Unit.DAYS)), s -> {
      s.string("host");
      s.integer("port", 443, 1, 65535);
    });
  }

  /** {@code uri} (required, may carry credentials); {@code connections} is a count. */
  public static FakeProbeType postgres() {
    return new FakeProbeType("postgres", Map.of("connections", MeasurementSpec.higherIsWorse(Unit.COUNT)),
        s -> s.string("uri"));
  }
}
