package dev.medic.probe;

import dev.medic.TypeRegistry;
import java.util.Map;

/** The probe types on the class path, by their configuration {@code type} name. */
public final class ProbeTypes extends TypeRegistry<ProbeType> {

  private ProbeTypes(Map<String, ProbeType> byName) {
    super(byName);
  }

  /** Finds every {@link ProbeType} registered in {@code META-INF/services}. */
  public static ProbeTypes discover() {
    return new ProbeTypes(load(ProbeType.class, ProbeType::type));
  }

  /** Exactly these types, e.g. for tests or an embedding application. */
  public static ProbeTypes of(ProbeType... types) {
    return new ProbeTypes(named(ProbeType::type, types));
  }
}
