package dev.medic.recovery;

import dev.medic.TypeRegistry;
import java.util.Map;

/** The action types on the class path, by their configuration {@code type} name. */
public final class ActionTypes extends TypeRegistry<ActionType> {

  private ActionTypes(Map<String, ActionType> byName) {
    super(byName);
  }

  public static ActionTypes discover() {
    return new ActionTypes(load(ActionType.class, ActionType::type));
  }

  public static ActionTypes of(ActionType... types) {
    return new ActionTypes(named(ActionType::type, types));
  }
}
