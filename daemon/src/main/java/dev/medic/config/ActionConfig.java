package dev.medic.config;

import com.typesafe.config.ConfigObject;
import dev.medic.recovery.ActionType;
import dev.medic.recovery.Policy;

/**
 * One validated recovery action: its type, its policy (with the global defaults of
 * {@code medic.recovery} applied) and its own keys, from which the action is built at start.
 */
public record ActionConfig(String name, ActionType actionType, ConfigObject raw, Policy policy) {

  public String type() {
    return actionType.type();
  }

  public String path() {
    return "medic.actions." + name;
  }
}
