package dev.medic;

/** Event-bus addresses that the modules share. */
public final class Bus {

  /** Published: a confirmed state change of a check, as JSON (see docs/api.md, /events). */
  public static final String STATE = "medic.state";

  /** Sent: a check name whose probe noticed a failure between cycles (reactive detection). */
  public static final String REPROBE = "medic.reprobe";

  /** Published: a recovery step (started, succeeded, failed, exhausted, skipped, reset), as JSON. */
  public static final String RECOVERY = "medic.recovery";

  private Bus() {}
}
