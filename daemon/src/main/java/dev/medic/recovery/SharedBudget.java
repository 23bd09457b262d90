package dev.medic.recovery;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The lease and budget keys of a shared action, and its attempts as the lease backend keeps them:
 * {@code {ts, outcome, instance, token}} records, where {@code outcome = started} until the
 * attempt has finished. Plain functions, so that every instance reads a budget the same way.
 */
final class SharedBudget {

  static final String STARTED = "started";
  /** An attempt recorded as started whose start this instance could not journal: it never ran, and counts for nothing. */
  static final String NOT_RUN = "not-run";

  private SharedBudget() {}

  /** One lease per action and target: two instances may not restart the same thing at once. */
  static String leaseKey(String action, String check) {
    return "action/" + action + "/" + check;
  }

  static String budgetKey(String action, String check) {
    return "budget/" + action + "/" + check;
  }

  /**
   * Attempts for {@link Budget#decide}: one still "started" counts as a failure, like a journaled
   * attempt-started without its end — an instance that died mid-action must not hand it back.
   */
  static List<Attempt> attempts(List<JsonObject> records) {
    List<Attempt> out = new ArrayList<>(records.size());
    for (JsonObject r : records) {
      String outcome = r.getString("outcome", STARTED);
      if (NOT_RUN.equals(outcome)) {
        continue;
      }
      out.add(new Attempt(Instant.parse(r.getString("ts")),
          STARTED.equals(outcome) ? Attempt.Outcome.FAILURE : Attempt.Outcome.parse(outcome)));
    }
    return out;
  }

  static JsonObject record(Instant started, String outcome, String instance, long token) {
    return new JsonObject().put("ts", started.toString()).put("outcome", outcome).put("instance", instance)
        .put("token", token);
  }
}
