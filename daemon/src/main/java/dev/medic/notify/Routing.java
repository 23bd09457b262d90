package dev.medic.notify;

import dev.medic.config.ChannelConfig;

/**
 * Which channel hears which event: by severity and check, and resolutions only where the problem
 * was announced. Pure functions, so that routing can be tested with tables.
 */
public final class Routing {

  private Routing() {}

  /**
   * @param announced the severity this channel last announced for the event's check while it was
   *     bad, or null when it announced nothing (so a resolution has nobody to reassure)
   */
  public static boolean wants(ChannelConfig ch, Event e, String announced) {
    if (e.check() != null && !ch.checks().isEmpty() && !ch.checks().contains(e.check())) {
      return false;
    }
    if (e.resolved()) {
      return announced != null;
    }
    return ch.severities().contains(e.severity());
  }

  /** The severity of a state change to {@code to}: what a person must do about it. */
  public static String severityOf(String to) {
    return switch (to) {
      case "ok" -> "ok";
      case "critical" -> "critical";
      default -> "warning"; // warning, and unknown: medic cannot judge, someone should look
    };
  }

  /** The severity of a recovery step: exhausted needs a person; a failed attempt is worth knowing. */
  public static String severityOfRecovery(String step) {
    return switch (step) {
      case "exhausted" -> "critical";
      case "failed" -> "warning";
      default -> "info";
    };
  }
}
