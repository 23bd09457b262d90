package dev.medic.notify;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One thing worth telling people: a check's state change (including resolution back to ok), a
 * recovery step, or the daemon starting or stopping. Immutable; {@link #id} is stable — derived
 * from what happened, not from when it was sent — so receivers can de-duplicate redeliveries.
 *
 * @param kind {@code state}, {@code recovery} or {@code daemon}
 * @param severity {@code critical}, {@code warning}, {@code ok} (a resolution) or {@code info}
 * @param status the check's status after the event ({@code ok}, {@code warning}, {@code critical},
 *     {@code unknown}); for daemon events the overall status
 * @param previous the status before a state change, else null
 * @param title one line: {@code CRITICAL app: connect 127.0.0.1:3000 refused}
 * @param details event-specific fields (measurements, action, attempt, repeat …), may be empty
 */
public record Event(
    String id,
    String kind,
    String check,
    String severity,
    String status,
    String previous,
    String message,
    String title,
    String instance,
    Instant at,
    JsonObject details) {

  /** True for a state change back to ok from a bad state. */
  public boolean resolved() {
    return "ok".equals(severity) && "state".equals(kind);
  }

  /** The documented JSON form (docs/notifications.md), used by the webhook channel and the outbox. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("kind", kind)
        .put("check", check)
        .put("severity", severity)
        .put("status", status)
        .put("previous", previous)
        .put("message", message)
        .put("title", title)
        .put("instance", instance)
        .put("at", at.toString())
        .put("details", details == null ? new JsonObject() : details);
  }

  public static Event fromJson(JsonObject j) {
    return new Event(j.getString("id"), j.getString("kind"), j.getString("check"), j.getString("severity"),
        j.getString("status"), j.getString("previous"), j.getString("message"), j.getString("title"),
        j.getString("instance"), Instant.parse(j.getString("at")), j.getJsonObject("details", new JsonObject()));
  }
}
