package dev.medic.probe;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The probe types on the class path, by their configuration {@code type} name. */
public final class ProbeTypes {

  private final Map<String, ProbeType> byName;

  private ProbeTypes(Map<String, ProbeType> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  /** Finds every {@link ProbeType} registered in {@code META-INF/services}. */
  public static ProbeTypes discover() {
    Map<String, ProbeType> found = new TreeMap<>();
    for (ProbeType t : ServiceLoader.load(ProbeType.class, ProbeType.class.getClassLoader())) {
      ProbeType clash = found.putIfAbsent(t.type(), t);
      if (clash != null) {
        throw new IllegalStateException("two probe types named " + t.type() + ": "
            + clash.getClass().getName() + " and " + t.getClass().getName());
      }
    }
    return new ProbeTypes(found);
  }

  /** Exactly these types, e.g. for tests or an embedding application. */
  public static ProbeTypes of(ProbeType... types) {
    Map<String, ProbeType> map = new TreeMap<>();
    for (ProbeType t : types) {
      map.put(t.type(), t);
    }
    return new ProbeTypes(map);
  }

  public Optional<ProbeType> find(String type) {
    return Optional.ofNullable(byName.get(type));
  }

  public java.util.Set<String> names() {
    return byName.keySet();
  }
}
