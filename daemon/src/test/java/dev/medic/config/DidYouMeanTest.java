package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DidYouMeanTest {

  private static final List<String> MEDIC_KEYS = List.of("interval", "timeout", "startup-spread", "fall", "rise",
      "retry-interval", "flap", "http", "journal", "dry-run", "log", "checks", "actions", "notify", "instance");

  @ParameterizedTest(name = "{0} → {2}")
  @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
      intreval     | interval timeout retry-interval         | interval
      timout       | interval timeout                        | timeout
      stauts       | status body-contains                    | status
      htpp         | cpu disk http memory tls                | http
      postgress    | cpu disk http postgres                  | postgres
      dbb          | app db                                  | db
      restart-ap   | restart-app clean-logs                  | restart-app
      Interval     | interval timeout                        | interval
      usd          | used free                               | used
      retry-intervall | interval retry-interval              | retry-interval
      xyz          | interval timeout                        | none
      check        | app db                                  | none
      anything     | none                                    | none
      """)
  void closest(String wrong, String known, String expected) {
    List<String> candidates = known == null ? List.of() : Arrays.asList(known.split(" "));

    assertThat(DidYouMean.closest(wrong, candidates)).isEqualTo(Optional.ofNullable(expected));
  }

  @Test
  void aMessageWithASuggestion() {
    assertThat(DidYouMean.unknownMessage("key", "intreval", MEDIC_KEYS))
        .isEqualTo("unknown key (did you mean \"interval\"?)");
  }

  @Test
  void aMessageWithoutOneListsWhatIsKnown() {
    assertThat(DidYouMean.unknownMessage("measurement \"qqq\"", "qqq", List.of("used", "free")))
        .isEqualTo("unknown measurement \"qqq\" (expected one of: used, free)");
  }

  @ParameterizedTest(name = "{0} ↔ {1} = {2}")
  @CsvSource({"interval, interval, 0", "intreval, interval, 2", "'', abc, 3", "kitten, sitting, 3", "db, dbb, 1"})
  void distance(String a, String b, int d) {
    assertThat(DidYouMean.distance(a, b)).isEqualTo(d);
    assertThat(DidYouMean.distance(b, a)).isEqualTo(d);
  }
}
