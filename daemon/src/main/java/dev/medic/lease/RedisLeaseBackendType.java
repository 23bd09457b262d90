package dev.medic.lease;

import dev.medic.config.ClusterConfig;
import dev.medic.config.Settings;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.URISyntaxException;

/** {@code lease = "redis://[user:password@]host:port[/db]"}: leases as Redis keys. */
public final class RedisLeaseBackendType implements LeaseBackendType {

  private static final String EXPECTED =
      " (expected redis://host:port or redis://host:port/db, e.g. redis://10.0.0.5:6379/0; a password goes before"
          + " the host as :password@)";

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public void validate(String lease, Settings cluster) {
    URI uri;
    try {
      uri = new URI(lease);
    } catch (URISyntaxException e) {
      cluster.problem("lease", "\"" + lease + "\" is not a valid URI: " + e.getReason() + EXPECTED);
      return;
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
        || !path.matches("/?|/[0-9]{1,5}")) {
      cluster.problem("lease", "\"" + lease + "\" is not a Redis server's address" + EXPECTED);
    } else if (uri.getRawUserInfo() != null && !uri.getRawUserInfo().contains(":")) {
      // Not quoted: without the colon it is the password that would be printed.
      cluster.problem("lease", "has credentials without a colon (expected redis://:password@host:port or"
          + " redis://user:password@host:port)");
    }
  }

  @Override
  public LeaseBackend create(Vertx vertx, ClusterConfig cluster, String instance) {
    return new RedisLeaseBackend(vertx, cluster, instance);
  }
}
