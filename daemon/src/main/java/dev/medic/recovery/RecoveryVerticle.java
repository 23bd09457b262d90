package dev.medic.recovery;

import dev.medic.Bus;
import dev.medic.config.ActionConfig;
import dev.medic.config.CheckConfig;
import dev.medic.config.MedicConfig;
import dev.medic.config.Problems;
import dev.medic.config.Settings;
import dev.medic.evaluate.CheckState;
import dev.medic.lease.Acquisition;
import dev.medic.lease.Lease;
import dev.medic.lease.LeaseBackend;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Status;
import dev.medic.schedule.CheckRuntime;
import dev.medic.schedule.LiveChecks;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery engine (DESIGN §5): when a check enters warning or critical, runs its
 * {@code on-warning} / {@code on-critical} actions in order under their policies — budgets,
 * back-off, cooldown, verification — and journals every step before it is published.
 *
 * <p>Nothing runs while the check is flapping, a check it depends on is critical, or it is in
 * maintenance; the engine looks again when that ends. Once a check's attempts are used up it is
 * "recovery exhausted": one critical event, then nothing until it recovers or an operator resets it.
 * All state lives on this verticle's event loop; other threads read {@link #view(String)} copies.
 */
public final class RecoveryVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(RecoveryVerticle.class);
  private static final int RECENT = 50;

  /** Swapped by {@link #reconfigure}; read on this verticle's context (and for the instance name elsewhere). */
  private volatile MedicConfig config;
  private final LiveChecks live;
  private final CheckRunner runner;
  private final Journal journal;
  private final Maintenance maintenance;
  private final MedicMetrics metrics;
  private final Clock clock;
  private final Random random;
  private final Map<String, Action> actions = new LinkedHashMap<>();
  private final Set<String> running = new HashSet<>();
  /** Checks that changed state while their recovery was running: looked at again when it ends. */
  private final Set<String> changedWhileRunning = new HashSet<>();
  private final List<Future<Void>> inFlight = new ArrayList<>();
  private final Map<String, Long> retryTimers = new HashMap<>();
  private final Map<String, Long> stableTimers = new HashMap<>();
  private final Map<String, String> suppressed = new HashMap<>();
  private final Deque<JsonObject> recent = new ArrayDeque<>();
  private volatile Map<String, JsonObject> views = Map.of();
  private volatile List<JsonObject> recentView = List.of();
  private Ledger ledger = new Ledger();
  /** Fleet mode: where shared actions take their lease and keep their budget. */
  private final Optional<LeaseBackend> leases;
  /** Shared budgets as last read from the lease backend, by budget key. */
  private final Map<String, List<Attempt>> sharedAttempts = new HashMap<>();
  /** Checks whose shared action another instance is running (or the backend could not be asked), and why. */
  private final Map<String, String> heldElsewhere = new HashMap<>();
  private MessageConsumer<JsonObject> stateConsumer;
  /** Where medic tells the channels about itself (the journal failing, and writable again). */
  private final Notices notices;
  /** Checks whose recovery cannot go on until the journal takes writes again, and why (for /status). */
  private final Map<String, String> journalWait = new HashMap<>();
  /** Failures in a row of each check's recovery loop (the journal, or a step that broke): the back-off. */
  private final Map<String, Integer> loopFailures = new HashMap<>();
  /** When each check's pending retry timer fires. */
  private final Map<String, Instant> retryAt = new HashMap<>();
  /** Outcome records waiting to be written again, by timer: run at once when the journal is back, or at stop. */
  private final Map<Long, Runnable> rewrites = new HashMap<>();
  /** Checks whose lost state or suppressed record was already logged in the current journal outage. */
  private final Set<String> loggedInOutage = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private boolean stopping;

  /** Tells the channels about medic itself, from any thread (the notifier's daemon events). */
  @FunctionalInterface
  public interface Notices {
    void notice(String step, String severity, String message);
  }

  public RecoveryVerticle(MedicConfig config, LiveChecks live, CheckRunner runner, Journal journal,
      Maintenance maintenance, MedicMetrics metrics, Clock clock, Random random) {
    this(config, live, runner, journal, maintenance, metrics, clock, random, Optional.empty());
  }

  /** @param leases the fleet's lease backend, when {@code medic.cluster.lease} is set */
  public RecoveryVerticle(MedicConfig config, LiveChecks live, CheckRunner runner, Journal journal,
      Maintenance maintenance, MedicMetrics metrics, Clock clock, Random random, Optional<LeaseBackend> leases) {
    this(config, live, runner, journal, maintenance, metrics, clock, random, leases, (step, severity, message) -> {});
  }

  /** @param notices where a journal that cannot be written (and is writable again) is told */
  public RecoveryVerticle(MedicConfig config, LiveChecks live, CheckRunner runner, Journal journal,
      Maintenance maintenance, MedicMetrics metrics, Clock clock, Random random, Optional<LeaseBackend> leases,
      Notices notices) {
    this.notices = notices;
    this.leases = leases;
    this.config = config;
    this.live = live;
    this.runner = runner;
    this.journal = journal;
    this.maintenance = maintenance;
    this.metrics = metrics;
    this.clock = clock;
    this.random = random;
  }

  @Override
  public Future<?> start() {
    for (ActionConfig a : config.actions().values()) {
      actions.put(a.name(), newAction(a));
    }
    journal.watch(new JournalWatcher());
    return journal.readAll().map(records -> {
      ledger = Ledger.replay(records);
      Instant now = clock.instant();
      addConfiguredWindows(now);
      for (JsonObject r : records) {
        try {
          replayed(r, now);
        } catch (RuntimeException e) {
          log.atWarn().addKeyValue("check", r.getValue("check")).addKeyValue("kind", r.getValue("kind"))
              .addKeyValue("error", String.valueOf(e)).log("journal record skipped: it does not read as its kind");
        }
      }
      registerBudgets();
      stateConsumer = vertx.eventBus().consumer(Bus.STATE, msg -> onState(msg.body()));
      publishViews();
      return null;
    });
  }

  /** Maintenance windows and the latest attempts, from one journal record read at start. */
  private void replayed(JsonObject r, Instant now) {
    if (JournalKinds.MAINTENANCE.equals(r.getString("kind"))) {
      if (r.getBoolean("ended", false)) {
        maintenance.remove(r.getString("id"));
      } else {
        Maintenance.Window w = Maintenance.Window.fromJson(r);
        if (w.until().isAfter(now)) {
          maintenance.add(w);
        }
      }
    } else if (r.containsKey("action") && r.getString("kind", "").startsWith("attempt")) {
      remember(r);
    }
  }

  private Action newAction(ActionConfig a) {
    return a.actionType().create(new Settings(a.raw(), a.path(), a.raw().origin(), new Problems(config.source())),
        new ActionContext(vertx, a.name(), a.policy().timeout()));
  }

  private void registerBudgets() {
    for (CheckConfig c : config.checks().values()) {
      for (String a : actionsOf(c)) {
        metrics.recoveryBudget(a, c.name(), () -> remaining(c.name(), a));
      }
    }
  }

  /** Windows written under medic.maintenance that have not ended yet (ids config-N). */
  private void addConfiguredWindows(Instant now) {
    for (Maintenance.Window w : config.maintenance()) {
      if (w.until().isAfter(now)) {
        maintenance.add(w);
        vertx.setTimer(Math.max(1, Duration.between(now, w.until()).toMillis()), id -> endedMaintenance(w));
      }
    }
  }

  /**
   * Applies a reloaded configuration. The ledger (attempts, exhausted checks) is kept: budgets
   * follow check and action names, so a reload neither refills nor forgets them. Changed or new
   * actions are built afresh; replaced ones are closed once no attempt is using them. Every check
   * is looked at again, since its action lists may have changed.
   */
  public Future<Void> reconfigure(MedicConfig next) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      MedicConfig previous = config;
      config = next;
      List<Action> replaced = new ArrayList<>();
      for (ActionConfig a : next.actions().values()) {
        ActionConfig old = previous.actions().get(a.name());
        if (old == null || !sameAction(old, a)) {
          Action before = actions.put(a.name(), newAction(a));
          if (before != null) {
            replaced.add(before);
          }
        }
      }
      for (String name : previous.actions().keySet()) {
        if (!next.actions().containsKey(name)) {
          replaced.add(actions.remove(name));
        }
      }
      // Attempts under way hold their Action; close the old ones when those are done.
      Future.join(List.copyOf(inFlight)).onComplete(ar -> replaced.forEach(a -> a.close()
          .onFailure(e -> log.atDebug().addKeyValue("error", e.getMessage()).log("action close failed"))));
      for (String check : previous.checks().keySet()) {
        if (!next.checks().containsKey(check)) {
          cancelRetry(check);
          cancelStable(check);
          suppressed.remove(check);
          journalWait.remove(check);
          loopFailures.remove(check);
        }
      }
      for (Maintenance.Window w : previous.maintenance()) {
        maintenance.remove(w.id());
      }
      addConfiguredWindows(clock.instant());
      metrics.removeRecoveryBudgets();
      registerBudgets();
      for (CheckConfig c : next.checks().values()) {
        reconsider(c.name());
      }
      publishViews();
      done.complete();
    });
    return done.future();
  }

  private static boolean sameAction(ActionConfig a, ActionConfig b) {
    return a.type().equals(b.type()) && a.raw().equals(b.raw()) && a.policy().equals(b.policy());
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    // Outcomes still waiting for the journal get one last try now, instead of holding up the stop.
    for (Map.Entry<Long, Runnable> r : List.copyOf(rewrites.entrySet())) {
      vertx.cancelTimer(r.getKey());
      rewrites.remove(r.getKey());
      r.getValue().run();
    }
    for (Long t : retryTimers.values()) {
      vertx.cancelTimer(t);
    }
    for (Long t : stableTimers.values()) {
      vertx.cancelTimer(t);
    }
    // Let attempts under way finish and be journaled (the daemon bounds the whole stop).
    return Future.join(List.copyOf(inFlight)).transform(ar -> closeAll());
  }

  private Future<Void> closeAll() {
    metrics.removeRecoveryBudgets();
    List<Future<Void>> closing = new ArrayList<>();
    for (Action a : actions.values()) {
      closing.add(a.close().recover(e -> Future.succeededFuture()));
    }
    Future<Void> unregister = stateConsumer == null ? Future.succeededFuture() : stateConsumer.unregister();
    return Future.join(closing).compose(v -> unregister);
  }

  // ---- what the API calls (from any thread) ------------------------------------------------------

  /** The check's recovery state for {@code /status}, or null when it has no actions. */
  public JsonObject view(String check) {
    return views.get(check);
  }

  /** The {@code journal} object of {@code /status}: writable, or failing since when and why. */
  public JsonObject journalView() {
    return journal.health().toJson(journal.dir().toString());
  }

  /** The latest attempts, newest first, for {@code /status}. */
  public List<JsonObject> recent() {
    return recentView;
  }

  /** Clears an exhausted budget ({@code POST /checks/{name}/reset}) and looks at the check again. */
  public Future<JsonObject> reset(String check) {
    Promise<JsonObject> done = Promise.promise();
    context.runOnContext(v -> {
      boolean wasExhausted = ledger.exhausted(check);
      JsonObject record = record(JournalKinds.RESET, check).put("message", "budget reset by an operator");
      clearSharedBudgets(check).compose(x -> journal.append(record, true)).onComplete(ar -> {
        if (ar.failed()) {
          // Not on disk, so not done: a restart would bring the spent budget back.
          done.fail(new IllegalStateException("the reset could not be done: " + ar.cause().getMessage()));
          return;
        }
        ledger.apply(record);
        publish("reset", check, null, 0, "budget reset by an operator" + (wasExhausted ? " (was exhausted)" : ""),
            false);
        publishViews();
        reconsider(check);
        done.complete(new JsonObject().put("check", check).put("reset", true).put("wasExhausted", wasExhausted));
      });
    });
    return done.future();
  }

  /** Runs an action now for an operator ({@code POST /actions/{name}/run}); bypasses budgets, is journaled. */
  public Future<JsonObject> runAction(String actionName, String check) {
    Promise<JsonObject> done = Promise.promise();
    context.runOnContext(v -> {
      ActionConfig a = config.actions().get(actionName);
      if (a == null) {
        done.fail(new IllegalArgumentException("no action named " + actionName));
        return;
      }
      String forCheck = check == null ? "" : check;
      Future<JsonObject> manual = attempt(forCheck, a, true, null);
      // Held like the engine's attempts: a reload closes a replaced action only after it is done.
      Future<Void> held = manual.<Void>mapEmpty().recover(e -> Future.succeededFuture());
      inFlight.add(held);
      held.onComplete(x -> inFlight.remove(held));
      manual.onComplete(ar -> done.complete(ar.succeeded() ? ar.result()
          : new JsonObject().put("action", actionName).put("outcome", "failure")
              .put("message", String.valueOf(ar.cause().getMessage()))));
    });
    return done.future();
  }

  /** Starts a maintenance window (journaled, so it survives a restart) and returns it. */
  public Future<Maintenance.Window> startMaintenance(Maintenance.Window w) {
    JsonObject record = w.toJson().put("kind", JournalKinds.MAINTENANCE).put("ts", clock.instant().toString())
        .put("instance", config.instance());
    // Journaled first: a window the API confirmed must survive a restart.
    return journal.append(record, true).map(v -> {
      maintenance.add(w);
      vertx.setTimer(Math.max(1, Duration.between(clock.instant(), w.until()).toMillis()), id -> endedMaintenance(w));
      return w;
    });
  }

  /** Ends a window early; empty when there is no such window. */
  public Future<Optional<Maintenance.Window>> endMaintenance(String id) {
    Optional<Maintenance.Window> w = maintenance.remove(id);
    if (w.isEmpty()) {
      return Future.succeededFuture(w);
    }
    JsonObject record = new JsonObject().put("kind", JournalKinds.MAINTENANCE).put("id", id).put("ended", true)
        .put("ts", clock.instant().toString()).put("instance", config.instance());
    return journal.append(record, true).map(v -> {
      context.runOnContext(x -> endedMaintenance(w.get()));
      return w;
    }).onFailure(e -> maintenance.add(w.get())); // not ended on disk, so not ended: a restart would bring it back
  }

  // ---- the engine ------------------------------------------------------------------------------

  private void onState(JsonObject change) {
    String check = change.getString("check");
    String kind = change.getString("kind");
    if ("status".equals(kind)) {
      journal.append(record(JournalKinds.STATE, check).put("from", change.getString("from"))
          .put("to", change.getString("to")).put("message", change.getString("message")), false);
      ledger.apply(new JsonObject().put("kind", JournalKinds.STATE).put("check", check).put("to", change.getString("to")));
    }
    Status to = Status.valueOf(change.getString("to").toUpperCase(java.util.Locale.ROOT));
    if (to == Status.OK) {
      cancelRetry(check);
      journalWait.remove(check);
      loopFailures.remove(check);
      suppressed.remove(check);
      heldElsewhere.remove(check);
      scheduleStable(check);
    } else if (to == Status.WARNING || to == Status.CRITICAL) {
      cancelStable(check);
      reconsider(check);
    }
    // A check that was critical holds back its dependents: they may act now.
    if ("status".equals(kind) && "critical".equals(change.getString("from"))) {
      for (CheckConfig c : config.checks().values()) {
        if (c.dependsOn().contains(check)) {
          reconsider(c.name());
        }
      }
    }
    publishViews();
  }

  /** Looks at a check afresh: runs, waits for or skips its actions as its state and budget say. */
  private void reconsider(String check) {
    try {
      reconsiderNow(check);
    } catch (RuntimeException e) {
      running.remove(check);
      loopFailed(check, e);
    }
  }

  private void reconsiderNow(String check) {
    CheckRuntime rt = live.find(check).orElse(null);
    CheckConfig c = config.checks().get(check);
    if (running.contains(check)) {
      // A new outage while the last attempt is still being written or verified: not lost, but
      // looked at once the run ends (its outcome may sit waiting for a full journal for minutes).
      changedWhileRunning.add(check);
      return;
    }
    if (rt == null || c == null) {
      return;
    }
    Status status = rt.state().status();
    List<String> list = status == Status.CRITICAL ? c.onCritical() : status == Status.WARNING ? c.onWarning() : List.of();
    if (list.isEmpty()) {
      return;
    }
    if (ledger.exhausted(check)) {
      return;
    }
    Optional<String> why = suppression(check, rt.state());
    if (why.isPresent()) {
      if (!why.get().equals(suppressed.put(check, why.get()))) {
        journal.append(record(JournalKinds.SUPPRESSED, check).put("message", why.get()), false);
        publish("skipped", check, null, 0, why.get(), false);
        log.atInfo().addKeyValue("check", check).addKeyValue("reason", why.get()).log("recovery held back");
      }
      return;
    }
    suppressed.remove(check);
    cancelRetry(check);
    running.add(check);
    Future<Void> run;
    try {
      run = runList(check, List.copyOf(list), 0);
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    inFlight.add(run);
    Future<Void> thisRun = run;
    run.onComplete(ar -> {
      inFlight.remove(thisRun);
      running.remove(check);
      boolean changed = changedWhileRunning.remove(check);
      if (ar.succeeded()) {
        loopFailures.remove(check);
        journalWait.remove(check);
        if (changed && !stopping) {
          reconsider(check);
        }
      } else {
        loopFailed(check, ar.cause());
      }
      publishViews();
    });
  }

  /**
   * A round of a check's recovery ended in a failure — the journal could not be written, or a
   * step broke: say so and look again after a back-off, so that the loop never just stops. An
   * attempt whose "started" record could not be written did not run.
   */
  private void loopFailed(String check, Throwable cause) {
    if (stopping || !config.checks().containsKey(check)) {
      return;
    }
    int failures = loopFailures.merge(check, 1, Integer::sum);
    Duration wait = JournalRetry.after(failures);
    Instant at = clock.instant().plus(wait);
    if (cause instanceof Journal.WriteFailedException) {
      journalWait.put(check, "waiting for the journal: " + cause.getMessage()
          + "; no action runs before its start is on disk (trying again at " + at + ")");
    } else {
      journalWait.remove(check);
      log.atError().setCause(cause).addKeyValue("check", check).addKeyValue("error", String.valueOf(cause))
          .addKeyValue("retryIn", human(wait)).log("recovery step failed; looking at the check again after a pause");
    }
    retryIn(check, wait);
  }

  /** Runs actions[i..] in order until one succeeds, the budget says wait, or it is exhausted. */
  private Future<Void> runList(String check, List<String> list, int i) {
    if (i >= list.size()) {
      // Every action failed this round: look again when the earliest back-off ends.
      return scheduleRetry(check, list);
    }
    CheckRuntime rt = live.find(check).orElse(null);
    if (rt == null || rt.state().status() == Status.OK) {
      return Future.succeededFuture();
    }
    ActionConfig a = config.actions().get(list.get(i));
    if (a == null) {
      return runList(check, list, i + 1); // removed by a reload while this list ran
    }
    if (a.shared() && leases.isPresent()) {
      return sharedStep(check, list, i, a);
    }
    return localStep(check, list, i, a);
  }

  /** Runs action {@code a} for the check under this instance's own budget (the journal's). */
  private Future<Void> localStep(String check, List<String> list, int i, ActionConfig a) {
    Budget.Decision d = Budget.decide(a.policy(), ledger.attempts(check, a.name()), clock.instant(), random.nextDouble());
    switch (d.kind()) {
      case EXHAUSTED -> {
        // This action is spent; the next one may still help. When all are, scheduleRetry says so.
        return runList(check, list, i + 1);
      }
      case WAIT -> {
        return scheduleRetry(check, list);
      }
      default -> {
        return attempt(check, a, false, null).compose(outcome -> "success".equals(outcome.getString("outcome"))
            ? Future.succeededFuture()
            : runList(check, list, i + 1));
      }
    }
  }

  /**
   * Runs a shared action only under its lease, against the budget kept with the lease: the
   * instance that gets the lease decides and acts; the others wait, showing who holds it, and
   * look again after half a ttl — by then the holder has fixed the check, failed (and its budget
   * says when to try next), or died and lost the lease.
   */
  private Future<Void> sharedStep(String check, List<String> list, int i, ActionConfig a) {
    LeaseBackend backend = leases.orElseThrow();
    String budgetKey = SharedBudget.budgetKey(a.name(), check);
    if (!journal.health().writable()) {
      // No lease and no shared record while this journal is failing: a synced empty line says
      // first whether it takes writes again (else loopFailed waits for it, spending nobody's budget).
      return journal.probe(record(JournalKinds.ATTEMPT_STARTED, check).put("action", a.name()))
          .compose(v -> sharedStep(check, list, i, a));
    }
    return backend.acquire(SharedBudget.leaseKey(a.name(), check)).transform(ar -> {
      if (ar.failed()) {
        return backendDown(check, list, i, a, ar.cause());
      }
      if (ar.result() instanceof Acquisition.HeldBy held) {
        holdElsewhere(check, "held by " + held.holder() + " (shared action " + a.name() + ")");
        backend.attempts(budgetKey).onSuccess(r -> {
          sharedAttempts.put(budgetKey, SharedBudget.attempts(r));
          publishViews();
        });
        lookAgainIn(check, config.cluster().ttl().dividedBy(2));
        return Future.succeededFuture();
      }
      Lease lease = ((Acquisition.Granted) ar.result()).lease();
      heldElsewhere.remove(check);
      return backend.attempts(budgetKey).compose(records -> {
        List<Attempt> attempts = SharedBudget.attempts(records);
        sharedAttempts.put(budgetKey, attempts);
        Instant now = clock.instant();
        Budget.Decision d = Budget.decide(a.policy(), attempts, now, random.nextDouble());
        switch (d.kind()) {
          case EXHAUSTED -> {
            return lease.release().transform(x -> runList(check, list, i + 1));
          }
          case WAIT -> {
            // Often another instance's attempt that just worked (cooldown): probe before waiting it out.
            Duration wait = Duration.between(now, d.notBefore());
            Duration half = config.cluster().ttl().dividedBy(2);
            lookAgainIn(check, wait.compareTo(half) < 0 ? wait : half);
            return lease.release();
          }
          default -> {
            SharedRun run = new SharedRun(lease, budgetKey, attempts.size() + 1, now, Promise.promise());
            JsonObject started = SharedBudget.record(now, SharedBudget.STARTED, config.instance(), lease.fencingToken());
            // On the shared budget before it runs: a holder that dies mid-action has spent it.
            return backend.recordAttempt(budgetKey, started, a.policy().within()).transform(recorded -> {
              if (recorded.failed()) {
                return lease.release().transform(x -> backendDown(check, list, i, a, recorded.cause()));
              }
              Future<JsonObject> whole = attempt(check, a, false, run);
              // Once the outcome is known (not once it is on disk, which a journal outage may hold
              // up for hours) the shared budget gets it and the lease goes; an attempt whose start
              // could not be journaled did not run and gives its place in the budget back.
              whole.onComplete(w -> run.ran().tryComplete(w.succeeded() ? w.result().getString("outcome")
                  : Attempt.Outcome.FAILURE.label()));
              Future<Void> released = run.ran().future()
                  .transform(ran -> finishShared(backend, run, a, ran.succeeded() ? ran.result() : SharedBudget.NOT_RUN))
                  .transform(x -> lease.release());
              return released.transform(x -> whole)
                  .compose(outcome -> "success".equals(outcome.getString("outcome"))
                      ? Future.succeededFuture()
                      : runList(check, list, i + 1));
            });
          }
        }
      }, e -> lease.release().transform(x -> backendDown(check, list, i, a, e)));
    });
  }

  /** Writes the attempt's outcome over its "started" record in the shared budget (best effort: it is journaled). */
  private Future<String> finishShared(LeaseBackend backend, SharedRun run, ActionConfig a, String outcome) {
    JsonObject finished = SharedBudget.record(run.startedAt(), outcome, config.instance(),
        run.lease().fencingToken());
    return backend.recordAttempt(run.budgetKey(), finished, a.policy().within())
        .compose(x -> backend.attempts(run.budgetKey()))
        .map(records -> {
          sharedAttempts.put(run.budgetKey(), SharedBudget.attempts(records));
          return outcome;
        })
        .recover(e -> {
          log.atWarn().addKeyValue("action", a.name()).addKeyValue("error", String.valueOf(e.getMessage()))
              .log("could not write the attempt's outcome to the shared budget; it counts as a failure there");
          return Future.succeededFuture(outcome);
        });
  }

  /** The lease backend did not answer: {@code medic.cluster.on-backend-down} says act alone or not at all. */
  private Future<Void> backendDown(String check, List<String> list, int i, ActionConfig a, Throwable cause) {
    if (config.cluster().onBackendDown() == dev.medic.config.ClusterConfig.OnBackendDown.LOCAL) {
      log.atWarn().addKeyValue("check", check).addKeyValue("action", a.name())
          .addKeyValue("error", String.valueOf(cause.getMessage()))
          .log("lease backend unreachable: running the shared action on this instance's own budget");
      return localStep(check, list, i, a);
    }
    holdElsewhere(check, "lease backend unreachable (" + cause.getMessage() + "): shared action " + a.name()
        + " not run (medic.cluster.on-backend-down = skip)");
    retryIn(check, config.cluster().ttl().dividedBy(2));
    return Future.succeededFuture();
  }

  private void holdElsewhere(String check, String why) {
    if (!why.equals(heldElsewhere.put(check, why))) {
      journal.append(record(JournalKinds.SUPPRESSED, check).put("message", why), false);
      log.atInfo().addKeyValue("check", check).addKeyValue("reason", why).log("recovery " + why);
      publishViews();
    }
  }

  /** Looks at the check again after {@code delay}. */
  private void retryIn(String check, Duration delay) {
    retryIn(check, delay, false);
  }

  /**
   * Probes the check after {@code delay}, then looks at it again: while another instance runs the
   * shared action, this one learns that it worked from its own probe, not at its next interval.
   */
  private void lookAgainIn(String check, Duration delay) {
    retryIn(check, delay, true);
  }

  private void retryIn(String check, Duration delay, boolean probeFirst) {
    cancelRetry(check);
    retryAt.put(check, clock.instant().plus(delay));
    retryTimers.put(check, vertx.setTimer(Math.max(1, delay.toMillis()), id -> {
      retryTimers.remove(check);
      retryAt.remove(check);
      if (probeFirst) {
        runner.runNow(check).onComplete(x -> reconsider(check));
      } else {
        reconsider(check);
      }
    }));
    publishViews();
  }

  /** Forgets the shared budgets of a check's shared actions (an operator's reset, or stable again). */
  private Future<Void> clearSharedBudgets(String check) {
    CheckConfig c = config.checks().get(check);
    if (leases.isEmpty() || c == null) {
      return Future.succeededFuture();
    }
    List<Future<Void>> clearing = new ArrayList<>();
    for (String name : actionsOf(c)) {
      ActionConfig a = config.actions().get(name);
      if (a != null && a.shared()) {
        String key = SharedBudget.budgetKey(name, check);
        sharedAttempts.remove(key);
        clearing.add(leases.get().clearBudget(key));
      }
    }
    return Future.all(clearing).mapEmpty();
  }

  /** An attempt of a shared action: under which lease, with which number in the shared budget. */
  private record SharedRun(Lease lease, String budgetKey, int number, Instant startedAt, Promise<String> ran) {}

  /** The attempts a budget decision goes by: the shared ones for a shared action in fleet mode. */
  private List<Attempt> attemptsOf(String check, ActionConfig a) {
    if (a.shared() && leases.isPresent()) {
      return sharedAttempts.getOrDefault(SharedBudget.budgetKey(a.name(), check), List.of());
    }
    return ledger.attempts(check, a.name());
  }

  private Future<Void> exhaust(String check, ActionConfig a) {
    if (ledger.exhausted(check)) {
      return Future.succeededFuture();
    }
    String message = "recovery exhausted: " + a.policy().maxAttempts() + " attempts of " + a.name() + " within "
        + human(a.policy().within()) + " did not fix " + check;
    JsonObject record = record(JournalKinds.EXHAUSTED, check).put("action", a.name()).put("message", message);
    return journal.append(record, true).map(v -> {
      ledger.apply(record);
      log.atError().addKeyValue("check", check).addKeyValue("action", a.name()).log(message);
      publish("exhausted", check, a.name(), 0, message, false);
      publishViews();
      return null;
    });
  }

  /**
   * One attempt: journaled (fsynced) before it runs and after, verified by a re-probe when the
   * policy says so. {@code manual} attempts come from an operator and do not need a failing check.
   * The outcome's message is what medic concluded ({@link #conclusion}); what the action printed
   * goes to the separate {@code output} field, never into that headline.
   */
  private Future<JsonObject> attempt(String check, ActionConfig a, boolean manual, SharedRun shared) {
    int number = shared != null ? shared.number() : ledger.attempts(check, a.name()).size() + 1;
    Action action = actions.get(a.name());
    boolean dry = a.policy().dryRun();
    JsonObject started = withLease(record(JournalKinds.ATTEMPT_STARTED, check), shared).put("action", a.name())
        .put("attempt", number).put("dryRun", dry).put("manual", manual).put("message", action.describe());
    JsonArray steps = new JsonArray();
    return journal.append(started, true).onFailure(e -> {
      if (shared != null) {
        shared.ran().tryFail(e); // not run: the shared budget gets its place back
      }
    }).compose(v -> {
      ledger.apply(started);
      publish("started", check, a.name(), number, (dry ? "dry run: would run " : "running ") + action.describe(), dry);
      log.atInfo().addKeyValue("check", check).addKeyValue("action", a.name()).addKeyValue("attempt", number)
          .addKeyValue("dryRun", dry).log("recovery attempt started");
      publishViews();
      Instant began = clock.instant();
      if (action instanceof SequenceAction sequence) {
        // Bounded as a whole by the sequence's timeout; its steps each by their own.
        return sequence(check, a, sequence, number, dry, manual, steps).compose(outcome -> dry
            ? Future.succeededFuture(outcome)
            : outcome.success() && a.policy().verify() && !check.isEmpty() ? verify(check, a, outcome, "")
            : Future.succeededFuture(conclusion(a.name(), outcome, null)));
      }
      if (dry) {
        return Future.succeededFuture(new ActionOutcome(true, a.name() + " dry run: would run " + action.describe(),
            ""));
      }
      return bounded(action, check, a.policy().timeout()).compose(outcome -> {
        String took = took(began);
        return outcome.success() && a.policy().verify() && !check.isEmpty()
            ? verify(check, a, outcome, took) : Future.succeededFuture(conclusion(a.name(), outcome, took));
      });
    }).compose(outcome -> {
      String label = dry ? Attempt.Outcome.DRY_RUN.label() : outcome.success() ? "success" : "failure";
      JsonObject done = withLease(record(JournalKinds.ATTEMPT, check), shared).put("action", a.name())
          .put("attempt", number)
          .put("started", true).put("outcome", label).put("message", outcome.message())
          .put("output", outcome.output()).put("dryRun", dry).put("manual", manual);
      if (shared != null) {
        shared.ran().tryComplete(label);
      }
      if (action instanceof SequenceAction) {
        done.put("steps", steps);
      }
      String what = "the outcome of " + a.name() + " attempt " + number + (check.isEmpty() ? "" : " for " + check);
      return durably(check, done, what, 0).map(v -> {
        journalWait.remove(check);
        ledger.apply(done);
        remember(done);
        metrics.recoveryAttempt(a.name(), check, label);
        publish(outcome.success() ? "succeeded" : "failed", check, a.name(), number, outcome.message(), dry,
            outcome.output(), action instanceof SequenceAction ? steps : null);
        var event = outcome.success() ? log.atInfo() : log.atWarn();
        event.addKeyValue("check", check).addKeyValue("action", a.name()).addKeyValue("attempt", number)
            .addKeyValue("outcome", label).addKeyValue("message", outcome.message()).log("recovery attempt finished");
        publishViews();
        return done;
      });
    });
  }

  /**
   * The headline of an attempt: what medic concluded, never the action's output.
   * {@code restart-app succeeded: exit status 0 in 1.2s} or {@code ... failed: exit status 3 in 0.4s};
   * {@code took} is null for a sequence, whose message says its own times. Verified attempts are
   * concluded by {@link #verify}.
   */
  private static ActionOutcome conclusion(String name, ActionOutcome outcome, String took) {
    String message = name + (outcome.success() ? " succeeded: " : " failed: ") + outcome.message()
        + (took == null ? "" : " in " + took);
    return new ActionOutcome(outcome.success(), message, outcome.output());
  }

  /** Time since {@code began}, to a tenth of a second: {@code 1.2s}. */
  private String took(Instant began) {
    long ms = Math.max(0, Duration.between(began, clock.instant()).toMillis());
    return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
  }

  /**
   * Runs a sequence's steps in order, each as its own action under its own timeout (run dry when
   * the sequence or the step is), and journals each step's outcome as a {@code step} record before
   * the next starts. Stops at the first failed step; the whole is bounded by the sequence's
   * timeout. A step that is itself a sequence runs its steps in turn (the loader rejects cycles).
   */
  private Future<ActionOutcome> sequence(String check, ActionConfig a, SequenceAction sequence, int number,
      boolean dry, boolean manual, JsonArray steps) {
    Instant began = clock.instant();
    Instant deadline = began.plus(a.policy().timeout());
    Promise<ActionOutcome> result = Promise.promise();
    long timer = vertx.setTimer(a.policy().timeout().toMillis() + 250, id -> result.tryComplete(ActionOutcome.failed(
        "timed out after " + human(a.policy().timeout()) + " (" + done(steps) + " of " + sequence.steps().size()
            + " steps finished)")));
    runSteps(check, a, sequence.steps(), 0, number, dry, manual, steps, deadline, result.future())
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.failed()) {
            result.tryFail(ar.cause());
            return;
          }
          ActionOutcome last = ar.result();
          if (last != null && !last.success()) {
            result.tryComplete(new ActionOutcome(false, last.message(), outputs(steps)));
            return;
          }
          StringBuilder each = new StringBuilder();
          for (int i = 0; i < steps.size(); i++) {
            JsonObject st = steps.getJsonObject(i);
            each.append(i == 0 ? "" : "; ").append(st.getString("step")).append(": ").append(st.getString("message"));
          }
          String message = dry
              ? a.name() + " dry run: would run " + sequence.steps().size() + " steps (" + each + ")"
              : steps.size() + " steps in " + took(began) + " (" + each + ")";
          result.tryComplete(new ActionOutcome(true, message, outputs(steps)));
        });
    return result.future();
  }

  private static long done(JsonArray steps) {
    return steps.stream().filter(o -> !"not-run".equals(((JsonObject) o).getString("outcome"))).count();
  }

  /** The steps' outputs, each under its step's name. */
  private static String outputs(JsonArray steps) {
    StringBuilder out = new StringBuilder();
    for (Object o : steps) {
      JsonObject st = (JsonObject) o;
      String text = st.getString("output", "");
      if (!text.isEmpty()) {
        out.append(out.length() == 0 ? "" : "\n").append("== ").append(st.getString("step")).append(" ==\n")
            .append(text);
      }
    }
    return out.toString();
  }

  /** Steps[i..]: completes with the first failed step's outcome (message naming it), or null when all succeeded. */
  private Future<ActionOutcome> runSteps(String check, ActionConfig seq, List<String> names, int i, int number,
      boolean dry, boolean manual, JsonArray steps, Instant deadline, Future<ActionOutcome> over) {
    if (i >= names.size()) {
      return Future.succeededFuture(null);
    }
    if (over.isComplete()) {
      return Future.succeededFuture(over.result()); // the sequence timed out: start nothing more
    }
    String name = names.get(i);
    ActionConfig stepConfig = config.actions().get(name);
    Action stepAction = stepConfig == null ? null : actions.get(name);
    if (stepAction == null) {
      return stepDone(check, seq, names, i, number, dry, manual, steps, null,
          ActionOutcome.failed("no action named " + name + " (removed by a reload?)"), false);
    }
    boolean stepDry = dry || stepConfig.policy().dryRun();
    Instant began = clock.instant();
    Future<ActionOutcome> ran;
    if (stepAction instanceof SequenceAction nested) {
      JsonArray inner = new JsonArray();
      ran = runSteps(check, seq, nested.steps(), 0, number, stepDry, manual, inner, deadline, over).map(failed -> {
        StringBuilder each = new StringBuilder();
        for (Object o : inner) {
          JsonObject st = (JsonObject) o;
          each.append(each.length() == 0 ? "" : "; ").append(st.getString("step")).append(": ")
              .append(st.getString("message"));
        }
        return failed != null ? new ActionOutcome(false, failed.message(), outputs(inner))
            : new ActionOutcome(true, inner.size() + " steps (" + each + ")", outputs(inner));
      });
    } else if (stepDry) {
      ran = Future.succeededFuture(new ActionOutcome(true, "dry run: would run " + stepAction.describe(), ""));
    } else {
      Duration left = Duration.between(clock.instant(), deadline);
      Duration timeout = left.compareTo(stepConfig.policy().timeout()) < 0 && !left.isNegative()
          ? left : stepConfig.policy().timeout();
      ran = bounded(stepAction, check, timeout);
    }
    return ran.compose(outcome -> {
      String took = stepAction instanceof SequenceAction || stepDry ? null : took(began);
      ActionOutcome said = new ActionOutcome(outcome.success(),
          outcome.message() + (took == null ? "" : " in " + took), outcome.output());
      return stepDone(check, seq, names, i, number, stepDry, manual, steps, name, said, stepDry);
    }).compose(failed -> failed != null ? Future.succeededFuture(failed)
        : runSteps(check, seq, names, i + 1, number, dry, manual, steps, deadline, over));
  }

  /**
   * Journals one step's outcome (durably, before anything else runs) and adds it to the attempt's
   * list; completes with the sequence's failure when the step failed (the steps after it are
   * listed as not run), else null.
   */
  private Future<ActionOutcome> stepDone(String check, ActionConfig seq, List<String> names, int i, int number,
      boolean dry, boolean manual, JsonArray steps, String name, ActionOutcome outcome, boolean stepDry) {
    String stepName = name == null ? names.get(i) : name;
    String label = stepDry ? Attempt.Outcome.DRY_RUN.label() : outcome.success() ? "success" : "failure";
    JsonObject record = record(JournalKinds.STEP, check).put("action", seq.name()).put("attempt", number)
        .put("step", stepName).put("index", i + 1).put("of", names.size()).put("outcome", label)
        .put("message", outcome.message()).put("output", outcome.output()).put("dryRun", dry).put("manual", manual);
    String what = "step " + stepName + " of " + seq.name() + " attempt " + number;
    return durably(check, record, what, 0).map(v -> {
      steps.add(new JsonObject().put("step", stepName).put("outcome", label).put("message", outcome.message())
          .put("output", outcome.output()));
      log.atInfo().addKeyValue("check", check).addKeyValue("action", seq.name()).addKeyValue("step", stepName)
          .addKeyValue("outcome", label).addKeyValue("message", outcome.message()).log("sequence step finished");
      if (outcome.success()) {
        return null;
      }
      List<String> rest = names.subList(i + 1, names.size());
      for (String r : rest) {
        steps.add(new JsonObject().put("step", r).put("outcome", "not-run").put("message", "not run: "
            + stepName + " failed").put("output", ""));
      }
      return ActionOutcome.failed("step " + stepName + " (" + (i + 1) + " of " + names.size() + ") failed: "
          + outcome.message() + (rest.isEmpty() ? "" : "; not run: " + String.join(", ", rest)));
    });
  }

  /**
   * Writes an attempt's outcome, again and again after a back-off while the journal refuses it:
   * the action has run, so its record must get to disk — and before the check's next step, so
   * that the journal keeps the order in which things happened. Gives up only when medic stops
   * (the attempt then counts as failed when the journal is read back).
   */
  private Future<Void> durably(String check, JsonObject record, String what, int failures) {
    return journal.append(record, true).recover(e -> {
      if (stopping) {
        return Future.failedFuture(e);
      }
      Duration wait = JournalRetry.after(failures + 1);
      journalWait.put(check, "waiting for the journal: " + what + " is not on disk yet (" + e.getMessage()
          + "); writing it again at " + clock.instant().plus(wait));
      publishViews();
      Promise<Void> written = Promise.promise();
      long[] timer = new long[1];
      Runnable again = () -> durably(check, record, what, failures + 1).onComplete(written);
      timer[0] = vertx.setTimer(wait.toMillis(), id -> {
        rewrites.remove(timer[0]);
        again.run();
      });
      rewrites.put(timer[0], again);
      return written.future();
    });
  }

  /** The journal is writable again: every check that waited for it goes on now, not at its next try. */
  private void journalBack() {
    if (stopping) {
      return;
    }
    for (Map.Entry<Long, Runnable> r : List.copyOf(rewrites.entrySet())) {
      vertx.cancelTimer(r.getKey());
      rewrites.remove(r.getKey());
      r.getValue().run();
    }
    for (String check : List.copyOf(journalWait.keySet())) {
      if (retryTimers.containsKey(check)) {
        cancelRetry(check);
        reconsider(check);
      }
    }
    publishViews();
  }

  /**
   * Says loudly what the journal's failures mean: every failed write counted and logged (with the
   * check and the cause; a lost state or suppressed record once per check and outage), the start
   * and the end of an outage told to the channels once each.
   */
  private final class JournalWatcher implements Journal.Watcher {

    @Override
    public void writeFailed(JsonObject record, Throwable cause, JournalHealth health, boolean outageStarted) {
      metrics.journalWriteError();
      String check = String.valueOf(record.getValue("check", ""));
      String kind = String.valueOf(record.getValue("kind", ""));
      boolean history = JournalKinds.STATE.equals(kind) || JournalKinds.SUPPRESSED.equals(kind);
      if (outageStarted) {
        loggedInOutage.clear();
      }
      if (!history || loggedInOutage.add(check)) {
        log.atError().addKeyValue("check", check).addKeyValue("kind", kind).addKeyValue("journal", journal.dir())
            .addKeyValue("error", health.lastError()).addKeyValue("failingSince", health.failingSince())
            .log(history ? "could not write to the journal; this record is lost (later ones of this check are only counted"
                + " until the journal is writable)"
                : "could not write to the journal; recovery of this check waits until it can, no action runs unjournaled");
      }
      if (outageStarted) {
        notices.notice("journal-failed", "critical", "medic " + config.instance() + " cannot write its journal in "
            + journal.dir() + " (" + health.lastError() + "): no recovery action runs until it can; trying again"
            + " every " + human(JournalRetry.MAX) + " at most");
      }
    }

    @Override
    public void writableAgain(JournalHealth outage) {
      long seconds = Duration.between(outage.failingSince(), clock.instant()).toSeconds();
      String message = "medic " + config.instance() + " writes its journal in " + journal.dir() + " again after "
          + seconds + "s (" + outage.outageErrors() + " write(s) failed, the last with: " + outage.lastError()
          + "); recovery goes on";
      log.atInfo().addKeyValue("journal", journal.dir()).addKeyValue("failedWrites", outage.outageErrors())
          .addKeyValue("failingSince", outage.failingSince()).log("the journal is writable again; recovery goes on");
      notices.notice("journal-writable", "info", message);
      context.runOnContext(v -> journalBack());
    }
  }

  /** A shared attempt's record names its lease and fencing token, so journals of a fleet can be lined up. */
  private static JsonObject withLease(JsonObject record, SharedRun shared) {
    if (shared != null) {
      record.put("lease", shared.lease().key()).put("token", shared.lease().fencingToken());
    }
    return record;
  }

  /** The action's outcome, or a failure when it breaks or outlives its timeout. */
  private Future<ActionOutcome> bounded(Action action, String check, Duration timeout) {
    Promise<ActionOutcome> p = Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis() + 250, id -> p.tryComplete(
        ActionOutcome.failed("timed out after " + human(timeout))));
    Future<ActionOutcome> f;
    try {
      f = action.run(check.isEmpty() ? null : check);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      p.tryComplete(ar.succeeded() ? ar.result()
          : ActionOutcome.failed("action failed: " + (ar.cause().getMessage() == null
              ? ar.cause().getClass().getSimpleName() : ar.cause().getMessage())));
    });
    return p.future();
  }

  /**
   * After {@code grace}, probes the check; the attempt counts only if the probe says ok. Concludes
   * the attempt: {@code restart-app succeeded: exit status 0 in 1.2s; app ok after 2s}, or
   * {@code restart-app ran, but app still critical after grace 2s (probe message): exit status 0 in 1.2s}.
   */
  private Future<ActionOutcome> verify(String check, ActionConfig a, ActionOutcome ran, String took) {
    Promise<Void> grace = Promise.promise();
    vertx.setTimer(Math.max(1, a.policy().grace().toMillis()), id -> grace.complete());
    String what = ran.message() + (took.isEmpty() ? "" : " in " + took);
    String after = human(a.policy().grace());
    return grace.future().compose(v -> runner.runNow(check)).map(state -> {
      Status judged = state.lastStatus();
      String probe = state.lastResult() == null ? "" : state.lastResult().message();
      return judged == Status.OK
          ? new ActionOutcome(true, a.name() + " succeeded: " + what + "; " + check + " ok after " + after,
              ran.output())
          : new ActionOutcome(false, a.name() + " ran, but " + check + " still " + judged.label() + " after grace "
              + after + (probe.isEmpty() ? "" : " (" + probe + ")") + ": " + what, ran.output());
    });
  }

  private Optional<String> suppression(String check, CheckState state) {
    if (state.flapping()) {
      return Optional.of("flapping: no actions until it settles");
    }
    List<String> deps = live.suppressedBy(check);
    if (!deps.isEmpty()) {
      return Optional.of("depends on " + String.join(", ", deps) + ", which is critical");
    }
    return maintenance.covering(check, clock.instant())
        .map(w -> "maintenance " + w.id() + " until " + w.until() + (w.reason().isEmpty() ? "" : " (" + w.reason() + ")"));
  }

  private void endedMaintenance(Maintenance.Window w) {
    for (CheckConfig c : config.checks().values()) {
      if (w.checks().isEmpty() || w.checks().contains(c.name())) {
        reconsider(c.name());
      }
    }
    publishViews();
  }

  /** Sets the timer for the check's next attempt; fails when its exhaustion could not be journaled. */
  private Future<Void> scheduleRetry(String check, List<String> list) {
    CheckRuntime rt = live.find(check).orElse(null);
    if (rt == null || rt.state().status() == Status.OK) {
      return Future.succeededFuture();
    }
    Instant earliest = null;
    Instant now = clock.instant();
    for (String name : list) {
      ActionConfig a = config.actions().get(name);
      if (a == null) {
        continue; // removed by a reload
      }
      Budget.Decision d = Budget.decide(a.policy(), attemptsOf(check, a), now, random.nextDouble());
      if (d.kind() == Budget.Decision.Kind.EXHAUSTED) {
        continue;
      }
      Instant at = d.kind() == Budget.Decision.Kind.WAIT ? d.notBefore() : now;
      earliest = earliest == null || at.isBefore(earliest) ? at : earliest;
    }
    if (earliest == null) {
      // Nothing left in any budget: the first action's exhaustion says so.
      return list.stream().map(config.actions()::get).filter(java.util.Objects::nonNull).findFirst()
          .map(a -> exhaust(check, a)).orElse(Future.succeededFuture());
    }
    retryIn(check, Duration.between(now, earliest));
    return Future.succeededFuture();
  }

  private void cancelRetry(String check) {
    retryAt.remove(check);
    Long t = retryTimers.remove(check);
    if (t != null) {
      vertx.cancelTimer(t);
    }
  }

  private void scheduleStable(String check) {
    CheckConfig c = config.checks().get(check);
    if (c == null || !ledger.hasAttempts(check)) {
      return;
    }
    Duration stableAfter = Duration.ofDays(365);
    for (String a : actionsOf(c)) {
      Duration s = config.actions().get(a).policy().stableAfter();
      stableAfter = s.compareTo(stableAfter) < 0 ? s : stableAfter;
    }
    cancelStable(check);
    stableTimers.put(check, vertx.setTimer(stableAfter.toMillis(), id -> restoreBudget(check, 0)));
  }

  /** The check stayed ok: its budget comes back, once that is journaled (tried again until it is). */
  private void restoreBudget(String check, int failures) {
    stableTimers.remove(check);
    CheckRuntime rt = live.find(check).orElse(null);
    if (stopping || rt == null || rt.state().status() != Status.OK) {
      return;
    }
    JsonObject record = record(JournalKinds.BUDGET_RESET, check).put("message", "stayed ok: budget restored");
    clearSharedBudgets(check).transform(x -> journal.append(record, true)).onComplete(ar -> {
      if (ar.succeeded()) {
        ledger.apply(record);
        publishViews();
      } else if (!stopping && !stableTimers.containsKey(check)) {
        stableTimers.put(check, vertx.setTimer(JournalRetry.after(failures + 1).toMillis(),
            id -> restoreBudget(check, failures + 1)));
      }
    });
  }

  private void cancelStable(String check) {
    Long t = stableTimers.remove(check);
    if (t != null) {
      vertx.cancelTimer(t);
    }
  }

  // ---- views, records, events --------------------------------------------------------------------

  private int remaining(String check, String action) {
    ActionConfig a = config.actions().get(action);
    if (a == null) {
      return 0;
    }
    Budget.Decision d = Budget.decide(a.policy(), attemptsOf(check, a), clock.instant(), 0);
    return d.remaining();
  }

  private static List<String> actionsOf(CheckConfig c) {
    List<String> all = new ArrayList<>(c.onCritical());
    for (String a : c.onWarning()) {
      if (!all.contains(a)) {
        all.add(a);
      }
    }
    return all;
  }

  private void publishViews() {
    Map<String, JsonObject> next = new LinkedHashMap<>();
    Instant now = clock.instant();
    for (CheckConfig c : config.checks().values()) {
      List<String> names = actionsOf(c);
      if (names.isEmpty()) {
        continue;
      }
      JsonArray budgets = new JsonArray();
      Instant nextAttempt = null;
      for (String name : names) {
        ActionConfig a = config.actions().get(name);
        Budget.Decision d = Budget.decide(a.policy(), attemptsOf(c.name(), a), now, 0);
        if (d.kind() == Budget.Decision.Kind.WAIT && (nextAttempt == null || d.notBefore().isBefore(nextAttempt))) {
          nextAttempt = d.notBefore();
        }
        budgets.add(new JsonObject().put("action", name).put("used", d.used()).put("remaining", d.remaining())
            .put("maxAttempts", a.policy().maxAttempts()).put("within", human(a.policy().within()))
            .put("nextAttemptAt", d.kind() == Budget.Decision.Kind.WAIT ? d.notBefore().toString() : null)
            .put("dryRun", a.policy().dryRun()).put("scope", a.scope().key()));
        if (actions.get(name) instanceof SequenceAction sequence) {
          budgets.getJsonObject(budgets.size() - 1).put("steps", new JsonArray(sequence.steps()));
        }
      }
      String elsewhere = heldElsewhere.get(c.name());
      String forJournal = journalWait.get(c.name());
      String state = ledger.exhausted(c.name()) ? "exhausted"
          : forJournal != null ? "held"
          : running.contains(c.name()) ? "running"
          : suppressed.containsKey(c.name()) || elsewhere != null ? "held"
          : retryTimers.containsKey(c.name()) ? "waiting" : "idle";
      Instant retry = forJournal != null ? retryAt.get(c.name()) : nextAttempt;
      next.put(c.name(), new JsonObject().put("state", state)
          .put("heldBecause", forJournal != null ? forJournal
              : suppressed.containsKey(c.name()) ? suppressed.get(c.name()) : elsewhere)
          .put("nextAttemptAt", retryTimers.containsKey(c.name()) && retry != null ? retry.toString() : null)
          .put("actions", budgets));
    }
    views = next;
  }

  private void remember(JsonObject attemptRecord) {
    if (!JournalKinds.ATTEMPT.equals(attemptRecord.getString("kind"))) {
      return;
    }
    recent.addFirst(attemptRecord.copy());
    while (recent.size() > RECENT) {
      recent.removeLast();
    }
    recentView = List.copyOf(recent);
  }

  private JsonObject record(String kind, String check) {
    return new JsonObject().put("ts", clock.instant().toString()).put("instance", config.instance())
        .put("kind", kind).put("check", check);
  }

  private void publish(String event, String check, String action, int attempt, String message, boolean dryRun) {
    publish(event, check, action, attempt, message, dryRun, null, null);
  }

  /** @param output what the action printed, a detail beside the message; {@code steps} a sequence's step outcomes */
  private void publish(String event, String check, String action, int attempt, String message, boolean dryRun,
      String output, JsonArray steps) {
    JsonObject r = new JsonObject().put("kind", "recovery").put("event", event)
        .put("check", check).put("action", action).put("attempt", attempt).put("message", message)
        .put("dryRun", dryRun).put("at", clock.instant().toString()).put("instance", config.instance());
    if (output != null) {
      r.put("output", output);
    }
    if (steps != null) {
      r.put("steps", steps.copy());
    }
    vertx.eventBus().publish(Bus.RECOVERY, r);
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (d.toMillis() % 1000 != 0) {
      return d.toMillis() + "ms";
    }
    return s % 3600 == 0 && s > 0 ? s / 3600 + "h" : s % 60 == 0 && s > 0 ? s / 60 + "m" : s + "s";
  }
}
