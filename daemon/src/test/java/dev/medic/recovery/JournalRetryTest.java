package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JournalRetryTest {

  @ParameterizedTest(name = "after {0} failure(s) in a row: {1}")
  @CsvSource({
      "0, 1s",
      "1, 1s",
      "2, 2s",
      "3, 4s",
      "4, 8s",
      "5, 16s",
      "6, 30s",
      "7, 30s",
      "1000, 30s",
      "2147483647, 30s",
  })
  void doublesFromOneSecondUpToHalfAMinute(int failures, String wait) {
    assertThat(JournalRetry.after(failures)).isEqualTo(Duration.parse("PT" + wait.toUpperCase()));
  }
}
