package dev.medic.recovery;

import dev.medic.evaluate.CheckState;
import io.vertx.core.Future;

/** Probes a check now, outside its schedule — how the engine verifies an action's effect. */
public interface CheckRunner {

  Future<CheckState> runNow(String check);
}
