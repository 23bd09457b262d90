package dev.medic.recovery;

import dev.medic.process.BoundedProcess;
import dev.medic.process.BoundedProcess.Capture;
import dev.medic.process.BoundedProcess.Result;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code systemctl [--user] OPERATION UNIT}, then {@code systemctl [--user] is-active UNIT}: the
 * attempt succeeds only when both exit 0. Without {@code --no-block} systemctl waits until the job
 * has finished, so the first step takes as long as the restart does; both steps share the one
 * deadline of the action, and each runs as a {@link BoundedProcess}.
 */
final class SystemdAction implements Action {

  /** The operations offered, and how a message says each was done. */
  enum Operation {
    RESTART("restart", "restarted"),
    RELOAD("reload", "reloaded"),
    START("start", "started"),
    TRY_RESTART("try-restart", "restarted if it was running");

    final String verb;
    final String done;

    Operation(String verb, String done) {
      this.verb = verb;
      this.done = done;
    }
  }

  private final Vertx vertx;
  private final Duration timeout;
  private final String unit;
  private final Operation operation;
  private final List<String> operate;
  private final List<String> isActive;
  private final Map<String, String> environment;

  SystemdAction(ActionContext context, String systemctl, boolean user, String unit, Operation operation,
      Map<String, String> environment) {
    this.vertx = context.vertx();
    this.timeout = context.timeout();
    this.unit = unit;
    this.operation = operation;
    this.operate = argv(systemctl, user, operation.verb, unit);
    this.isActive = argv(systemctl, user, "is-active", unit);
    this.environment = Map.copyOf(environment);
  }

  private static List<String> argv(String systemctl, boolean user, String verb, String unit) {
    List<String> argv = new ArrayList<>();
    argv.add(systemctl);
    if (user) {
      argv.add("--user");
    }
    argv.add(verb);
    argv.add(unit);
    return List.copyOf(argv);
  }

  @Override
  public Future<ActionOutcome> run(String check) {
    long deadline = System.nanoTime() + timeout.toNanos();
    StringBuilder output = new StringBuilder();
    return step(operate, timeout, output).compose(done -> {
      Result r = done;
      if (!r.succeeded()) {
        return Future.succeededFuture(failed(ProcessText.argv(operate) + " failed: " + why(r, timeout), output));
      }
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      if (left.isNegative() || left.isZero()) {
        return Future.succeededFuture(failed(ProcessText.argv(operate) + " " + ProcessText.timedOut(timeout), output));
      }
      return step(isActive, left, output).map(active -> {
        if (active.succeeded()) {
          String state = ProcessText.firstLine(active.stdout());
          return new ActionOutcome(true, unit + " " + operation.done + ", " + (state.isEmpty() ? "active" : state),
              output.toString());
        }
        String state = !active.started() || active.timedOut() ? why(active, left) : ProcessText.exit(active);
        return failed(unit + " is not active after " + operation.verb + ": " + state, output);
      });
    });
  }

  /** Runs one systemctl command and appends what it printed, under the command, to {@code output}. */
  private Future<Result> step(List<String> argv, Duration within, StringBuilder output) {
    return new BoundedProcess(argv, environment, Optional.empty(), Capture.merged(ProcessText.OUTPUT_LIMIT / 2))
        .run(vertx, within)
        .onSuccess(r -> {
          output.append("$ ").append(ProcessText.argv(argv)).append('\n');
          String text = ProcessText.output(r.stdout());
          if (!text.isEmpty()) {
            output.append(text).append(text.endsWith("\n") ? "" : "\n");
          }
        });
  }

  private static String why(Result r, Duration within) {
    if (r.refusal().isPresent()) {
      return r.refusal().get();
    }
    return r.timedOut() ? ProcessText.timedOut(within) : ProcessText.exit(r);
  }

  private static ActionOutcome failed(String message, StringBuilder output) {
    return new ActionOutcome(false, message, output.toString());
  }

  @Override
  public String describe() {
    return ProcessText.argv(operate) + " && " + ProcessText.argv(isActive);
  }
}
