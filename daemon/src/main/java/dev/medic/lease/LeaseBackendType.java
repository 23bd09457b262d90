package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import dev.medic.config.Settings;
import io.vertx.core.Vertx;

/**
 * A kind of lease backend, found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.medic.lease.LeaseBackendType}) by the scheme of
 * {@code medic.cluster.lease} ({@code redis}, {@code postgresql}), or by the word {@code kubernetes}.
 */
public interface LeaseBackendType {

  /** The URI scheme, or the whole value of {@code lease} for a backend without a URI. */
  String name();

  /**
   * Checks {@code lease} (the value of {@code medic.cluster.lease}, which has this type's scheme),
   * reporting problems on {@code cluster}'s key {@code lease}. Connects to nothing.
   */
  void validate(String lease, Settings cluster);

  /**
   * The backend for a validated configuration. Connects lazily: nothing is reached until the
   * first call.
   *
   * @param instance this instance's name ({@code medic.instance}), shown to the others as holder
   */
  LeaseBackend create(Vertx vertx, ClusterConfig cluster, String instance);
}
