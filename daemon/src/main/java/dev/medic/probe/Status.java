package dev.medic.probe;

import java.util.Locale;

/** A check's or a result's status, ordered from best to worst: {@code worst} is the maximum. */
public enum Status {
  OK(0),
  WARNING(1),
  CRITICAL(2),
  UNKNOWN(3);

  /** The value exported as {@code medic_check_status} and used as the Nagios exit code. */
  public final int code;

  Status(int code) {
    this.code = code;
  }

  public static Status worst(Status a, Status b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  /**
   * The more severe of two statuses as a Nagios caller and an operator rank them: ok &lt; warning &lt;
   * unknown &lt; critical. Unlike {@link #worst}, a check that could not judge never hides an outage.
   */
  public static Status mostSevere(Status a, Status b) {
    return a.severity() >= b.severity() ? a : b;
  }

  private int severity() {
    return switch (this) {
      case OK -> 0;
      case WARNING -> 1;
      case UNKNOWN -> 2;
      case CRITICAL -> 3;
    };
  }

  public boolean worseThan(Status other) {
    return ordinal() > other.ordinal();
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Status fromExitCode(int code) {
    return switch (code) {
      case 0 -> OK;
      case 1 -> WARNING;
      case 2 -> CRITICAL;
      default -> UNKNOWN;
    };
  }

  @Override
  public String toString() {
    return label();
  }
}
