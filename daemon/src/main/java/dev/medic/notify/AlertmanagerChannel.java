package dev.medic.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Posts a batch to Alertmanager's {@code /api/v2/alerts} as one request: Alertmanager then groups,
 * silences, inhibits and routes as configured there.
 *
 * <p>Alertmanager holds conditions, not happenings, so only events that start or end a condition
 * become alerts: a check going bad ({@code MedicCheckFailing}), recovery running out of attempts
 * ({@code MedicRecoveryExhausted}), a bad daemon event ({@code MedicDaemon}). Recovery steps and
 * {@code info} events are left out; a batch of nothing else sends nothing.
 *
 * <p>The trap: Alertmanager resolves an alert by itself {@code resolve_timeout} (5m by default)
 * after it was last posted without an {@code endsAt}. A check that stays bad must therefore be
 * posted again before that — the notifier does so, sending a repeat event every {@code
 * repeat-interval}, which must be shorter than Alertmanager's {@code resolve_timeout}. A resolution
 * is posted with {@code endsAt} and the labels of the alert it ends, so it ends that very alert.
 */
public final class AlertmanagerChannel implements Channel {

  /** The API path appended to the configured base URL. */
  static final String PATH = "/api/v2/alerts";

  static final String CHECK_FAILING = "MedicCheckFailing";
  static final String RECOVERY_EXHAUSTED = "MedicRecoveryExhausted";
  static final String DAEMON = "MedicDaemon";

  private final Config config;
  private final HttpDelivery delivery;

  AlertmanagerChannel(Config config, ChannelContext context) {
    this.config = config;
    this.delivery = new HttpDelivery(context.vertx(), context.timeout(), config.trustAny());
  }

  /**
   * One Alertmanager channel, validated.
   *
   * @param alerts the {@value #PATH} endpoint; empty when the configured url was invalid
   * @param labels static labels added to every alert (never one medic sets)
   * @param generatorUrl the alerts' {@code generatorURL}, e.g. medic's /status page
   */
  record Config(Optional<Endpoint> alerts, Map<String, String> labels, Optional<String> generatorUrl,
      boolean trustAny) {}

  @Override
  public Future<Void> send(List<Event> batch) {
    JsonArray alerts = alerts(batch, config.labels(), config.generatorUrl());
    if (alerts.isEmpty()) {
      return Future.succeededFuture();
    }
    if (config.alerts().isEmpty()) {
      return Future.failedFuture(new DeliveryFailure("url is not valid (run medic check for the cause)"));
    }
    return delivery.post(config.alerts().get(), Map.of(), alerts.toBuffer());
  }

  @Override
  public Future<Void> close() {
    return delivery.close();
  }

  /** The alerts posted for {@code batch}, in the order of its events. */
  static JsonArray alerts(List<Event> batch, Map<String, String> extraLabels, Optional<String> generatorUrl) {
    JsonArray out = new JsonArray();
    for (Event e : batch) {
      boolean bad = "critical".equals(e.severity()) || "warning".equals(e.severity());
      switch (e.kind() == null ? "" : e.kind()) {
        case "state" -> {
          if (e.resolved()) {
            // Ends the alert the check raised, whose severity was that of the status it leaves,
            // and a recovery-exhausted alert if there was one (ending none is harmless).
            out.add(alert(e, CHECK_FAILING, severityOf(e.previous()), true, extraLabels, generatorUrl));
            out.add(alert(e, RECOVERY_EXHAUSTED, "critical", true, extraLabels, generatorUrl));
          } else if (bad) {
            out.add(alert(e, CHECK_FAILING, e.severity(), false, extraLabels, generatorUrl));
            String before = severityOf(e.previous());
            if (isBad(e.previous()) && !before.equals(e.severity())) {
              // critical → warning is another label set: end the old one rather than leave it
              // firing until resolve_timeout.
              out.add(alert(e, CHECK_FAILING, before, true, extraLabels, generatorUrl));
            }
          }
        }
        case "recovery" -> {
          if (bad && exhausted(e)) {
            out.add(alert(e, RECOVERY_EXHAUSTED, e.severity(), false, extraLabels, generatorUrl));
          }
        }
        case "daemon" -> {
          if (bad) {
            out.add(alert(e, DAEMON, e.severity(), false, extraLabels, generatorUrl));
          }
        }
        default -> {
          // A kind this channel does not know is no condition it can end later: left out.
        }
      }
    }
    return out;
  }

  /**
   * The {@code severity} label a status raised: {@code warning} for warning, {@code critical} for
   * critical and for {@code unknown} (a check that cannot be judged is treated as failing).
   */
  static String severityOf(String status) {
    return "warning".equals(status) ? "warning" : "critical";
  }

  private static boolean isBad(String status) {
    return "warning".equals(status) || "critical".equals(status) || "unknown".equals(status);
  }

  /** A recovery event that reports the budget ran out ({@code details.event = exhausted}). */
  static boolean exhausted(Event e) {
    return e.details() != null && ("exhausted".equals(e.details().getString("event"))
        || "exhausted".equals(e.details().getString("step")));
  }

  private static JsonObject alert(Event e, String alertname, String severity, boolean ended,
      Map<String, String> extraLabels, Optional<String> generatorUrl) {
    Map<String, Object> labels = new LinkedHashMap<>();
    labels.put("alertname", alertname);
    if (e.check() != null && !e.check().isEmpty()) {
      labels.put("check", e.check());
    }
    labels.put("severity", severity);
    boolean hasInstance = e.instance() != null && !e.instance().isEmpty();
    // A shared check is one thing watched by the whole fleet: without the instance among its
    // labels, the same alert from any instance is one alert to Alertmanager's de-duplication.
    boolean shared = e.details() != null && "shared".equals(e.details().getString("scope"));
    if (hasInstance && !shared) {
      labels.put("instance", e.instance());
    }
    // Configuration keeps these from naming a label medic sets.
    extraLabels.forEach(labels::putIfAbsent);
    JsonObject annotations = new JsonObject()
        .put("summary", Summary.oneLine(e.title()))
        .put("description", e.message() == null ? "" : e.message());
    if (hasInstance && shared) {
      annotations.put("instance", e.instance());
    }
    JsonObject alert = new JsonObject()
        .put("labels", new JsonObject(labels))
        .put("annotations", annotations)
        .put("startsAt", e.at().toString());
    if (ended) {
      alert.put("endsAt", e.at().toString());
    }
    generatorUrl.ifPresent(u -> alert.put("generatorURL", u));
    return alert;
  }
}
