package dev.medic.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.medic.config.ChannelConfig;
import dev.medic.notify.Routing.Verdict;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The notification rules of docs/notifications.md ("What each channel gets"), as a table: every
 * transition pair of {unknown, ok, warning, critical}, the start and the end of flapping (settled
 * at each status), with nothing, a warning or a critical open on the channel, for every channel
 * {@code severities}, held back or not.
 */
class RoutingTest {

  static final List<String> STATUSES = List.of("unknown", "ok", "warning", "critical");
  static final List<Set<String>> SEVERITIES = List.of(Set.of("warning", "critical"), Set.of("critical"),
      Set.of("warning"), Set.of("info"), Set.of("critical", "warning", "info"));
  static final List<String> OPEN = java.util.Arrays.asList(null, "warning", "critical");

  static ChannelConfig channel(Set<String> severities) {
    return new ChannelConfig("ops", null, ConfigFactory.empty().root(), severities, Set.of(), Duration.ofSeconds(5),
        Duration.ofHours(4), Duration.ofHours(24), Duration.ofSeconds(10), ChannelConfig.OutboxLimits.DEFAULT);
  }

  /** A status change as the notifier builds it. */
  static Event status(String from, String to) {
    return new Event(from + to, "state", "app", Routing.severityOf(to), to, from, "m", "T", "web-1",
        Instant.EPOCH, new JsonObject());
  }

  static Event flappingStarted(String at) {
    return new Event("fs" + at, "state", "app", "warning", at, null, "flapping: 6 state changes", "FLAPPING app",
        "web-1", Instant.EPOCH, new JsonObject().put("flapping", true));
  }

  static Event flappingStopped(String at) {
    return new Event("fe" + at, "state", "app", Routing.severityOf(at), at, at, "flapping stopped, settled at " + at,
        "T", "web-1", Instant.EPOCH, new JsonObject().put("flappingStopped", true));
  }

  /** The rule, written once more in the words of the docs, independent of the code under test. */
  static Verdict expected(String kind, String to, String open, Set<String> severities, boolean held) {
    String severity = Routing.severityOf(to);
    if ("ok".equals(to) && !"flapping-start".equals(kind)) {
      return open != null ? Verdict.RESOLVE : Verdict.NOTHING; // also unknown → ok: only where announced
    }
    if (held) {
      return Verdict.NOTHING;
    }
    if ("flapping-start".equals(kind)) {
      return open != null || severities.contains("warning") ? Verdict.ALERT : Verdict.NOTHING;
    }
    if ("flapping-stop".equals(kind)) {
      return open != null || severities.contains(severity) ? Verdict.ALERT : Verdict.NOTHING;
    }
    return severities.contains(severity) ? Verdict.ALERT : Verdict.NOTHING;
  }

  static Stream<Arguments> everyTransition() {
    List<Arguments> rows = new ArrayList<>();
    for (Set<String> severities : SEVERITIES) {
      for (String open : OPEN) {
        for (boolean held : List.of(false, true)) {
          for (String from : STATUSES) {
            for (String to : STATUSES) {
              if (!from.equals(to)) {
                rows.add(Arguments.of("status", from, to, open, severities, held));
              }
            }
            rows.add(Arguments.of("flapping-start", "-", from, open, severities, held));
            rows.add(Arguments.of("flapping-stop", "-", from, open, severities, held));
          }
        }
      }
    }
    return rows.stream();
  }

  @ParameterizedTest(name = "{0} {1}→{2}, open {3}, severities {4}, held {5}")
  @MethodSource("everyTransition")
  void eachEventOnEachChannel(String kind, String from, String to, String open, Set<String> severities, boolean held) {
    Event e = switch (kind) {
      case "status" -> status(from, to);
      case "flapping-start" -> flappingStarted(to);
      default -> flappingStopped(to);
    };
    Verdict v = Routing.decide(channel(severities), e, open, held);
    assertThat(v).isEqualTo(expected(kind, to, open, severities, held));
    String after = Routing.after(open, e, v);
    switch (v) {
      case ALERT -> assertThat(after).isEqualTo(e.severity());
      case RESOLVE -> assertThat(after).isNull();
      default -> assertThat(after).isEqualTo(open);
    }
  }

  static Stream<Arguments> everySequence() {
    List<Arguments> rows = new ArrayList<>();
    List<String> steps = new ArrayList<>(STATUSES);
    steps.add("flap");
    for (Set<String> severities : SEVERITIES) {
      for (String a : steps) {
        for (String b : steps) {
          for (String c : steps) {
            rows.add(Arguments.of(List.of(a, b, c), severities));
          }
        }
      }
    }
    return rows.stream();
  }

