package dev.medic.notify;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One line for a batch, shared by the Slack text and the email subject: the event's title for one
 * event, counts by severity for several ({@code 3 events: 2 critical, 1 resolved}).
 */
final class Summary {

  private Summary() {}

  static String of(List<Event> batch) {
    if (batch.size() == 1) {
      return oneLine(batch.get(0).title());
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    // Worst first, so the line reads in order of urgency whatever order the events came in.
    for (String s : List.of("critical", "warning", "resolved", "ok", "info")) {
      counts.put(s, 0);
    }
    for (Event e : batch) {
      counts.merge(word(e), 1, Integer::sum);
    }
    String parts = counts.entrySet().stream().filter(c -> c.getValue() > 0)
        .map(c -> c.getValue() + " " + c.getKey()).collect(Collectors.joining(", "));
    return batch.size() + " events: " + parts;
  }

  /** How an event is counted: a state change back to ok is "resolved"; other severities as they are. */
  static String word(Event e) {
    if (e.resolved()) {
      return "resolved";
    }
    return e.severity() == null ? "info" : e.severity();
  }

  /** {@code text} on one line: a subject or a chat line must not be split (or forged) by a line break. */
  static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").strip();
  }
}
