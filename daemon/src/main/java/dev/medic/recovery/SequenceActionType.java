package dev.medic.recovery;

import dev.medic.config.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code type = sequence}: runs other actions one after the other, as one attempt.
 *
 * <pre>
 * steps   required: names of other actions under medic.actions, run in this order,
 *         e.g. [flush-redis, restart-app]; the first failed step ends the sequence
 * </pre>
 *
 * <p>The policy keys (max-attempts, backoff, cooldown, verify, grace, timeout, dry-run) are the
 * sequence's own, as for any action: the sequence is verified once, after its last step, and its
 * timeout bounds the whole run. Whether the step names exist and form no cycle is checked by the
 * configuration loader, which sees every action.
 */
public final class SequenceActionType implements ActionType {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

  @Override
  public String type() {
    return "sequence";
  }

  @Override
  public Action create(Settings settings, ActionContext context) {
    List<String> steps = settings.strings("steps", null);
    if (steps == null) {
      if (!settings.has("steps")) {
        settings.problem("steps", "missing (expected the names of the actions to run in order, e.g."
            + " [flush-redis, restart-app])");
      }
      return new SequenceAction(context.actionName(), List.of());
    }
    if (steps.isEmpty()) {
      settings.problem("steps", "is empty (expected the names of the actions to run in order, e.g."
          + " [flush-redis, restart-app])");
    }
    List<String> seen = new ArrayList<>();
    for (String step : steps) {
      if (!NAME.matcher(step).matches()) {
        settings.problem("steps", "\"" + step + "\" is not an action name (expected letters, digits, - and _)");
      } else if (seen.contains(step)) {
        settings.problem("steps", "\"" + step + "\" is listed twice (expected each step once)");
      }
      seen.add(step);
    }
    return new SequenceAction(context.actionName(), steps);
  }
}