  /**
   * The promise as a user sees it, for every three-step history ending at ok (a "flap" step is
   * flapping that starts at the current status and stops at the next): each resolution the
   * channel gets ends an alert it got; once the check is ok nothing is open; and the check's
   * first result (unknown → x with nothing told) is never resolved.
   */
  @ParameterizedTest(name = "{0} then ok, severities {1}")
  @MethodSource("everySequence")
  void onceTheCheckIsOkNothingStaysOpenAndNothingUnannouncedIsResolved(List<String> history, Set<String> severities) {
    ChannelConfig ch = channel(severities);
    List<Event> events = new ArrayList<>();
    String status = "unknown";
    boolean flapping = false;
    List<String> path = new ArrayList<>(history);
    path.add("ok");
    for (String step : path) {
      if ("flap".equals(step)) {
        if (!flapping) {
          events.add(flappingStarted(status));
          flapping = true;
        }
        continue;
      }
      if (flapping) {
        events.add(flappingStopped(step)); // status changes while flapping are not sent
        flapping = false;
      } else if (!step.equals(status) || events.isEmpty()) {
        events.add(status(status, step));
      }
      status = step;
    }
    String open = null;
    int alerts = 0;
    for (Event e : events) {
      Verdict v = Routing.decide(ch, e, open, false);
      if (v == Verdict.RESOLVE) {
        assertThat(open).as("a resolution ends something announced").isNotNull();
      }
      if (v == Verdict.ALERT) {
        alerts++;
      }
      open = Routing.after(open, e, v);
    }
    assertThat(open).as("nothing open once ok, after " + events.size() + " events, " + alerts + " alerts").isNull();
  }

  @Test
  void aResolutionWhoseAlertWasNeverDeliveredIsLone() {
    Event critical = status("ok", "critical");
    Event ok = status("critical", "ok");
    // The alert was given up: only its resolution is left in the queue.
    assertThat(Routing.lone(Map.of(), List.of(ok))).containsExactly(0);
    // Queued behind its alert, or ending a delivered alert: sent.
    assertThat(Routing.lone(Map.of(), List.of(critical, ok))).isEmpty();
    assertThat(Routing.lone(Map.of("app", "critical"), List.of(ok))).isEmpty();
    assertThat(Routing.fold(Map.of(), List.of(critical))).isEqualTo(Map.of("app", "critical"));
    assertThat(Routing.fold(Map.of("app", "critical"), List.of(ok))).isEmpty();
  }

  static Event daemon(String step, String severity) {
    return new Event(step, "daemon", null, severity, "ok", null, step, step, "web-1", Instant.EPOCH,
        new JsonObject().put("step", step));
  }

  @Test
  void theJournalWritableAgainEndsJournalFailedWhereItWasAnnounced() {
    ChannelConfig ops = channel(Set.of("warning", "critical"));
    Event failed = daemon("journal-failed", "critical");
    Event writable = daemon("journal-writable", "info");
    assertThat(Routing.subject(failed)).isEqualTo("daemon:journal").isEqualTo(Routing.subject(writable));
    assertThat(Routing.decide(ops, failed, null, false)).isEqualTo(Verdict.ALERT);
    assertThat(Routing.decide(ops, writable, "critical", false)).isEqualTo(Verdict.RESOLVE);
    assertThat(Routing.decide(ops, writable, null, false)).isEqualTo(Verdict.NOTHING);
    assertThat(Routing.decide(channel(Set.of("info")), writable, null, false)).isEqualTo(Verdict.INFORM);
    assertThat(Routing.decide(ops, daemon("reloaded", "info"), "warning", false)).isEqualTo(Verdict.RESOLVE);
    assertThat(Routing.decide(ops, daemon("stopping", "info"), null, false)).isEqualTo(Verdict.NOTHING);
    // Alertmanager ends the MedicDaemon alert journal-failed raised.
    JsonObject end = AlertmanagerChannel.alerts(List.of(writable), Map.of(), java.util.Optional.empty()).getJsonObject(0);
    assertThat(end.getJsonObject("labels").getString("alertname")).isEqualTo("MedicDaemon");
    assertThat(end.getJsonObject("labels").getString("severity")).isEqualTo("critical");
    assertThat(end.getString("endsAt")).isEqualTo(Instant.EPOCH.toString());
    JsonObject raised = AlertmanagerChannel.alerts(List.of(failed), Map.of(), java.util.Optional.empty()).getJsonObject(0);
    assertThat(raised.getJsonObject("labels")).isEqualTo(end.getJsonObject("labels"));
  }

  @Test
  void alertmanagerEndsTheCheckAlertWhateverSeverityWasAnnounced() {
    // Flapping was announced as a warning; the check then leaves critical for ok.
    Event ok = status("critical", "ok");
    var alerts = AlertmanagerChannel.alerts(List.of(ok), Map.of(), java.util.Optional.empty());
    List<String> ended = new ArrayList<>();
    for (int i = 0; i < alerts.size(); i++) {
      JsonObject a = alerts.getJsonObject(i);
      assertThat(a.containsKey("endsAt")).isTrue();
      ended.add(a.getJsonObject("labels").getString("alertname") + "/" + a.getJsonObject("labels").getString("severity"));
    }
    assertThat(ended).contains("MedicCheckFailing/warning", "MedicCheckFailing/critical");
    // unknown was announced as a warning event: its end covers that label set too.
    Map<String, String> seen = new HashMap<>();
    var fromUnknown = AlertmanagerChannel.alerts(List.of(status("unknown", "ok")), Map.of(), java.util.Optional.empty());
    for (int i = 0; i < fromUnknown.size(); i++) {
      seen.put(fromUnknown.getJsonObject(i).getJsonObject("labels").getString("severity"), "ended");
    }
    assertThat(seen).containsKeys("warning", "critical");
  }
}
