package dev.medic.schedule;

import dev.medic.Bus;
import dev.medic.config.CheckConfig;
import dev.medic.config.MedicConfig;
import dev.medic.config.Problems;
import dev.medic.config.Settings;
import dev.medic.evaluate.CheckState;
import dev.medic.evaluate.Evaluator;
import dev.medic.evaluate.StateChange;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Probe;
import dev.medic.probe.ProbeContext;
import dev.medic.probe.ProbeResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every check on its own timer: the first round at once, spread over {@code startup-spread};
 * later rounds on the check's own phase; every {@code retry-interval} while a change is
 * unconfirmed; at once when a probe reports a dropped connection or exited process. Never two
 * runs of one check at once, and a hard deadline on every probe, so a hung target delays nothing
 * but its own check.
 */
public final class SchedulerVerticle extends VerticleBase implements dev.medic.recovery.CheckRunner {

  private static final Logger log = LoggerFactory.getLogger(SchedulerVerticle.class);
  private static final long HEARTBEAT_MS = 1000;
  /** The heartbeat ticks every second; three missed ticks mean the scheduler's event loop is stuck. */
  public static final long HEARTBEAT_STALE_NANOS = TimeUnit.SECONDS.toNanos(3);

  private volatile MedicConfig config;
  private final LiveChecks live;
  private final MedicMetrics metrics;
  private final Clock clock;
  private final Map<String, CheckRuntime> checks = new LinkedHashMap<>();
  private volatile long lastHeartbeatNanos = System.nanoTime();
  private long heartbeatTimer = -1;
  private MessageConsumer<String> reprobeConsumer;

  public SchedulerVerticle(MedicConfig config, LiveChecks live, MedicMetrics metrics, Clock clock) {
    this.config = config;
    this.live = live;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    Instant now = clock.instant();
    for (CheckConfig c : config.checks().values()) {
      checks.put(c.name(), added(c, now));
    }
    live.replace(checks);
    reprobeConsumer = vertx.eventBus().consumer(Bus.REPROBE, msg -> reprobe(msg.body()));
    heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MS, id -> lastHeartbeatNanos = System.nanoTime());

