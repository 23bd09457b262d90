package dev.medic.recovery;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Attempts per (check, action) since each check's budget was last reset, and which checks are
 * "recovery exhausted". Built by replaying the journal at start and kept current as records are
 * written, so a restart of medic resets nothing. Plain Java, used on one event loop only.
 */
public final class Ledger {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Ledger.class);

  private final Map<String, Map<String, List<Attempt>>> attempts = new HashMap<>();
  private final Set<String> exhausted = new HashSet<>();

  /**
   * Replays journal records in order. A record that cannot be applied (edited by hand, a field
   * missing) is skipped with a warning: one bad line must not keep medic from starting.
   */
  public static Ledger replay(List<JsonObject> records) {
    Ledger l = new Ledger();
    for (JsonObject r : records) {
      try {
        l.apply(r);
      } catch (RuntimeException e) {
        log.atWarn().addKeyValue("check", r.getValue("check")).addKeyValue("kind", r.getValue("kind"))
            .addKeyValue("error", String.valueOf(e)).log("journal record skipped: it does not read as its kind");
      }
    }
    return l;
  }

  /** Applies one journal record (the same records the engine writes). */
  public void apply(JsonObject r) {
    String check = r.getString("check");
    String kind = r.getString("kind", "");
    if (check == null) {
      return;
    }
    switch (kind) {
      case JournalKinds.ATTEMPT_STARTED -> attempts(check, r.getString("action"))
          // Counted when it starts: a crash mid-action must not hand the attempt back.
          .add(new Attempt(Instant.parse(r.getString("ts")), Attempt.Outcome.FAILURE));
      case JournalKinds.ATTEMPT -> {
        List<Attempt> list = attempts(check, r.getString("action"));
        Attempt done = new Attempt(Instant.parse(r.getString("ts")), Attempt.Outcome.parse(r.getString("outcome")));
        if (!list.isEmpty() && r.getBoolean("started", false)) {
          list.set(list.size() - 1, new Attempt(list.get(list.size() - 1).at(), done.outcome()));
        } else {
          list.add(done);
        }
      }
      case JournalKinds.EXHAUSTED -> exhausted.add(check);
      case JournalKinds.RESET, JournalKinds.BUDGET_RESET -> {
        attempts.remove(check);
        exhausted.remove(check);
      }
      case JournalKinds.STATE -> {
        if ("ok".equals(r.getString("to"))) {
          exhausted.remove(check);
        }
      }
      default -> {
        // Other records (suppressed, maintenance) do not touch budgets.
      }
    }
  }

  public List<Attempt> attempts(String check, String action) {
    return attempts.computeIfAbsent(check, c -> new HashMap<>()).computeIfAbsent(action, a -> new ArrayList<>());
  }

  public boolean exhausted(String check) {
    return exhausted.contains(check);
  }

  /** True when any action has attempts recorded for {@code check} since its last reset. */
  public boolean hasAttempts(String check) {
    Map<String, List<Attempt>> m = attempts.get(check);
    return m != null && m.values().stream().anyMatch(l -> !l.isEmpty());
  }
}
