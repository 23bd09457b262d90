package dev.medic.lease;

/** What one try to take a lease gave: the lease, or the name of the instance holding it. */
public sealed interface Acquisition permits Acquisition.Granted, Acquisition.HeldBy {

  /** This instance holds the lease; it renews itself until released or lost. */
  record Granted(Lease lease) implements Acquisition {}

  /**
   * Another holder has the lease.
   *
   * @param holder its instance name ({@code medic.instance}); "unknown" when the backend does not say
   */
  record HeldBy(String holder) implements Acquisition {}
}
