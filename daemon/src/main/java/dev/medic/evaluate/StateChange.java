package dev.medic.evaluate;

import dev.medic.probe.Status;
import java.time.Instant;

/** A confirmed change of a check's status, or the start or end of flapping. */
public record StateChange(
    String check, Status from, Status to, String message, Instant at, boolean flapping, Kind kind) {

  public enum Kind {
    STATUS,
    FLAPPING_STARTED,
    FLAPPING_STOPPED
  }
}
