package dev.medic.evaluate;

import dev.medic.probe.Unit;
import java.util.Optional;

/**
 * The configured limits for one measurement of a check.
 *
 * @param hysteresis how far back past a limit a value must come before the level it set is left
 *     (in the measurement's unit); 0 for none
 */
public record Threshold(
    String measurement, Unit unit, Optional<Limit> warning, Optional<Limit> critical, double hysteresis) {}
