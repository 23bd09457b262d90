package dev.medic.recovery;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/** The action types on the class path, by their configuration {@code type} name. */
public final class ActionTypes {

  private final Map<String, ActionType> byName;

  private ActionTypes(Map<String, ActionType> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  public static ActionTypes discover() {
    Map<String, ActionType> found = new TreeMap<>();
    for (ActionType t : ServiceLoader.load(ActionType.class, ActionType.class.getClassLoader())) {
      ActionType clash = found.putIfAbsent(t.type(), t);
      if (clash != null) {
        throw new IllegalStateException("two action types named " + t.type() + ": "
            + clash.getClass().getName() + " and " + t.getClass().getName());
      }
    }
    return new ActionTypes(found);
  }

  public static ActionTypes of(ActionType... types) {
    Map<String, ActionType> map = new TreeMap<>();
    for (ActionType t : types) {
      map.put(t.type(), t);
    }
    return new ActionTypes(map);
  }

  public Optional<ActionType> find(String type) {
    return Optional.ofNullable(byName.get(type));
  }

  public Set<String> names() {
    return byName.keySet();
  }
}
