package dev.medic.recovery;

import dev.medic.config.Settings;

/**
 * A kind of recovery action, found by its configuration {@code type} through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.medic.recovery.ActionType}).
 */
public interface ActionType {

  /** The configuration {@code type} value, e.g. {@code command}. */
  String type();

  /**
   * Reads and validates this type's own keys (the policy keys are read by the engine) and builds
   * the action. Every key must be read through {@code settings}; problems are reported there, never
   * thrown. Nothing may start here: {@code medic check} only validates.
   */
  Action create(Settings settings, ActionContext context);
}
