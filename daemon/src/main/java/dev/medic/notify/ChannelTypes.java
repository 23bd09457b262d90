package dev.medic.notify;

import dev.medic.TypeRegistry;
import java.util.Map;

/** The channel types on the class path, by their configuration {@code type} name. */
public final class ChannelTypes extends TypeRegistry<ChannelType> {

  private ChannelTypes(Map<String, ChannelType> byName) {
    super(byName);
  }

  public static ChannelTypes discover() {
    return new ChannelTypes(load(ChannelType.class, ChannelType::type));
  }

  public static ChannelTypes of(ChannelType... types) {
    return new ChannelTypes(named(ChannelType::type, types));
  }
}
