package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import dev.medic.config.Settings;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;

/** {@code lease = "postgresql://user:password@host:port/database"}: leases as advisory locks. */
public final class PostgresLeaseBackendType implements LeaseBackendType {

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public void validate(String lease, Settings cluster) {
    try {
      PgConnectOptions o = PgConnectOptions.fromUri(lease);
      if (o.getHost() == null || o.getHost().isBlank() || !lease.matches("(?i)postgresql://[^/]*[^/@][^/]*(/.*)?")) {
        cluster.problem("lease", "\"" + lease + "\" names no host"
            + " (expected postgresql://user:password@host:port/database)");
      }
    } catch (RuntimeException e) {
      cluster.problem("lease", "\"" + lease + "\" is not a PostgreSQL URI: " + e.getMessage()
          + " (expected postgresql://user:password@host:port/database)");
    }
  }

  @Override
  public LeaseBackend create(Vertx vertx, ClusterConfig cluster, String instance) {
    return new PostgresLeaseBackend(vertx, cluster, instance);
  }
}
