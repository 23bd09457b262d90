package dev.medic.recovery;

import io.vertx.core.Future;
import java.util.List;

/**
 * A {@code type = sequence} action: the names of its steps, in order. The recovery engine runs
 * the steps itself — each under its own timeout and journaled as a {@code step} record — since
 * they are other configured actions and only the engine holds those; {@link #run} is therefore
 * never called by it and says so when something else does.
 */
public final class SequenceAction implements Action {

  private final String name;
  private final List<String> steps;

  SequenceAction(String name, List<String> steps) {
    this.name = name;
    this.steps = List.copyOf(steps);
  }

  /** The names of the actions this sequence runs, in order. */
  public List<String> steps() {
    return steps;
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    return Future.failedFuture(new IllegalStateException("the sequence " + name
        + " runs its steps inside the recovery engine only"));
  }

  @Override
  public String describe() {
    return "sequence " + String.join(", then ", steps);
  }
}
