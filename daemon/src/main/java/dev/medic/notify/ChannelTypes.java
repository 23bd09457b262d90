package dev.medic.notify;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/** The channel types on the class path, by their configuration {@code type} name. */
public final class ChannelTypes {

  private final Map<String, ChannelType> byName;

  private ChannelTypes(Map<String, ChannelType> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  public static ChannelTypes discover() {
    Map<String, ChannelType> found = new TreeMap<>();
    for (ChannelType t : ServiceLoader.load(ChannelType.class, ChannelType.class.getClassLoader())) {
      ChannelType clash = found.putIfAbsent(t.type(), t);
      if (clash != null) {
        throw new IllegalStateException("two channel types named " + t.type() + ": "
            + clash.getClass().getName() + " and " + t.getClass().getName());
      }
    }
    return new ChannelTypes(found);
  }

  public static ChannelTypes of(ChannelType... types) {
    Map<String, ChannelType> map = new TreeMap<>();
    for (ChannelType t : types) {
      map.put(t.type(), t);
    }
    return new ChannelTypes(map);
  }

  public Optional<ChannelType> find(String type) {
    return Optional.ofNullable(byName.get(type));
  }

  public Set<String> names() {
    return byName.keySet();
  }
}
