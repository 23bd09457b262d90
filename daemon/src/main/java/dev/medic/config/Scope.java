package dev.medic.config;

/**
 * Whether an action or a check's notifications are this instance's alone ({@code local}) or
 * shared with the other medic instances watching the same thing ({@code shared}): then only the
 * holder of a lease acts, and an action's attempt budget is kept in the lease backend.
 */
public enum Scope {
  LOCAL,
  SHARED;

  /** As written in the configuration: {@code local}, {@code shared}. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
