package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import dev.medic.kubernetes.KubernetesAccess;
import java.time.Duration;

/** {@code medic.cluster} settings for tests, as the loader would build them. */
final class Clusters {

  private Clusters() {}

  static ClusterConfig of(String lease, Duration ttl) {
    return new ClusterConfig(lease, LeaseBackendTypes.typeName(lease), ttl, ClusterConfig.OnBackendDown.SKIP, "medic",
        null);
  }

  static ClusterConfig kubernetes(KubernetesAccess access, Duration ttl) {
    return new ClusterConfig("kubernetes", "kubernetes", ttl, ClusterConfig.OnBackendDown.SKIP, "medic", access);
  }
}
