package dev.medic;

import dev.medic.probe.ProbeTypes;
import dev.medic.recovery.ActionTypes;

/** The plug-in types a configuration may name: probe types and action types. */
public record Plugins(ProbeTypes probes, ActionTypes actions) {

  /** Every type registered on the class path through {@code META-INF/services}. */
  public static Plugins discover() {
    return new Plugins(ProbeTypes.discover(), ActionTypes.discover());
  }
}
