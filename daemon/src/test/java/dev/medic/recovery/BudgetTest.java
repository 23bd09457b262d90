package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.recovery.Attempt.Outcome;
import dev.medic.recovery.Budget.Decision.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Policy POLICY = new Policy(3, Duration.ofMinutes(30), Duration.ofSeconds(10),
      Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofMinutes(2), true, Duration.ofSeconds(5),
      Duration.ofSeconds(30), false);

  /** Attempts written as "F@0 F@10 S@50": outcome and seconds after T0. */
  private static List<Attempt> attempts(String spec) {
    List<Attempt> out = new ArrayList<>();
    if (spec.isBlank()) {
      return out;
    }
    for (String a : spec.trim().split(" ")) {
      Outcome o = switch (a.charAt(0)) {
        case 'S' -> Outcome.SUCCESS;
        case 'D' -> Outcome.DRY_RUN;
        default -> Outcome.FAILURE;
      };
      out.add(new Attempt(T0.plusSeconds(Long.parseLong(a.substring(2))), o));
    }
    return out;
  }

  @ParameterizedTest(name = "[{0}] at +{1}s -> {2} (wait until +{3}s, {4} left)")
  @CsvSource(delimiter = '|', value = {
      "            | 0    | RUN       | 0    | 3",
      "F@0         | 5    | WAIT      | 10   | 2",
      "F@0         | 10   | RUN       | 10   | 2",
      // Doubling: 10 s after the first failure, 20 s after the second.
      "F@0 F@10    | 25   | WAIT      | 30   | 1",
      "F@0 F@10    | 30   | RUN       | 30   | 1",
      "F@0 F@10 F@30 | 100 | EXHAUSTED | -1   | 0",
      // Cooldown after a success.
      "S@0         | 60   | WAIT      | 120  | 2",
      "S@0         | 120  | RUN       | 120  | 2",
      // Attempts older than the window no longer count.
      "F@0 F@10 F@30 | 1831 | RUN     | 1831 | 3",
      // Dry runs count like real attempts, so a dry run shows what the budget would do.
      "D@0 D@10 D@30 | 100 | EXHAUSTED | -1   | 0",
  })
  void decides(String spec, long nowSeconds, Kind kind, long notBeforeSeconds, int remaining) {
    Budget.Decision d = Budget.decide(POLICY, attempts(spec == null ? "" : spec), T0.plusSeconds(nowSeconds), 0);
    assertThat(d.kind()).isEqualTo(kind);
    assertThat(d.remaining()).isEqualTo(remaining);
    if (kind != Kind.EXHAUSTED) {
      assertThat(d.notBefore()).isEqualTo(T0.plusSeconds(notBeforeSeconds));
    }
  }

  @Test
  void backoffDoublesUpToTheCapAndJitterOnlyShortensIt() {
    assertThat(Budget.backoff(POLICY, 1, 0)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Budget.backoff(POLICY, 2, 0)).isEqualTo(Duration.ofSeconds(20));
    assertThat(Budget.backoff(POLICY, 3, 0)).isEqualTo(Duration.ofSeconds(40));
    assertThat(Budget.backoff(POLICY, 4, 0)).isEqualTo(Duration.ofSeconds(60));
    assertThat(Budget.backoff(POLICY, 50, 0)).isEqualTo(Duration.ofSeconds(60));
    assertThat(Budget.backoff(POLICY, 2, 0.5)).isEqualTo(Duration.ofSeconds(18));
    assertThat(Budget.backoff(POLICY, 2, 0.999)).isGreaterThanOrEqualTo(Duration.ofSeconds(16));
  }
}
