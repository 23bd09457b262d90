package dev.medic.recovery;

/**
 * What one attempt of an action did.
 *
 * @param output captured output (process output, response body), already truncated; may be empty
 */
public record ActionOutcome(boolean success, String message, String output) {

  public static ActionOutcome succeeded(String message) {
    return new ActionOutcome(true, message, "");
  }

  public static ActionOutcome failed(String message) {
    return new ActionOutcome(false, message, "");
  }
}
