package dev.medic.recovery;

import java.time.Duration;

/**
 * How often and how carefully an action may run for one check (DESIGN §5).
 *
 * @param maxAttempts attempts allowed within {@code within}; then the check is "recovery exhausted"
 * @param backoffInitial wait after the first failed attempt; doubled after each further failure
 * @param backoffMax cap of the doubling
 * @param stableAfter a check that stays ok this long gets its budget back
 * @param cooldown wait after a successful attempt before the action may run again
 * @param verify re-probe the check {@code grace} after the action; success only if it is ok
 * @param timeout hard limit of one attempt
 * @param dryRun journal what would run, run nothing
 */
public record Policy(
    int maxAttempts,
    Duration within,
    Duration backoffInitial,
    Duration backoffMax,
    Duration stableAfter,
    Duration cooldown,
    boolean verify,
    Duration grace,
    Duration timeout,
    boolean dryRun) {}
