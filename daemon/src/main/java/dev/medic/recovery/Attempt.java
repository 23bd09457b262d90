package dev.medic.recovery;

import java.time.Instant;
import java.util.Locale;

/** One journaled attempt of an action for a check, as far as budgets are concerned. */
public record Attempt(Instant at, Outcome outcome) {

  public enum Outcome {
    SUCCESS,
    FAILURE,
    DRY_RUN;

    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Outcome parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }
}
