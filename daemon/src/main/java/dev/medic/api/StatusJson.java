package dev.medic.api;

import dev.medic.evaluate.CheckState;
import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.schedule.CheckRuntime;
import dev.medic.schedule.LiveChecks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.medic.recovery.Maintenance;

/** Builds the {@code /status} document of DESIGN §7 from the live checks. */
public final class StatusJson {

  private StatusJson() {}

  /** What {@code /status} adds from recovery: per-check views, recent attempts, maintenance. */
  public interface Recovery {
    JsonObject view(String check);

    List<JsonObject> recent();

    Optional<Maintenance.Window> maintenance(String check);

    List<Maintenance.Window> windows();

    /** Whether the journal takes writes (writable, failingSince, lastError...); null when unknown. */
    default JsonObject journal() {
      return null;
    }
  }

  public static JsonObject overall(String instance, LiveChecks live, Recovery recovery) {
    JsonArray checks = new JsonArray();
    for (CheckRuntime c : live.all()) {
      checks.add(check(c, live, recovery));
    }
    JsonArray windows = new JsonArray();
    for (Maintenance.Window w : recovery.windows()) {
      windows.add(w.toJson());
    }
    return new JsonObject()
        .put("status", live.overall().label())
        .put("instance", instance)
        .put("ready", live.ready())
        .put("checks", checks)
        .put("actions", new JsonArray(List.copyOf(recovery.recent())))
        .put("maintenance", windows)
        .put("journal", recovery.journal());
  }

  public static JsonObject check(CheckRuntime c, LiveChecks live, Recovery recovery) {
    CheckState s = c.state();
    ProbeResult r = s.lastResult();
    JsonObject measurements = new JsonObject();
    if (r != null) {
      for (Map.Entry<String, Measurement> e : r.measurements().entrySet()) {
        Measurement m = e.getValue();
        measurements.put(e.getKey(), new JsonObject()
            .put("value", m.value())
            .put("unit", m.unit().name().toLowerCase(Locale.ROOT))
            .put("text", m.formatted()));
      }
    }
    JsonArray history = new JsonArray();
    for (double v : c.latencyHistory()) {
      history.add(Math.round(v * 1e4) / 10.0);
    }
    return new JsonObject()
        .put("name", c.name())
        .put("type", c.config().type())
        .put("description", c.config().description().isEmpty() ? null : c.config().description())
        .put("status", s.status().label())
        .put("lastStatus", s.lastStatus().label())
        .put("message", r == null ? "not probed yet" : r.message())
        .put("since", s.since().toString())
        .put("lastRun", s.lastRun() == null ? null : s.lastRun().toString())
        .put("latencyMs", r == null || r.latency() == null ? null : Math.round(r.latency().toNanos() / 1e5) / 10.0)
        .put("latencyHistoryMs", history)
        .put("measurements", measurements)
        .put("consecutive", s.consecutive())
        .put("pending", s.pending())
        .put("flapping", s.flapping())
        .put("suppressedBy", new JsonArray(live.suppressedBy(c.name())))
        .put("dependsOn", new JsonArray(c.config().dependsOn()))
        .put("maintenance", recovery.maintenance(c.name()).map(Maintenance.Window::toJson).orElse(null))
        .put("recovery", recovery.view(c.name()));
  }
}
