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
      PgConnectOptions.fromUri(lease);
      // fromUri makes a missing host "localhost": a fleet's shared server is never that by accident.
      String rest = lease.substring(lease.indexOf("://") + 3);
      String authority = rest.split("[/?]", 2)[0];
      if (authority.substring(authority.lastIndexOf('@') + 1).isBlank()) {
        cluster.problem("lease", "\"" + lease + "\" names no host"
            + " (expected postgresql://host:port/database, with user:password@ before the host)");
      }
    } catch (RuntimeException e) {
      cluster.problem("lease", "\"" + lease + "\" is not a PostgreSQL URI: " + e.getMessage()
          + " (expected postgresql://host:port/database, with user:password@ before the host)");
    }
  }

  @Override
  public LeaseBackend create(Vertx vertx, ClusterConfig cluster, String instance) {
    return new PostgresLeaseBackend(vertx, cluster, instance);
  }
}
