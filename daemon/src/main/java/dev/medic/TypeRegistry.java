package dev.medic;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Plug-in types by their configuration {@code type} name, as {@link ServiceLoader} finds them in
 * {@code META-INF/services}. Probe, action and channel types each have one.
 */
public abstract class TypeRegistry<T> {

  private final Map<String, T> byName;

  protected TypeRegistry(Map<String, T> byName) {
    this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
  }

  /** Every implementation of {@code spi} on the class path; two with one name are an error. */
  protected static <T> Map<String, T> load(Class<T> spi, Function<T, String> name) {
    Map<String, T> found = new TreeMap<>();
    for (T t : ServiceLoader.load(spi, spi.getClassLoader())) {
      T clash = found.putIfAbsent(name.apply(t), t);
      if (clash != null) {
        throw new IllegalStateException("two " + spi.getSimpleName() + "s named " + name.apply(t) + ": "
            + clash.getClass().getName() + " and " + t.getClass().getName());
      }
    }
    return found;
  }

  /** Exactly {@code types}, e.g. for tests or an application that embeds medic. */
  @SafeVarargs
  protected static <T> Map<String, T> named(Function<T, String> name, T... types) {
    Map<String, T> map = new TreeMap<>();
    for (T t : types) {
      map.put(name.apply(t), t);
    }
    return map;
  }

  public Optional<T> find(String type) {
    return Optional.ofNullable(byName.get(type));
  }

  public Set<String> names() {
    return byName.keySet();
  }
}
