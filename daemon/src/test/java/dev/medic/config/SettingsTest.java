package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.TestSettings;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The readers probe types use: each problem names the value, the key and what was expected. */
class SettingsTest {

  record Case(String hocon, Function<Settings, Object> read, String problem) {
    @Override
    public String toString() {
      return hocon;
    }
  }

  static List<Case> badValues() {
    return List.of(
        new Case("n = lots", s -> s.number("n", 0), "medic.checks.test.n: \"lots\" is not a number (expected e.g. 42 or 0.5)"),
        new Case("n = 5d", s -> s.number("n", 0), "medic.checks.test.n: \"5d\" is not a number (expected e.g. 42 or 0.5)"),
        new Case("n = 2.5", s -> s.integer("n", 0, 1, 10), "medic.checks.test.n: \"2.5\" is not a whole number (expected 1 to 10)"),
        new Case("n = 11", s -> s.integer("n", 0, 1, 10), "medic.checks.test.n: 11 is out of range (expected 1 to 10)"),
        new Case("b = maybe", s -> s.bool("b", false), "medic.checks.test.b: \"maybe\" is not a boolean (expected true or false)"),
        new Case("s { a = 1 }", s -> s.optString("s"), "medic.checks.test.s: is an object (expected a string)"),
        new Case("l = 5", s -> s.strings("l", List.of()), "medic.checks.test.l: is a number (expected a list of strings)"),
        new Case("m = x", s -> s.choice("m", "GET", "GET", "HEAD"), "medic.checks.test.m: \"x\" is not allowed (expected one of: GET, HEAD)"),
        new Case("h = [1]", s -> s.stringMap("h"), "medic.checks.test.h: is a list (expected an object of name = value)"),
        new Case("d = 5 parsecs", s -> s.duration("d", Duration.ZERO), "medic.checks.test.d: \"5 parsecs\" is not a duration"),
        new Case("d = -1m", s -> s.duration("d", Duration.ZERO), "medic.checks.test.d: -1m is negative (expected 0s or more)"),
        new Case("d = \"-1500ms\"", s -> s.duration("d", Duration.ZERO), "medic.checks.test.d: -1500ms is negative (expected 0s or more)"),
        new Case("d = -1m", s -> s.positiveDuration("d", Duration.ofSeconds(1)), "medic.checks.test.d: -1m is not above zero"),
        new Case("d = 0s", s -> s.positiveDuration("d", Duration.ofSeconds(1)), "medic.checks.test.d: 0s is not above zero"),
        new Case("z = 100 parsecs", s -> s.bytes("z", 0), "medic.checks.test.z: \"100 parsecs\" is not a size"),
        new Case("r = 2", s -> s.ratio("r", 0), "medic.checks.test.r: \"2\" is not a ratio"),
        new Case("x = 1", s -> s.string("y"), "medic.checks.test.y: missing (a value is required)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void aBadValueIsOneProblemAtItsLineAndTheFallbackIsUsed(Case c) {
    Settings s = TestSettings.of(c.hocon());

    c.read().apply(s);

    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).toString()).startsWith("test.conf:1: ").contains(c.problem());
  }

  @Test
  void aNegativeDurationGivesTheFallbackAndZeroIsZero() {
    Settings s = TestSettings.of("neg = -1m, zero = 0s");

    assertThat(s.duration("neg", Duration.ofHours(4))).isEqualTo(Duration.ofHours(4));
    assertThat(s.duration("zero", Duration.ofHours(4))).isZero();
  }

  @Test
  void daysAreADurationNotABareNumber() {
    // Double.parseDouble("7d") is 7.0: a reader that asked it first took 7d for a unitless 7.
    Settings s = TestSettings.of("d = 7d, q = \"2d\", n = \"1.5e3\"");

    assertThat(s.duration("d", Duration.ZERO)).isEqualTo(Duration.ofDays(7));
    assertThat(s.duration("q", Duration.ZERO)).isEqualTo(Duration.ofDays(2));
    assertThat(s.number("n", 0)).isEqualTo(1500.0);
    assertThat(s.problems().sorted()).isEmpty();
  }

  @Test
  void keysNothingReadAreReportedWithAHint() {
    Settings s = TestSettings.of("url = \"http://x\"\nmethdo = GET\nexpect { stauts = 200 }");
    s.string("url");
    s.string("method", "GET");
    s.child("expect").integers("status", List.of(), 100, 599);

    s.reportUnknownKeys();

    assertThat(s.problems().sorted()).extracting(ConfigProblem::toString).containsExactly(
        "test.conf:2: medic.checks.test.methdo: unknown key (did you mean \"method\"?)",
        "test.conf:3: medic.checks.test.expect.stauts: unknown key (did you mean \"status\"?)");
  }
}
