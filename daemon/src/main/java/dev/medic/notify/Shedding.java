package dev.medic.notify;

import dev.medic.config.ChannelConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which undelivered notifications a channel gives up when its queue is over
 * {@code outbox.max-events} or {@code outbox.max-size} (a receiver down for days while checks
 * flap). A pure function, so that the order can be tested with tables.
 *
 * <p>What a person, or Alertmanager, needs once the receiver is back is each check's latest state;
 * so the oldest go first, in this order:
 * <ol>
 *   <li>a state event of a check that has a newer state event queued (the newer one tells where
 *       the check is now: a problem superseded by its resolution, a repeat by a later one);
 *   <li>info events (recovery started or succeeded, medic started, stopping, reloaded);
 *   <li>the other events (a recovery attempt failed or exhausted, a reload that failed);
 *   <li>only then the newest state of a check, resolutions included — with more checks than
 *       {@code max-events} there is no other way.
 * </ol>
 * Events being sent are never chosen: they leave the queue when the send ends.
 */
final class Shedding {

  private Shedding() {}

  /**
   * @param queue the channel's queue, oldest first
   * @param inFlight entries of the queue being sent now
   * @return the entries to drop (oldest first within each class), none when within the limits
   */
  static List<Outbox.Entry> victims(List<Outbox.Entry> queue, Set<Outbox.Entry> inFlight,
      ChannelConfig.OutboxLimits limits) {
    int count = queue.size();
    long bytes = 0;
    for (Outbox.Entry e : queue) {
      bytes += e.size();
    }
    if (count <= limits.maxEvents() && bytes <= limits.maxBytes()) {
      return List.of();
    }
    Map<String, Integer> newestState = new HashMap<>();
    for (int i = 0; i < queue.size(); i++) {
      Event e = queue.get(i).event();
      if (isState(e)) {
        newestState.put(e.check(), i);
      }
    }
    List<List<Outbox.Entry>> classes = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
        new ArrayList<>());
    for (int i = 0; i < queue.size(); i++) {
      Outbox.Entry entry = queue.get(i);
      if (inFlight.contains(entry)) {
        continue;
      }
      Event e = entry.event();
      int c;
      if (isState(e)) {
        c = newestState.get(e.check()) == i ? 3 : 0;
      } else {
        c = "info".equals(e.severity()) ? 1 : 2;
      }
      classes.get(c).add(entry);
    }
    List<Outbox.Entry> out = new ArrayList<>();
    for (List<Outbox.Entry> c : classes) {
      for (Outbox.Entry e : c) {
        if (count <= limits.maxEvents() && bytes <= limits.maxBytes()) {
          return out;
        }
        out.add(e);
        count--;
        bytes -= e.size();
      }
    }
    return out;
  }

  private static boolean isState(Event e) {
    return "state".equals(e.kind()) && e.check() != null;
  }
}
