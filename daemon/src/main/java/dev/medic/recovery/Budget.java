package dev.medic.recovery;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Decides whether an action may run now for a check: attempts left within the window, back-off
 * after failures (doubling, capped, jittered), cooldown after a success. A pure function of
 * (policy, attempts since the last budget reset, now, jitter): no clock, no Vert.x.
 */
public final class Budget {

  /** The answer: run now, wait until a time, or no attempts left. */
  public record Decision(Kind kind, Instant notBefore, int used, int remaining) {

    public enum Kind {
      RUN,
      WAIT,
      EXHAUSTED
    }
  }

  private Budget() {}

  /**
   * @param attempts this check's attempts of this action since its budget was last reset, oldest first
   * @param jitter a value in [0, 1) that spreads back-off by up to 20 %, so that several medics
   *     (or several checks) failing together do not retry in lockstep
   */
  public static Decision decide(Policy p, List<Attempt> attempts, Instant now, double jitter) {
    Instant windowStart = now.minus(p.within());
    int used = 0;
    int failuresInRow = 0;
    Attempt last = null;
    for (Attempt a : attempts) {
      if (a.at().isAfter(windowStart)) {
        used++;
      }
      failuresInRow = a.outcome() == Attempt.Outcome.SUCCESS ? 0 : failuresInRow + 1;
      last = a;
    }
    int remaining = Math.max(0, p.maxAttempts() - used);
    if (remaining == 0) {
      return new Decision(Decision.Kind.EXHAUSTED, null, used, 0);
    }
    if (last == null) {
      return new Decision(Decision.Kind.RUN, now, used, remaining);
    }
    Duration wait = last.outcome() == Attempt.Outcome.SUCCESS ? p.cooldown() : backoff(p, failuresInRow, jitter);
    Instant notBefore = last.at().plus(wait);
    return notBefore.isAfter(now)
        ? new Decision(Decision.Kind.WAIT, notBefore, used, remaining)
        : new Decision(Decision.Kind.RUN, now, used, remaining);
  }

  /** initial × 2^(failures−1), capped at max, then shortened by up to 20 % of jitter. */
  static Duration backoff(Policy p, int failuresInRow, double jitter) {
    long initial = p.backoffInitial().toMillis();
    long max = p.backoffMax().toMillis();
    long ms = initial;
    for (int i = 1; i < failuresInRow && ms < max; i++) {
      ms *= 2;
    }
    ms = Math.min(ms, max);
    return Duration.ofMillis(Math.round(ms * (1.0 - 0.2 * Math.max(0, Math.min(jitter, 1)))));
  }
}
