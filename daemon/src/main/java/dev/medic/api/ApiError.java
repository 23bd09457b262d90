package dev.medic.api;

/**
 * A request medic refuses, with the status to answer and a message that says what was wrong and
 * what to send instead. Thrown by the validation of a request before anything is done.
 */
final class ApiError extends RuntimeException {

  private final int status;

  ApiError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
