package dev.medic.evaluate;

import dev.medic.probe.Unit;

/**
 * A limit a measurement is judged against: a plain threshold ("at or above 90%", or "at or below 7
 * days" for measurements where lower is worse) or a Nagios range such as {@code @10:20}.
 */
public interface Limit {

  /** True when the value is past this limit. */
  boolean breached(double value);

  /**
   * True while a level entered by crossing this limit should be kept: the value is breached, or
   * still within {@code margin} of the limit on the bad side (hysteresis).
   */
  boolean heldWithin(double value, double margin);

  /** How the limit reads in messages: {@code ≥ 90%}, {@code ≤ 7 days}, {@code outside 0:10}. */
  String describe(Unit unit);
}
