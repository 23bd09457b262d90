package dev.medic.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.probe.Unit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NagiosRangeTest {

  @ParameterizedTest(name = "{0} with {1} → breached {2}")
  @CsvSource(delimiter = '|', textBlock = """
      10      | -0.1  | true
      10      | 0     | false
      10      | 10    | false
      10      | 10.01 | true
      10:     | 9.99  | true
      10:     | 10    | false
      10:     | 1e9   | false
      ~:10    | -1e9  | false
      ~:10    | 10    | false
      ~:10    | 11    | true
      10:20   | 9     | true
      10:20   | 10    | false
      10:20   | 20    | false
      10:20   | 21    | true
      @10:20  | 9     | false
      @10:20  | 10    | true
      @10:20  | 15    | true
      @10:20  | 20    | true
      @10:20  | 20.5  | false
      @10     | 0     | true
      @10     | -1    | false
      -5:5    | -5    | false
      -5:5    | -6    | true
      :10     | -1    | true
      :10     | 5     | false
      0.5:1.5 | 0.4   | true
      ~:      | 1e300 | false
      @~:     | 0     | true
      ' 5 '   | 6     | true
      """)
  void breachedFollowsNagiosSemantics(String text, double value, boolean breached) {
    assertThat(NagiosRange.parse(text).breached(value)).isEqualTo(breached);
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource(delimiter = '|', textBlock = """
      10      | 0:10
      10:     | 10:
      ~:10    | ~:10
      10:20   | 10:20
      @10:20  | @10:20
      :7      | 0:7
      1.5:2.5 | 1.5:2.5
      """)
  void printsBackInNagiosSyntax(String text, String canonical) {
    assertThat(NagiosRange.parse(text)).hasToString(canonical);
    assertThat(NagiosRange.parse(canonical)).isEqualTo(NagiosRange.parse(text));
  }

  @ParameterizedTest(name = "\"{0}\" is rejected: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      ''      | empty range
      '  '    | empty range
      abc     | "abc" is not a valid range: "abc" is not a number
      ~       | "~" is not a valid range: "~" is not a number
      20:10   | "20:10" is not a valid range: its start 20 is greater than its end 10
      -5      | "-5" is not a valid range: its start 0 is greater than its end -5
      @       | "@" is not a valid range: "" is not a number
      1:2:3   | "1:2:3" is not a valid range: "2:3" is not a number
      NaN     | "NaN" is not a valid range: "NaN" is not a number
      10%     | "10%" is not a valid range: "10%" is not a number
      """)
  void rejectsMalformedTextNamingIt(String text, String message) {
    assertThatThrownBy(() -> NagiosRange.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @ParameterizedTest(name = "{0} with {1} margin {2} → held {3}")
  @CsvSource(delimiter = '|', textBlock = """
      0:80    | 81   | 5 | true
      0:80    | 76   | 5 | true
      0:80    | 75   | 5 | false
      0:80    | 74   | 5 | false
      0:80    | 74   | 0 | false
      0:80    | 80.5 | 0 | true
      10:     | 12   | 5 | true
      10:     | 15   | 5 | false
      ~:80    | 76   | 5 | true
      ~:80    | -1e9 | 5 | false
      @10:20  | 8    | 3 | true
      @10:20  | 6    | 3 | false
      @10:20  | 22   | 3 | true
      @10:20  | 24   | 3 | false
      40:60   | 50   | 20 | true
      0:80    | 74   | -5 | false
      """)
  void hysteresisKeepsTheAlertWithinTheMarginOnTheBadSide(
      String text, double value, double margin, boolean held) {
    assertThat(NagiosRange.parse(text).heldWithin(value, margin)).isEqualTo(held);
  }

  @ParameterizedTest(name = "{0} in {1} reads \"{2}\"")
  @CsvSource(delimiter = '|', textBlock = """
      10      | NUMBER  | outside 0:10
      10:     | NUMBER  | < 10
      ~:10    | NUMBER  | > 10
      @10:20  | NUMBER  | inside 10:20
      @10:    | NUMBER  | ≥ 10
      @~:10   | NUMBER  | ≤ 10
      0.8     | RATIO   | outside 0%:80%
      ~:1.5   | SECONDS | > 1.5s
      ~:      | NUMBER  | never
      """)
  void describesItselfInTheMeasurementsUnit(String text, Unit unit, String description) {
    assertThat(NagiosRange.parse(text).describe(unit)).isEqualTo(description);
  }

  @Test
  void scalingMovesBothEndsAndKeepsInfinity() {
    NagiosRange percent = NagiosRange.parse("@80:").scaled(0.01);

    assertThat(percent).isEqualTo(new NagiosRange(0.8, Double.POSITIVE_INFINITY, true));
    assertThat(percent.breached(0.85)).isTrue();
    assertThat(percent.breached(0.79)).isFalse();
    assertThat(NagiosRange.parse("~:500").scaled(0.001).end()).isEqualTo(0.5);
    assertThatThrownBy(() -> NagiosRange.parse("10").scaled(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
