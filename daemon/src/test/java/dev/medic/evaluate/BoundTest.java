package dev.medic.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.probe.Unit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BoundTest {

  @ParameterizedTest(name = "limit {0} lowerIsWorse={1}: {2} breached={3} held(0.05)={4}")
  @CsvSource({
      "0.9, false, 0.95, true, true",
      "0.9, false, 0.90, true, true",
      "0.9, false, 0.87, false, true",
      "0.9, false, 0.85, false, false",
      "7, true, 5, true, true",
      "7, true, 7.02, false, true",
      "7, true, 8, false, false",
  })
  void breachAndHold(double limit, boolean lowerIsWorse, double value, boolean breached, boolean held) {
    Bound b = new Bound(limit, lowerIsWorse);
    assertThat(b.breached(value)).isEqualTo(breached);
    assertThat(b.heldWithin(value, 0.05)).isEqualTo(held);
  }

  @ParameterizedTest
  @CsvSource({"RATIO, 0.9, false, ≥ 90%", "DAYS, 7, true, ≤ 7 days", "SECONDS, 0.5, false, ≥ 500ms"})
  void describes(Unit unit, double limit, boolean lowerIsWorse, String text) {
    assertThat(new Bound(limit, lowerIsWorse).describe(unit)).isEqualTo(text);
  }
}
