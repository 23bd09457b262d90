package dev.medic.evaluate;

import dev.medic.probe.ProbeResult;
import dev.medic.probe.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the evaluator remembers about one check between results. Immutable: each result
 * gives a new state.
 *
 * @param status the confirmed status (what the check "is")
 * @param since when {@code status} was entered
 * @param lastStatus the status judged from the latest result, confirmed or not
 * @param consecutive how many results in a row were judged {@code lastStatus}
 * @param pending how many results in a row disagreed with {@code status} in the same direction
 * @param changes times of recent confirmed changes, for flap detection
 * @param flapping true while the check changes state too often
 * @param levels the level each measurement was last judged at, for hysteresis
 * @param lastResult the latest result with thresholds applied, or null before the first
 * @param lastRun when the latest result arrived, or null
 */
public record CheckState(
    Status status,
    Instant since,
    Status lastStatus,
    int consecutive,
    int pending,
    List<Instant> changes,
    boolean flapping,
    Map<String, Status> levels,
    ProbeResult lastResult,
    Instant lastRun) {

  public static CheckState initial(Instant now) {
    return new CheckState(Status.UNKNOWN, now, Status.UNKNOWN, 0, 0, List.of(), false, Map.of(), null, null);
  }

  public boolean probed() {
    return lastResult != null;
  }

  /** True while the latest results disagree with the confirmed status but have not yet confirmed a change. */
  public boolean unconfirmed() {
    return pending > 0;
  }
}
