package dev.medic.recovery;

import java.time.Duration;

/**
 * When to try again after recovery could not go on because of the journal (a full disk) or a step
 * that broke: 1 s after the first failure in a row, doubling, at most 30 s apart. Short enough that
 * recovery resumes soon after the disk has room again, long enough that a disk that stays full
 * costs a line of log every half a minute per check, not a storm. A pure function.
 */
public final class JournalRetry {

  static final Duration FIRST = Duration.ofSeconds(1);
  static final Duration MAX = Duration.ofSeconds(30);

  private JournalRetry() {}

  /** The wait after {@code failuresInRow} failures (1 for the first). */
  public static Duration after(int failuresInRow) {
    long ms = FIRST.toMillis();
    for (int i = 1; i < failuresInRow && ms < MAX.toMillis(); i++) {
      ms *= 2;
    }
    return Duration.ofMillis(Math.min(ms, MAX.toMillis()));
  }
}
