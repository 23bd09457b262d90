package dev.medic.config;

import com.typesafe.config.ConfigObject;
import dev.medic.recovery.ActionType;
import dev.medic.recovery.Policy;

/**
 * One validated recovery action: its type, its policy (with the global defaults of
 * {@code medic.recovery} applied), its scope (local, or shared with the other instances of a fleet)
 * and its own keys, from which the action is built at start.
 */
public record ActionConfig(String name, ActionType actionType, ConfigObject raw, Policy policy, Scope scope) {

  /** True when the action runs only under a lease and its attempt budget lives in the lease backend. */
  public boolean shared() {
    return scope == Scope.SHARED;
  }

  public String type() {
    return actionType.type();
  }

  public String path() {
    return "medic.actions." + name;
  }
}
