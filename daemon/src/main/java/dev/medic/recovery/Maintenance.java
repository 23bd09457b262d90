package dev.medic.recovery;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maintenance windows: until their end, the named checks (or all, when none are named) run no
 * actions and send no notifications; their status is still probed and reported. Read from the
 * API's threads and the engine's, hence the concurrent map.
 */
public final class Maintenance {

  /** One window. {@code checks} empty means every check. */
  public record Window(String id, Set<String> checks, Instant until, String reason) {

    public boolean covers(String check, Instant now) {
      return now.isBefore(until) && (checks.isEmpty() || checks.contains(check));
    }

    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("checks", new JsonArray(List.copyOf(checks)))
          .put("until", until.toString()).put("reason", reason);
    }

    public static Window fromJson(JsonObject j) {
      List<String> checks = new ArrayList<>();
      j.getJsonArray("checks", new JsonArray()).forEach(c -> checks.add(String.valueOf(c)));
      return new Window(j.getString("id"), Set.copyOf(checks), Instant.parse(j.getString("until")),
          j.getString("reason", ""));
    }
  }

  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  public void add(Window w) {
    windows.put(w.id(), w);
  }

  public Optional<Window> remove(String id) {
    return Optional.ofNullable(windows.remove(id));
  }

  /** The window that covers {@code check} now, if any (the one that ends last). */
  public Optional<Window> covering(String check, Instant now) {
    Window best = null;
    for (Window w : windows.values()) {
      if (w.covers(check, now) && (best == null || w.until().isAfter(best.until()))) {
        best = w;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Windows that have not ended, after dropping those that have. */
  public Collection<Window> active(Instant now) {
    windows.values().removeIf(w -> !now.isBefore(w.until()));
    return List.copyOf(windows.values());
  }
}
