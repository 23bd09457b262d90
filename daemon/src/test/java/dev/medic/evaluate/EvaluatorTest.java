package dev.medic.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.Status;
import dev.medic.probe.Unit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EvaluatorTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Evaluator.Rules rules(int fall, int rise) {
    return new Evaluator.Rules(fall, rise, 5, Duration.ofMinutes(10), List.of());
  }

  private static ProbeResult result(Status s) {
    return ProbeResult.of(s, s.label(), Map.of());
  }

  /** Feeds statuses one a second and returns the confirmed status after each. */
  private static List<Status> run(Evaluator.Rules rules, String sequence, List<StateChange> changes) {
    CheckState state = CheckState.initial(T0);
    List<Status> confirmed = new ArrayList<>();
    int i = 0;
    for (String token : sequence.split(" ")) {
      Status s = switch (token) {
        case "o" -> Status.OK;
        case "w" -> Status.WARNING;
        case "c" -> Status.CRITICAL;
        default -> Status.UNKNOWN;
      };
      Evaluator.Outcome out = Evaluator.apply("app", rules, state, result(s), T0.plusSeconds(i++));
      state = out.state();
      changes.addAll(out.changes());
      confirmed.add(state.status());
    }
    return confirmed;
  }

  @ParameterizedTest(name = "fall={0} rise={1}: {2} -> {3}")
  @CsvSource(delimiter = '|', value = {
      // The first result sets the state directly.
      "2|2| c         | c",
      "2|2| o c       | o o",
      "2|2| o c c     | o o c",
      "3|2| o c c c   | o o o c",
      "1|1| o c o     | o c o",
      // A good result in between restarts the count.
      "2|2| o c o c   | o o o o",
      // Recovery needs `rise` good results in a row.
      "2|2| c o       | c c",
      "2|2| c o o     | c c o",
      "2|3| c o o w o o o | c c c w w w o",
      // Worse results of different levels still count towards `fall`; the latest level is taken.
      "2|2| o w c     | o o c",
      // From warning, critical is worse again and needs confirming.
      "2|2| w c c     | w w c",
  })
  void debounce(int fall, int rise, String sequence, String expected) {
    List<Status> got = run(rules(fall, rise), sequence.trim(), new ArrayList<>());
    List<String> labels = got.stream().map(s -> s.label().substring(0, 1)).toList();
    assertThat(String.join(" ", labels)).isEqualTo(expected.trim());
  }

  @Test
  void firstResultPublishesAChangeFromUnknown() {
    List<StateChange> changes = new ArrayList<>();
    run(rules(2, 2), "o", changes);
    assertThat(changes).hasSize(1);
    assertThat(changes.get(0).from()).isEqualTo(Status.UNKNOWN);
    assertThat(changes.get(0).to()).isEqualTo(Status.OK);
  }

  @Test
  void unconfirmedWhileAChangeIsPending() {
    CheckState s = Evaluator.apply("app", rules(3, 2), CheckState.initial(T0), result(Status.OK), T0).state();
    s = Evaluator.apply("app", rules(3, 2), s, result(Status.CRITICAL), T0.plusSeconds(1)).state();
    assertThat(s.unconfirmed()).isTrue();
    assertThat(s.pending()).isEqualTo(1);
    assertThat(s.status()).isEqualTo(Status.OK);
    assertThat(s.lastStatus()).isEqualTo(Status.CRITICAL);
    s = Evaluator.apply("app", rules(3, 2), s, result(Status.OK), T0.plusSeconds(2)).state();
    assertThat(s.unconfirmed()).isFalse();
  }

  @Test
  void consecutiveCountsTheLatestJudgedStatus() {
    CheckState s = CheckState.initial(T0);
    for (int i = 0; i < 4; i++) {
      s = Evaluator.apply("app", rules(2, 2), s, result(Status.OK), T0.plusSeconds(i)).state();
    }
    assertThat(s.consecutive()).isEqualTo(4);
    s = Evaluator.apply("app", rules(2, 2), s, result(Status.WARNING), T0.plusSeconds(5)).state();
    assertThat(s.consecutive()).isEqualTo(1);
  }

  @Test
  void flappingStartsPastTheLimitAndStopsWhenOldChangesAgeOut() {
    Evaluator.Rules r = new Evaluator.Rules(1, 1, 3, Duration.ofSeconds(60), List.of());
    CheckState s = Evaluator.apply("app", r, CheckState.initial(T0), result(Status.OK), T0).state();
    List<StateChange> all = new ArrayList<>();
    Status[] seq = {Status.CRITICAL, Status.OK, Status.CRITICAL, Status.OK};
    for (int i = 0; i < seq.length; i++) {
      Evaluator.Outcome o = Evaluator.apply("app", r, s, result(seq[i]), T0.plusSeconds(i + 1));
      s = o.state();
      all.addAll(o.changes());
    }
    assertThat(s.flapping()).isTrue();
    assertThat(all).filteredOn(c -> c.kind() == StateChange.Kind.FLAPPING_STARTED).hasSize(1);
    // The fourth change is the one that crosses the limit of 3 and is marked flapping.
    assertThat(all.get(3).flapping()).isTrue();
    assertThat(all.get(0).flapping()).isFalse();

    Evaluator.Outcome later = Evaluator.apply("app", r, s, result(Status.OK), T0.plusSeconds(120));
    assertThat(later.state().flapping()).isFalse();
    assertThat(later.changes()).extracting(StateChange::kind).containsExactly(StateChange.Kind.FLAPPING_STOPPED);
  }

  // ---- thresholds ----------------------------------------------------------------------------

  private static Threshold usedThreshold(double hysteresis) {
    return new Threshold("used", Unit.RATIO, Optional.of(new Bound(0.80, false)), Optional.of(new Bound(0.90, false)),
        hysteresis);
  }

  private static ProbeResult used(double v) {
    return ProbeResult.of(Status.OK, "disk /", Map.of("used", Measurement.ratio(v)));
  }

  @ParameterizedTest(name = "used {0} -> {1}")
  @CsvSource({"0.50, OK", "0.80, WARNING", "0.85, WARNING", "0.90, CRITICAL", "0.99, CRITICAL"})
  void thresholdsJudgeTheWorstLevel(double value, Status expected) {
    ProbeResult r = Evaluator.judge(used(value), List.of(usedThreshold(0)), Map.of(), new HashMap<>());
    assertThat(r.status()).isEqualTo(expected);
  }

  @Test
  void messageStatesTheValueAndTheLimit() {
    ProbeResult r = Evaluator.judge(used(0.912), List.of(usedThreshold(0)), Map.of(), new HashMap<>());
    assertThat(r.message()).isEqualTo("used 91.2% ≥ critical 90% — disk /");
  }

  @Test
  void lowerIsWorseThresholds() {
    Threshold days = new Threshold("days-left", Unit.DAYS, Optional.of(new Bound(30, true)),
        Optional.of(new Bound(7, true)), 0);
    for (double[] c : new double[][] {{5, 2}, {20, 1}, {90, 0}}) {
      ProbeResult r = Evaluator.judge(ProbeResult.of(Status.OK, "cert", Map.of("days-left",
          new Measurement(c[0], Unit.DAYS))), List.of(days), Map.of(), new HashMap<>());
      assertThat(r.status().code).as("%s days left", c[0]).isEqualTo((int) c[1]);
    }
  }

  @ParameterizedTest(name = "{0}: used {1} after {2} -> {3}")
  @CsvSource({
      "hysteresis keeps critical just below the limit, 0.87, CRITICAL, CRITICAL",
      "hysteresis clears critical below limit minus margin, 0.84, CRITICAL, WARNING",
      "no hysteresis without a previous level, 0.87, OK, WARNING",
      "warning is kept within its margin, 0.77, WARNING, WARNING",
      "warning clears past its margin, 0.74, WARNING, OK",
      "critical drops straight to ok when far below, 0.10, CRITICAL, OK",
  })
  void hysteresis(String name, double value, Status previous, Status expected) {
    Map<String, Status> levels = new HashMap<>();
    ProbeResult r = Evaluator.judge(used(value), List.of(usedThreshold(0.05)), Map.of("used", previous), levels);
    assertThat(r.status()).isEqualTo(expected);
    assertThat(levels).containsEntry("used", expected);
  }

  @Test
  void hoveringValueDoesNotFlapWithHysteresis() {
    Evaluator.Rules r = new Evaluator.Rules(1, 1, 3, Duration.ofMinutes(10), List.of(usedThreshold(0.05)));
    CheckState s = CheckState.initial(T0);
    int changes = 0;
    double[] values = {0.91, 0.89, 0.905, 0.88, 0.91, 0.89, 0.90, 0.87};
    for (int i = 0; i < values.length; i++) {
      Evaluator.Outcome o = Evaluator.apply("disk", r, s, used(values[i]), T0.plusSeconds(i));
      s = o.state();
      changes += o.changes().size();
    }
    assertThat(s.status()).isEqualTo(Status.CRITICAL);
    assertThat(changes).isEqualTo(1);
  }

  @Test
  void latencyBecomesAMeasurementThatThresholdsJudge() {
    Threshold latency = new Threshold("latency", Unit.SECONDS, Optional.of(new Bound(1, false)),
        Optional.of(new Bound(2, false)), 0);
    ProbeResult raw = ProbeResult.ok("GET / 200").withLatency(Duration.ofMillis(1500));
    ProbeResult r = Evaluator.judge(raw, List.of(latency), Map.of(), new HashMap<>());
    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.measurements().get("latency").value()).isEqualTo(1.5);
    assertThat(r.message()).startsWith("latency 1.5s ≥ warning 1s");
  }

  @Test
  void probeVerdictIsKeptWhenWorseThanThresholds() {
    ProbeResult raw = ProbeResult.of(Status.CRITICAL, "refused", Map.of("used", Measurement.ratio(0.1)));
    assertThat(Evaluator.judge(raw, List.of(usedThreshold(0)), Map.of(), new HashMap<>()).status())
        .isEqualTo(Status.CRITICAL);
  }

  @Test
  void perfdataLimitsAreJudgedToo() {
    Measurement m = new Measurement(12, Unit.NUMBER, Optional.of(new Bound(10, false)), Optional.of(new Bound(20, false)));
    ProbeResult r = Evaluator.judge(ProbeResult.of(Status.OK, "load", Map.of("load", m)), List.of(), Map.of(),
        new HashMap<>());
    assertThat(r.status()).isEqualTo(Status.WARNING);
  }
}
