package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatusTest {

  @ParameterizedTest(name = "{0} and {1} → {2}")
  @CsvSource({
      "OK, OK, OK",
      "OK, WARNING, WARNING",
      "WARNING, UNKNOWN, UNKNOWN",
      "UNKNOWN, CRITICAL, CRITICAL",
      "CRITICAL, UNKNOWN, CRITICAL",
      "UNKNOWN, OK, UNKNOWN",
      "WARNING, CRITICAL, CRITICAL",
  })
  void criticalOutranksUnknownAsNagiosCallersExpect(Status a, Status b, Status expected) {
    assertThat(Status.mostSevere(a, b)).isEqualTo(expected);
    assertThat(Status.mostSevere(b, a)).isEqualTo(expected);
  }
}
