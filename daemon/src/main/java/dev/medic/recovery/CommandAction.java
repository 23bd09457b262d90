package dev.medic.recovery;

import dev.medic.process.BoundedProcess;
import dev.medic.process.BoundedProcess.Capture;
import dev.medic.process.BoundedProcess.Result;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a program without a shell as a {@link BoundedProcess}: its environment is the allow-list
 * plus {@code env} and nothing else, on the deadline its whole process tree is killed, after a
 * normal exit what it left running in its group is ended, and its
 * stdout and stderr, interleaved, are kept up to {@value ProcessText#OUTPUT_LIMIT} bytes.
 *
 * <p>Exit status 0 is success; anything else, a timeout, or a program that cannot be started is a
 * failed outcome, never a failed future.
 */
final class CommandAction implements Action {

  private final Vertx vertx;
  private final Duration timeout;
  private final List<String> command;
  private final BoundedProcess process;

  /** @param environment the program's whole environment */
  CommandAction(ActionContext context, List<String> command, Map<String, String> environment, Optional<Path> workdir) {
    this.vertx = context.vertx();
    this.timeout = context.timeout();
    this.command = List.copyOf(command);
    this.process = new BoundedProcess(command, environment, workdir, Capture.merged(ProcessText.OUTPUT_LIMIT));
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    return process.run(vertx, timeout).map(this::outcome);
  }

  private ActionOutcome outcome(Result result) {
    if (result.refusal().isPresent()) {
      return ActionOutcome.failed(result.refusal().get());
    }
    String output = ProcessText.output(result.stdout());
    if (result.timedOut()) {
      return new ActionOutcome(false, ProcessText.timedOut(timeout) + ProcessText.flood(result.stdout()), output);
    }
    return new ActionOutcome(result.exitStatus() == 0, ProcessText.exit(result) + ProcessText.flood(result.stdout()),
        output);
  }

  /** A run still going when the action is replaced or medic stops is ended with its group. */
  @Override
  public Future<Void> close() {
    return process.close(vertx);
  }

  @Override
  public String describe() {
    return ProcessText.argv(command);
  }
}
