package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class LedgerTest {

  private static JsonObject r(String kind, String ts, String... kv) {
    JsonObject o = new JsonObject().put("kind", kind).put("check", "app").put("ts", "2026-01-01T00:00:" + ts + "Z");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return o;
  }

  @Test
  void attemptsAreCountedWhenTheyStartSoACrashMidActionStillCounts() {
    Ledger l = Ledger.replay(List.of(
        r("attempt-started", "01", "action", "restart"),
        r("attempt", "05", "action", "restart", "outcome", "success").put("started", true),
        r("attempt-started", "10", "action", "restart")));
    List<Attempt> a = l.attempts("app", "restart");
    assertThat(a).extracting(Attempt::outcome).containsExactly(Attempt.Outcome.SUCCESS, Attempt.Outcome.FAILURE);
    assertThat(a.get(0).at().toString()).isEqualTo("2026-01-01T00:00:01Z");
  }

  @Test
  void exhaustedUntilRecoveredOrReset() {
    Ledger l = Ledger.replay(List.of(r("exhausted", "01", "action", "restart")));
    assertThat(l.exhausted("app")).isTrue();
    l.apply(r("state", "02", "to", "critical"));
    assertThat(l.exhausted("app")).isTrue();
    l.apply(r("state", "03", "to", "ok"));
    assertThat(l.exhausted("app")).isFalse();
    l.apply(r("exhausted", "04", "action", "restart"));
    l.apply(r("reset", "05"));
    assertThat(l.exhausted("app")).isFalse();
  }

  @Test
  void budgetResetsClearAttempts() {
    Ledger l = Ledger.replay(List.of(
        r("attempt-started", "01", "action", "restart"),
        r("budget-reset", "02")));
    assertThat(l.attempts("app", "restart")).isEmpty();
    assertThat(l.hasAttempts("app")).isFalse();
  }
}
