package dev.medic.lease;

/** The lease backend could not be reached or did not answer: {@code on-backend-down} applies. */
public final class LeaseBackendUnavailable extends RuntimeException {

  public LeaseBackendUnavailable(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
