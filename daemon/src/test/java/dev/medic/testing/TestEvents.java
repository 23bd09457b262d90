package dev.medic.testing;

import dev.medic.notify.Event;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Events as the notifier makes them, for channel tests. */
public final class TestEvents {

  /** A fixed moment, so payloads compare exactly. */
  public static final Instant AT = Instant.parse("2025-03-01T12:00:00Z");

  private TestEvents() {}

  /** {@code check} went from ok to critical, with a latency measurement in its details. */
  public static Event critical(String id, String check) {
    return critical(id, check, AT);
  }

  public static Event critical(String id, String check, Instant at) {
    String message = "connect 127.0.0.1:3000 refused";
    return new Event(id, "state", check, "critical", "critical", "ok", message,
        "CRITICAL " + check + ": " + message, "web-1", at,
        new JsonObject().put("measurements", new JsonObject()
            .put("latency", new JsonObject().put("value", 2.5).put("unit", "seconds").put("text", "2.5s"))));
  }

  public static Event warning(String id, String check) {
    String message = "disk / 85% used ≥ warning 80%";
    return new Event(id, "state", check, "warning", "warning", "ok", message, "WARNING " + check + ": " + message,
        "web-1", AT, new JsonObject());
  }

  /** {@code check} is back to ok from {@code previous}. */
  public static Event resolved(String id, String check, String previous, Instant at) {
    String message = "GET http://127.0.0.1:3000/health → 200 in 3 ms";
    return new Event(id, "state", check, "ok", "ok", previous, message, "OK " + check + ": " + message,
        "web-1", at, new JsonObject());
  }

  public static Event resolved(String id, String check) {
    return resolved(id, check, "critical", AT.plusSeconds(60));
  }

  /** The daemon started: an {@code info} event with no check. */
  public static Event daemonStarted(String id) {
    return new Event(id, "daemon", null, "info", "ok", null, "medic 0.1.0 started with 3 checks",
        "medic started", "web-1", AT, new JsonObject());
  }

  /** Recovery of {@code check} ran out of attempts. */
  public static Event exhausted(String id, String check) {
    String message = "recovery exhausted: 3 attempts of restart-app within 30m";
    return new Event(id, "recovery", check, "critical", "critical", null, message,
        "CRITICAL " + check + ": " + message, "web-1", AT,
        new JsonObject().put("event", "exhausted").put("action", "restart-app").put("attempt", 3));
  }
}
