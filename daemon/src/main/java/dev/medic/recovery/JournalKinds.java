package dev.medic.recovery;

/** The {@code kind} field of journal records (docs/actions.md describes each). */
public final class JournalKinds {

  /** A confirmed state change of a check. */
  public static final String STATE = "state";
  /** An action attempt began (written before it runs, fsynced). */
  public static final String ATTEMPT_STARTED = "attempt-started";
  /** An action attempt ended: outcome success, failure or dry-run (fsynced). */
  public static final String ATTEMPT = "attempt";
  /** One step of a sequence ended: its step name, outcome and message, then the sequence's attempt record (fsynced). */
  public static final String STEP = "step";
  /** A check ran out of attempts. */
  public static final String EXHAUSTED = "exhausted";
  /** An operator reset a check's budget. */
  public static final String RESET = "reset";
  /** A check stayed ok for stable-after and got its budget back. */
  public static final String BUDGET_RESET = "budget-reset";
  /** Actions were due but did not run (flapping, a critical dependency, maintenance). */
  public static final String SUPPRESSED = "suppressed";
  /** A maintenance window was started or ended through the API. */
  public static final String MAINTENANCE = "maintenance";

  private JournalKinds() {}
}
