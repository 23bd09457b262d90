package dev.medic.probe;

import dev.medic.evaluate.Limit;
import java.util.Optional;

/**
 * One named value a probe reports, in its unit's base form. A command probe's perfdata may bring
 * its own warning and critical ranges; thresholds from the configuration apply as well.
 */
public record Measurement(double value, Unit unit, Optional<Limit> warning, Optional<Limit> critical) {

  public Measurement(double value, Unit unit) {
    this(value, unit, Optional.empty(), Optional.empty());
  }

  public static Measurement seconds(double v) {
    return new Measurement(v, Unit.SECONDS);
  }

  public static Measurement ratio(double v) {
    return new Measurement(v, Unit.RATIO);
  }

  public static Measurement bytes(double v) {
    return new Measurement(v, Unit.BYTES);
  }

  public static Measurement count(double v) {
    return new Measurement(v, Unit.COUNT);
  }

  public String formatted() {
    return unit.format(value);
  }
}
