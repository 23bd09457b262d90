package dev.medic;

import dev.medic.probe.ProbeTypes;
import dev.medic.notify.ChannelTypes;
import dev.medic.recovery.ActionTypes;

/** The plug-in types a configuration may name: probe, action and channel types. */
public record Plugins(ProbeTypes probes, ActionTypes actions, ChannelTypes channels) {

  public Plugins(ProbeTypes probes, ActionTypes actions) {
    this(probes, actions, ChannelTypes.discover());
  }

  /** Every type registered on the class path through {@code META-INF/services}. */
  public static Plugins discover() {
    return new Plugins(ProbeTypes.discover(), ActionTypes.discover(), ChannelTypes.discover());
  }
}