    firstRound(List.copyOf(checks.values()));
    log.atInfo().addKeyValue("checks", checks.size()).addKeyValue("source", config.source()).log("scheduler started");
    return reprobeConsumer.completion();
  }

  private CheckRuntime added(CheckConfig c, Instant now) {
    return added(c, newProbe(c), now);
  }

  private CheckRuntime added(CheckConfig c, Probe probe, Instant now) {
    CheckRuntime rt = new CheckRuntime(c, probe, now);
    metrics.addCheck(c.name(), c.type(), () -> rt.state().status());
    return rt;
  }

  private Probe newProbe(CheckConfig c) {
    return c.probeType().create(new Settings(c.raw(), c.path(), c.raw().origin(), new Problems(config.source())),
        ProbeContext.live(vertx, c.name(), c.timeout()));
  }

  /** Starts checks at once, spread evenly over startup-spread so that they do not fire together. */
  private void firstRound(List<CheckRuntime> starting) {
    long spreadNanos = config.startupSpread().toNanos();
    int n = starting.size();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      CheckRuntime rt = starting.get(i);
      rt.anchorNanos = start + (n <= 1 ? 0 : spreadNanos * i / n);
      schedule(rt, rt.anchorNanos);
    }
  }

  /**
   * Applies a reloaded configuration (DESIGN: a reload swaps a whole validated config). A check
   * whose probe would be the same keeps its probe, state and phase and only takes the new rules;
   * one whose probe changed gets a new probe but keeps its state and phase; one whose type changed
   * starts over like an added one; removed ones stop and close their probe once any run in flight
   * has finished. Completes when the new set is live.
   */
  public Future<ReloadedChecks> reconfigure(MedicConfig next) {
    Promise<ReloadedChecks> done = Promise.promise();
    context.runOnContext(v -> {
      Instant now = clock.instant();
      List<String> added = new ArrayList<>();
      List<String> changed = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      Map<String, CheckRuntime> nextChecks = new LinkedHashMap<>();
      List<CheckRuntime> starting = new ArrayList<>();
      MedicConfig previous = config;
      config = next;
      for (CheckConfig c : next.checks().values()) {
        CheckRuntime rt = checks.get(c.name());
        try {
          if (rt == null || !rt.config.type().equals(c.type())) {
            // New, or the same name with a new type: reported as changed, though it starts over.
            // The new probe is built first: when it cannot be, the old check keeps running.
            Probe probe = newProbe(c);
            if (rt != null) {
              retire(rt);
            }
            rt = added(c, probe, now);
            (checks.containsKey(c.name()) ? changed : added).add(c.name());
            starting.add(rt);
          } else if (!rt.config.sameSettings(c)) {
            retune(rt, c);
            changed.add(c.name());
          }
        } catch (RuntimeException | LinkageError e) {
          // A probe that cannot be built now (its plug-in failing at run time) must not leave the
          // reload unfinished, nor stop the other checks: this one keeps what it had, or waits.
          log.atError().addKeyValue("check", c.name()).addKeyValue("error", String.valueOf(e)).setCause(e)
              .log(rt == null ? "could not start the check's probe; the check is left out until the next reload"
                  : "could not build the check's new probe; it keeps running with its previous settings");
          metrics.loopError("probe");
          if (rt == null) {
            continue;
          }
        }
        nextChecks.put(c.name(), rt);
      }
      for (CheckRuntime rt : checks.values()) {
        if (!next.checks().containsKey(rt.name())) {
          removed.add(rt.name());
          retire(rt);
        }
      }
      checks.clear();
      checks.putAll(nextChecks);
      live.replace(checks);
      firstRound(starting);
      log.atInfo().addKeyValue("checks", checks.size()).addKeyValue("added", added.size())
          .addKeyValue("changed", changed.size()).addKeyValue("removed", removed.size())
          .addKeyValue("source", next.source()).addKeyValue("previous", previous.source()).log("checks reloaded");
      done.complete(new ReloadedChecks(added, changed, removed));
    });
    return done.future();
  }

  /** What a reload did to the checks, by name. */
  public record ReloadedChecks(List<String> added, List<String> changed, List<String> removed) {}

  /** A check that stays with new settings: state and phase are kept; the timer moves only if the interval did. */
  private void retune(CheckRuntime rt, CheckConfig c) {
    CheckConfig old = rt.config;
    if (!old.sameProbe(c)) {
      Probe oldProbe = rt.probe;
      rt.probe = newProbe(c);
      closeWhenIdle(rt, oldProbe);
    }
    rt.config = c;
    if (!old.interval().equals(c.interval()) && !rt.running && !rt.state().unconfirmed()) {
      vertx.cancelTimer(rt.timerId);
      schedule(rt, nextDue(rt));
    }
  }

  private void retire(CheckRuntime rt) {
    rt.stopped = true;
    vertx.cancelTimer(rt.timerId);
    metrics.removeCheck(rt.name());
    closeWhenIdle(rt, rt.probe);
  }

  /** Closes a probe now, or after the run that is using it has finished. */
  private void closeWhenIdle(CheckRuntime rt, Probe probe) {
    if (rt.running) {
      rt.retiring.add(probe);
    } else {
      guarded(rt, "close a replaced probe", () -> probe.close()
          .onFailure(e -> log.atDebug().addKeyValue("check", rt.name()).log("probe close failed")));
    }
  }

  @Override
  public Future<?> stop() {
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    List<Future<Void>> closing = new ArrayList<>();
    for (CheckRuntime rt : checks.values()) {
      rt.stopped = true;
      vertx.cancelTimer(rt.timerId);
      metrics.removeCheck(rt.name());
      closing.add(rt.probe.close().recover(e -> Future.succeededFuture()));
      for (Probe old : rt.retiring) {
        closing.add(old.close().recover(e -> Future.succeededFuture()));
      }
    }
    live.replace(Map.of());
    return Future.join(closing).mapEmpty().compose(v -> reprobeConsumer.unregister());
  }

  /** Nanosecond tick of the scheduler's heartbeat, for {@code /health}. */
  public long lastHeartbeatNanos() {
    return lastHeartbeatNanos;
  }

  /** True while the heartbeat is fresh: what {@code /health} and the systemd watchdog go by. */
  public boolean ticking() {
    return System.nanoTime() - lastHeartbeatNanos < HEARTBEAT_STALE_NANOS;
  }

  /** Probes a check now (outside its schedule) and returns the state that follows. */
  @Override
  public Future<CheckState> runNow(String name) {
    CheckRuntime rt = checks.get(name);
    if (rt == null) {
      return Future.failedFuture(new IllegalArgumentException("no check named " + name));
    }
    Promise<CheckState> done = Promise.promise();
    context.runOnContext(v -> {
      if (rt.running) {
        rt.reprobeRequested = true;
        done.complete(rt.state());
        return;
      }
      vertx.cancelTimer(rt.timerId);
      run(rt, System.nanoTime()).onComplete(ar -> done.complete(rt.state()));
    });
    return done.future();
  }

  private void reprobe(String name) {
    CheckRuntime rt = checks.get(name);
    if (rt == null || rt.stopped) {
      return;
    }
    log.atDebug().addKeyValue("check", name).log("re-probe requested by the probe");
    if (rt.running) {
      rt.reprobeRequested = true;
    } else {
      vertx.cancelTimer(rt.timerId);
      run(rt, System.nanoTime());
    }
  }

  private void schedule(CheckRuntime rt, long dueNanos) {
    if (rt.stopped) {
      return;
    }
    rt.dueNanos = dueNanos;
    long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(dueNanos - System.nanoTime()));
    rt.timerId = vertx.setTimer(delayMs, id -> {
      long now = System.nanoTime();
      guarded(rt, "record the scheduler lag", () -> metrics.schedulerLag(Duration.ofNanos(now - rt.dueNanos)));
      run(rt, now);
    });
  }

  /**
   * Runs one step of a check's run that must not end its timer chain: an exception is logged at
   * ERROR with the check, counted in {@code medic_loop_errors_total{loop="probe"}}, and the run goes on.
   */
  private boolean guarded(CheckRuntime rt, String what, Runnable step) {
    try {
      step.run();
      return true;
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      log.atError().addKeyValue("check", rt.name()).addKeyValue("error", String.valueOf(e))
          .setCause(e).log("could not " + what + "; the check goes on being probed");
      try {
        metrics.loopError("probe");
      } catch (RuntimeException ignored) {
        // the log line above is the report
      }
      return false;
    }
  }

  private Future<Void> run(CheckRuntime rt, long startedNanos) {
    if (rt.running || rt.stopped) {
      return Future.succeededFuture();
    }
    rt.running = true;
    rt.reprobeRequested = false;
    // ProbeDeadline never throws and always completes; finish() guards each of its steps, so the
    // onComplete below always runs and always schedules the next run.
    return ProbeDeadline.run(vertx, rt.probe, rt.config.type(), rt.config.timeout()).map(result -> {
      guarded(rt, "record the probe's result", () -> finish(rt, result, startedNanos));
      return (Void) null;
    }).onComplete(ar -> {
      rt.running = false;
      for (Probe old : rt.retiring) {
        guarded(rt, "close a replaced probe", () -> old.close()
            .onFailure(e -> log.atDebug().addKeyValue("check", rt.name()).log("probe close failed")));
      }
      rt.retiring.clear();
      if (rt.stopped) {
        return;
      }
      if (rt.reprobeRequested) {
        rt.reprobeRequested = false;
        run(rt, System.nanoTime());
      } else {
        schedule(rt, nextDue(rt));
      }
    });
  }

  private void finish(CheckRuntime rt, ProbeResult result, long startedNanos) {
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    CheckState prev = rt.state();
    Instant now = clock.instant();
    Evaluator.Outcome evaluated;
    try {
      evaluated = Evaluator.apply(rt.name(), rt.config.rules(), prev, result, now);
    } catch (RuntimeException e) {
      // A bug, or a result no rule foresaw: the check must not freeze at its last state. It
      // becomes unknown (medic cannot judge), which is published and alerted like any change.
      log.atError().addKeyValue("check", rt.name()).addKeyValue("error", String.valueOf(e)).setCause(e)
          .log("could not evaluate the probe's result; the check is unknown until a result can be");
      metrics.loopError("probe");
      evaluated = Evaluator.apply(rt.name(), rt.config.rules(), prev,
          ProbeResult.unknown("medic could not evaluate the probe's result: " + e).withLatency(result.latency()), now);
    }
    Evaluator.Outcome outcome = evaluated;
    CheckState next = outcome.state();
    rt.state(next);
    rt.recordLatency(result.latency().toNanos() / 1e9);
    // Publishing first: recovery and the notifier must hear of a change even if a meter fails.
    for (StateChange change : outcome.changes()) {
      guarded(rt, "publish a state change", () -> {
        List<String> suppressedBy = live.suppressedBy(rt.name());
        logChange(rt, change, suppressedBy);
        vertx.eventBus().publish(Bus.STATE, toJson(rt, change, suppressedBy));
      });
    }
    String outcomeLabel = result.message() != null && result.message().startsWith("timed out after")
        ? "timeout" : next.lastResult().status().label();
    guarded(rt, "update the check's metrics", () -> metrics.probed(rt.name(), took, outcomeLabel,
        next.lastResult().measurements()));
    if (next.unconfirmed() && !prev.unconfirmed()) {
      log.atInfo().addKeyValue("check", rt.name()).addKeyValue("status", next.status())
          .addKeyValue("result", next.lastStatus()).addKeyValue("message", next.lastResult().message())
          .log("change unconfirmed, probing every " + ProbeDeadline.human(rt.config.retryInterval()));
    }
  }

  private long nextDue(CheckRuntime rt) {
    long now = System.nanoTime();
    if (rt.state().unconfirmed()) {
      return now + rt.config.retryInterval().toNanos();
    }
    // Keep the check on its own phase: the next multiple of the interval after the anchor.
    long interval = rt.config.interval().toNanos();
    long elapsed = now - rt.anchorNanos;
    long k = elapsed / interval + 1;
    return rt.anchorNanos + k * interval;
  }

  private static void logChange(CheckRuntime rt, StateChange c, List<String> suppressedBy) {
    var event = switch (c.to()) {
      case OK -> log.atInfo();
      case WARNING -> log.atWarn();
      default -> log.atError();
    };
    event = event.addKeyValue("check", c.check()).addKeyValue("type", rt.config.type());
    if (c.kind() == StateChange.Kind.STATUS) {
      event = event.addKeyValue("from", c.from()).addKeyValue("to", c.to());
    }
    if (!suppressedBy.isEmpty()) {
      event = event.addKeyValue("suppressedBy", String.join(",", suppressedBy));
    }
    event.addKeyValue("message", c.message()).log(switch (c.kind()) {
      case STATUS -> "state changed";
      case FLAPPING_STARTED -> "flapping";
      case FLAPPING_STOPPED -> "flapping stopped";
    });
  }

  static JsonObject toJson(CheckRuntime rt, StateChange c, List<String> suppressedBy) {
    return new JsonObject()
        .put("kind", c.kind().name().toLowerCase(java.util.Locale.ROOT))
        .put("check", c.check())
        .put("type", rt.config.type())
        .put("from", c.from().label())
        .put("to", c.to().label())
        .put("message", c.message())
        .put("at", c.at().toString())
        .put("flapping", c.flapping())
        .put("suppressedBy", new JsonArray(suppressedBy));
  }

}
