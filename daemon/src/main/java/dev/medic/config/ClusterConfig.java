package dev.medic.config;

import dev.medic.kubernetes.KubernetesAccess;
import java.time.Duration;

/**
 * {@code medic.cluster}: fleet mode, where several medic instances watch the same dependency and
 * agree through a lease backend which of them runs a shared action or sends a shared alert.
 *
 * @param lease as configured: "" (fleet mode off), a {@code redis://} or {@code postgresql://}
 *     URI, or {@code kubernetes}; may hold a password, so print {@link #leaseShown()} instead
 * @param backend the lease backend type the lease names ({@code redis}, {@code postgresql},
 *     {@code kubernetes}), "" when fleet mode is off
 * @param ttl how long a lease lasts unless renewed; its holder renews it every ttl/3
 * @param onBackendDown what a shared action or alert does when the backend cannot be reached
 * @param keyPrefix the namespace of keys, lock names and Lease objects
 * @param kubernetes how to reach the API server when the backend is {@code kubernetes}
 */
public record ClusterConfig(String lease, String backend, Duration ttl, OnBackendDown onBackendDown, String keyPrefix,
    KubernetesAccess kubernetes) {

  public enum OnBackendDown {
    /** Do nothing: better that no instance acts than that every instance does. */
    SKIP,
    /** Act as if the action or check were local: every instance that sees the problem acts. */
    LOCAL;

    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** True when a lease backend is configured. */
  public boolean enabled() {
    return !backend.isEmpty();
  }

  /** The lease with any password masked, for logs, messages and {@code medic check}. */
  public String leaseShown() {
    return Secrets.maskUri(lease);
  }

  @Override
  public String toString() {
    return "ClusterConfig[lease=" + leaseShown() + ", ttl=" + ConfigLoader.human(ttl) + ", on-backend-down="
        + onBackendDown.key() + ", key-prefix=" + keyPrefix + "]";
  }
}
