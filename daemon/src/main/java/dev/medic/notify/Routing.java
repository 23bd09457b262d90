package dev.medic.notify;

import dev.medic.config.ChannelConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which channel hears which event, and what that does to what the channel was told: pure
 * functions, so that routing can be tested with tables (docs/notifications.md, "What each channel
 * gets").
 *
 * <p>The state is, per channel and <em>subject</em> (a check, or one of medic's own conditions such
 * as {@code daemon:journal}), the bad severity the channel was told and not yet told is over, or
 * null. The rules: an alert opens or updates it; its end goes exactly to the channels where it is
 * open, whatever their {@code severities}; the start and the end of flapping reach every channel
 * where the check is open; nothing is ever resolved that was not announced.
 */
public final class Routing {

  private Routing() {}

  /** What one event does on one channel. */
  public enum Verdict {
    /** Sent, and the subject is open on the channel from now on (with the event's severity). */
    ALERT,
    /** Sent, and the subject is closed on the channel: its alert is over. */
    RESOLVE,
    /** Sent, and what the channel was told does not change (recovery steps, info events). */
    INFORM,
    /** Not sent. */
    NOTHING
  }

  /**
   * @param open the severity this channel was told for the event's subject and not yet told is
   *     over, or null when nothing is open there (so an end has nobody to reassure)
   * @param held the event's check is in maintenance or held back by a critical dependency: nothing
   *     new is announced, but what was announced may still end
   */
  public static Verdict decide(ChannelConfig ch, Event e, String open, boolean held) {
    if (e.check() != null && !ch.checks().isEmpty() && !ch.checks().contains(e.check())) {
      return Verdict.NOTHING;
    }
    if (ends(e)) {
      if (open != null) {
        return Verdict.RESOLVE;
      }
      // An end of something this channel never heard of: a resolution is not news, an info
      // event (medic started, the journal takes writes again) is, for a channel that takes info.
      return !e.resolved() && ch.severities().contains(e.severity()) ? Verdict.INFORM : Verdict.NOTHING;
    }
    if (held) {
      return Verdict.NOTHING;
    }
    boolean opens = opens(e);
    if (opens && flapping(e) && open != null) {
      return Verdict.ALERT; // the start or end of flapping reaches whoever heard of the check
    }
    if (!ch.severities().contains(e.severity())) {
      return Verdict.NOTHING;
    }
    return opens ? Verdict.ALERT : Verdict.INFORM;
  }

  /** What the channel has open for {@code subject} once it was sent {@code e} with {@code verdict}. */
  public static String after(String open, Event e, Verdict verdict) {
    return switch (verdict) {
      case ALERT -> e.severity();
      case RESOLVE -> null;
      case INFORM, NOTHING -> open;
    };
  }

  /**
   * Folds a queue of events already routed to a channel over what it was told: the state the
   * channel will be in once they are all delivered (and which of them are lone resolutions of
   * nothing, see {@link #lone}).
   */
  public static Map<String, String> fold(Map<String, String> told, List<Event> queued) {
    Map<String, String> state = new HashMap<>(told);
    for (Event e : queued) {
      String subject = subject(e);
      if (subject == null) {
        continue;
      }
      String open = state.get(subject);
      String next = after(open, e, sentAs(e, open));
      if (next == null) {
        state.remove(subject);
      } else {
        state.put(subject, next);
      }
    }
    return state;
  }

  /**
   * The positions in {@code queued} of resolutions that would end nothing on the channel: their
   * alert was given up before it was delivered. They must not be sent.
   */
  public static List<Integer> lone(Map<String, String> told, List<Event> queued) {
    Map<String, String> state = new HashMap<>(told);
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < queued.size(); i++) {
      Event e = queued.get(i);
      String subject = subject(e);
      if (subject == null) {
        continue;
      }
      String open = state.get(subject);
      if (e.resolved() && open == null) {
        out.add(i);
        continue;
      }
      String next = after(open, e, sentAs(e, open));
      if (next == null) {
        state.remove(subject);
      } else {
        state.put(subject, next);
      }
    }
    return out;
  }

  /** How an event already routed to a channel changes it: as it was routed, whatever the filters. */
  static Verdict sentAs(Event e, String open) {
    if (ends(e)) {
      return Verdict.RESOLVE;
    }
    return opens(e) ? Verdict.ALERT : Verdict.INFORM;
  }

  /** A bad event about a subject: a check going or staying bad, a condition of medic's own. */
  static boolean opens(Event e) {
    boolean bad = "critical".equals(e.severity()) || "warning".equals(e.severity());
    return bad && subject(e) != null;
  }

  static final String DAEMON = "daemon:";

  /**
   * What an event is about, for what a channel was told: the check's name for a state event, a
   * condition of medic's own for a daemon event that starts or ends one ({@code daemon:journal},
   * {@code daemon:config}), else null (recovery steps and other happenings start nothing).
   */
  public static String subject(Event e) {
    if ("state".equals(e.kind())) {
      return e.check();
    }
    if ("daemon".equals(e.kind()) && e.details() != null) {
      String condition = daemonCondition(e.details().getString("step"));
      return condition == null ? null : DAEMON + condition;
    }
    return null;
  }

  private static String daemonCondition(String step) {
    if (step == null) {
      return null;
    }
    return switch (step) {
      case "journal-failed", "journal-writable" -> "journal";
      case "reload-failed", "reloaded", "started" -> "config";
      default -> null;
    };
  }

  /**
   * True for an event that ends a condition: a check back to ok (a resolution), the journal
   * writable again, a configuration that loads again (a reload, or a start).
   */
  public static boolean ends(Event e) {
    if (e.resolved()) {
      return true;
    }
    if (!"daemon".equals(e.kind()) || e.details() == null) {
      return false;
    }
    String step = e.details().getString("step");
    return "journal-writable".equals(step) || "reloaded".equals(step) || "started".equals(step);
  }

  /** The severity a daemon condition is raised with, so that a channel can end it by its labels. */
  public static String raisedSeverity(Event end) {
    String step = end.details() == null ? null : end.details().getString("step");
    return "journal-writable".equals(step) ? "critical" : "warning";
  }

  /** True for the start or the end of flapping (not for a status change while flapping). */
  static boolean flapping(Event e) {
    return e.details() != null && (e.details().getBoolean("flapping", false)
        || e.details().getBoolean("flappingStopped", false));
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
