package dev.medic.lease;

import dev.medic.TypeRegistry;
import dev.medic.config.ClusterConfig;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Optional;

/** The lease backend types on the class path, by scheme (or {@code kubernetes}). */
public final class LeaseBackendTypes extends TypeRegistry<LeaseBackendType> {

  private LeaseBackendTypes(Map<String, LeaseBackendType> byName) {
    super(byName);
  }

  public static LeaseBackendTypes discover() {
    return new LeaseBackendTypes(load(LeaseBackendType.class, LeaseBackendType::name));
  }

  public static LeaseBackendTypes of(LeaseBackendType... types) {
    return new LeaseBackendTypes(named(LeaseBackendType::name, types));
  }

  /** The backend {@code medic.cluster} names, or empty when fleet mode is off. */
  public Optional<LeaseBackend> open(Vertx vertx, ClusterConfig cluster, String instance) {
    if (!cluster.enabled()) {
      return Optional.empty();
    }
    LeaseBackendType type = find(cluster.backend()).orElseThrow(() ->
        new IllegalStateException("no lease backend type " + cluster.backend() + " (the configuration was validated"
            + " with other plug-ins)"));
    return Optional.of(type.create(vertx, cluster, instance));
  }

  /** The type {@code lease} names: its URI scheme, or the value itself ({@code kubernetes}). */
  public static String typeName(String lease) {
    int colon = lease.indexOf("://");
    return (colon < 0 ? lease : lease.substring(0, colon)).trim().toLowerCase(java.util.Locale.ROOT);
  }
}
