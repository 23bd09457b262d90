package dev.medic.evaluate;

import dev.medic.probe.Unit;

/**
 * A plain threshold: breached at or above the value, or — for measurements where lower is worse,
 * such as days left on a certificate or free bytes — at or below it.
 */
public record Bound(double value, boolean lowerIsWorse) implements Limit {

  @Override
  public boolean breached(double v) {
    return lowerIsWorse ? v <= value : v >= value;
  }

  @Override
  public boolean heldWithin(double v, double margin) {
    return lowerIsWorse ? v < value + margin : v > value - margin;
  }

  @Override
  public String describe(Unit unit) {
    return (lowerIsWorse ? "≤ " : "≥ ") + unit.format(value);
  }
}
