package dev.medic.probe;

/**
 * What a probe type declares about one of its measurements, so that thresholds can be parsed in
 * the right unit and judged in the right direction (fewer days left is worse, more latency is
 * worse).
 */
public record MeasurementSpec(Unit unit, boolean lowerIsWorse) {

  public static MeasurementSpec higherIsWorse(Unit unit) {
    return new MeasurementSpec(unit, false);
  }

  public static MeasurementSpec lowerIsWorse(Unit unit) {
    return new MeasurementSpec(unit, true);
  }
}
