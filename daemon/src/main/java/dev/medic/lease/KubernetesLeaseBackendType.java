package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import dev.medic.config.Settings;
import io.vertx.core.Vertx;

/**
 * {@code lease = "kubernetes"}: coordination.k8s.io/v1 Lease objects, reached as
 * {@code medic.cluster.kubernetes} says (api, namespace, token-file, ca-file).
 */
public final class KubernetesLeaseBackendType implements LeaseBackendType {

  @Override
  public String name() {
    return "kubernetes";
  }

  @Override
  public void validate(String lease, Settings cluster) {
    if (!lease.equals("kubernetes")) {
      cluster.problem("lease", "\"" + lease + "\" is not a lease backend (expected exactly \"kubernetes\", with the API"
          + " server under medic.cluster.kubernetes)");
    }
  }

  @Override
  public LeaseBackend create(Vertx vertx, ClusterConfig cluster, String instance) {
    return new KubernetesLeaseBackend(vertx, cluster, instance);
  }
}
