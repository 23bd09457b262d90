package dev.medic.notify;

import dev.medic.Bus;
import dev.medic.config.ChannelConfig;
import dev.medic.config.CheckConfig;
import dev.medic.config.MedicConfig;
import dev.medic.lease.Acquisition;
import dev.medic.lease.Lease;
import dev.medic.lease.LeaseBackend;
import dev.medic.config.Problems;
import dev.medic.config.Settings;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.recovery.Maintenance;
import dev.medic.schedule.CheckRuntime;
import dev.medic.schedule.LiveChecks;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells people (DESIGN §6): turns state changes and recovery steps into events, routes them to
 * channels by severity and check, holds them back for maintenance, critical dependencies and
 * flapping, groups what happens together, repeats what stays bad, and delivers through the
 * durable {@link Outbox} with retries — each channel on its own, so a dead receiver delays no
 * other channel and no probe.
 */
public final class NotifierVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(NotifierVerticle.class);
  private static final int BATCH = 50;
  /** How often still-bad checks are looked at for repeats: at most this, at least twice per interval. */
  private static final long REPEAT_SCAN_MS = 5_000;
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  private static final String ALERT_LEASE = "alert/";

  private volatile MedicConfig config;
  private final LiveChecks live;
  private final Maintenance maintenance;
  private final Outbox outbox;
  private final MedicMetrics metrics;
  private final Clock clock;
  private final Map<String, Sender> senders = new LinkedHashMap<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private long repeatTimer = -1;
  /** Fleet mode: the lease that makes one instance the voice of a shared check's incident. */
  private final java.util.Optional<LeaseBackend> leases;
  /** Shared checks whose incident this instance is announcing, with the lease that says so. */
  private final Map<String, Lease> incidents = new HashMap<>();
  /** Shared checks this instance has just announced as resolved, with the lease it keeps a little longer. */
  private final Map<String, Lease> resolving = new HashMap<>();
  /** Shared checks whose orphaned incident this instance took over, and when: announced after a fresh probe. */
  private final Map<String, Instant> takenOver = new HashMap<>();
  /** Per shared check, the events still deciding who announces them: kept in order. */
  private final Map<String, Future<Void>> sharedQueue = new HashMap<>();

  public NotifierVerticle(MedicConfig config, LiveChecks live, Maintenance maintenance, Outbox outbox,
      MedicMetrics metrics, Clock clock) {
    this(config, live, maintenance, outbox, metrics, clock, java.util.Optional.empty());
  }

  /** @param leases the fleet's lease backend, when {@code medic.cluster.lease} is set */
  public NotifierVerticle(MedicConfig config, LiveChecks live, Maintenance maintenance, Outbox outbox,
      MedicMetrics metrics, Clock clock, java.util.Optional<LeaseBackend> leases) {
    this.leases = leases;
    this.config = config;
    this.live = live;
    this.maintenance = maintenance;
    this.outbox = outbox;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** One channel's queue and delivery state; touched only on this verticle's event loop. */
  private final class Sender {
    ChannelConfig config;
    Channel channel;
    /** A channel replaced by a reload during a send: closed when that send ends. */
    Channel retiring;
    final List<Outbox.Entry> queue = new ArrayList<>();
    /** The entries of {@link #queue} being sent now (by identity): never shed, never rewritten meanwhile. */
    final java.util.Set<Outbox.Entry> inFlight = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Entries of the queue that the outbox could not take (a full disk) are being written again. */
    boolean persisting;
    /** Notifications shed by the cap since the last log line about it, and when that was. */
    int shedSinceLog;
    long shedLoggedAtNanos;
    boolean shedLogged;
    /** Per check: the bad severity last announced, and when (for repeat-interval). */
    final Map<String, String> announced = new HashMap<>();
    final Map<String, Instant> announcedAt = new HashMap<>();
    final Map<String, Integer> repeats = new HashMap<>();
    boolean sending;
    long timer = -1;
    int failures;

    Sender(ChannelConfig config, Channel channel) {
      this.config = config;
      this.channel = channel;
    }
  }

  @Override
  public Future<?> start() {
    for (ChannelConfig c : config.channels().values()) {
      senders.put(c.name(), new Sender(c, newChannel(c)));
    }
    List<Future<Void>> loading = new ArrayList<>();
    for (Sender s : senders.values()) {
      // What a previous run could not deliver goes first.
      loading.add(outbox.pending(s.config.name()).map(entries -> {
        s.queue.addAll(entries);
        if (!entries.isEmpty()) {
          log.atInfo().addKeyValue("channel", s.config.name()).addKeyValue("pending", entries.size())
              .log("delivering notifications left from before the restart");
          schedule(s, Duration.ZERO);
        }
        return null;
      }));
    }
    return Future.all(loading).map(v -> {
      consumers.add(vertx.eventBus().consumer(Bus.STATE, m -> onState(m.body())));
      consumers.add(vertx.eventBus().consumer(Bus.RECOVERY, m -> onRecovery(m.body())));
      startRepeatScan();
      route(daemonEvent("started", "info", "medic " + config.instance() + " started with " + config.checks().size()
          + " checks"));
      return null;
    });
  }

  private Channel newChannel(ChannelConfig c) {
    return c.channelType().create(new Settings(c.raw(), c.path(), c.raw().origin(), new Problems(config.source())),
        new ChannelContext(vertx, c.name(), c.timeout()));
  }

  private void startRepeatScan() {
    vertx.cancelTimer(repeatTimer);
    long scan = REPEAT_SCAN_MS;
    for (Sender s : senders.values()) {
      if (!s.config.repeatInterval().isZero()) {
        scan = Math.min(scan, Math.max(100, s.config.repeatInterval().toMillis() / 2));
      }
    }
    repeatTimer = vertx.setPeriodic(scan, id -> repeatStillBad());
  }

  /**
   * Applies a reloaded configuration. A channel that stays keeps its queue and what it announced
   * (so a resolution still reaches whoever heard the problem); a changed one gets a new channel
   * behind the same queue; a removed one stops, and what it had not delivered stays in its outbox
   * directory, to be sent if a channel of that name comes back.
   */
  public Future<Void> reconfigure(MedicConfig next) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      config = next;
      Map<String, Sender> kept = new LinkedHashMap<>();
      List<Future<Void>> loading = new ArrayList<>();
      for (ChannelConfig c : next.channels().values()) {
        Sender s = senders.get(c.name());
        Channel built;
        try {
          built = s != null && sameChannel(s.config, c) ? null : newChannel(c);
        } catch (RuntimeException | LinkageError e) {
          // A channel that cannot be built now must not leave the reload unfinished (every later
          // reload would wait for it): it keeps what it had, or waits for the next reload.
          log.atError().addKeyValue("channel", c.name()).addKeyValue("error", String.valueOf(e)).setCause(e)
              .log(s == null ? "could not build the new channel; it is left out until the next reload"
                  : "could not rebuild the channel; it keeps its previous settings");
          count(() -> metrics.loopError("delivery"));
          if (s != null) {
            kept.put(c.name(), senders.remove(c.name()));
          }
          continue;
        }
        senders.remove(c.name());
        if (s == null) {
          Sender fresh = new Sender(c, built);
          s = fresh;
          loading.add(outbox.pending(c.name()).map(entries -> {
            fresh.queue.addAll(entries);
            if (!entries.isEmpty()) {
              schedule(fresh, Duration.ZERO);
            }
            return null;
          }));
        } else if (built != null) {
          Channel old = s.channel;
          s.channel = built;
          if (s.sending) {
            s.retiring = old;
          } else {
            close(old);
          }
        }
        s.config = c;
        kept.put(c.name(), s);
      }
      for (Sender gone : senders.values()) {
        vertx.cancelTimer(gone.timer);
        if (!gone.queue.isEmpty()) {
          log.atWarn().addKeyValue("channel", gone.config.name()).addKeyValue("pending", gone.queue.size())
              .log("channel removed by a reload; its undelivered notifications stay in the outbox");
        }
        if (gone.sending) {
          gone.retiring = gone.channel;
        } else {
          close(gone.channel);
        }
      }
      senders.clear();
      senders.putAll(kept);
      resolveRemovedChecks(next);
      startRepeatScan();
      Future.all(loading).onComplete(ar -> done.complete());
    });
    return done.future();
  }

  /**
   * A check removed by a reload while bad is over as far as medic can tell: the channels that
   * announced it get its resolution (DESIGN §6), and what this notifier kept about it goes.
   */
  private void resolveRemovedChecks(MedicConfig next) {
    Instant now = clock.instant();
    for (Sender s : senders.values()) {
      for (String check : List.copyOf(s.announced.keySet())) {
        if (next.checks().containsKey(check)) {
          continue;
        }
        String was = s.announced.remove(check);
        s.announcedAt.remove(check);
        s.repeats.remove(check);
        enqueue(s, event("state", check, "ok", "ok", was, "the check was removed from the configuration",
            "RESOLVED " + check + ": removed from the configuration", now, details(check).put("removed", true)));
      }
    }
    for (String check : List.copyOf(incidents.keySet())) {
      if (!next.checks().containsKey(check)) {
        incidents.remove(check).release();
      }
    }
    takenOver.keySet().removeIf(check -> !next.checks().containsKey(check));
  }

  private static boolean sameChannel(ChannelConfig a, ChannelConfig b) {
    return a.type().equals(b.type()) && a.raw().equals(b.raw()) && a.timeout().equals(b.timeout());
  }

  private void close(Channel channel) {
    try {
      channel.close().onFailure(e -> log.atDebug().addKeyValue("error", e.getMessage()).log("channel close failed"));
    } catch (RuntimeException e) {
      log.atWarn().addKeyValue("error", String.valueOf(e)).log("channel close failed");
    }
  }

  /** Tells the channels about the daemon itself (config reloaded, reload failed), from any thread. */
  public void daemonNotice(String step, String severity, String message) {
    context.runOnContext(v -> route(daemonEvent(step, severity, message)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(repeatTimer);
    // Hand shared incidents over now rather than at the ttl.
    incidents.values().forEach(Lease::release);
    incidents.clear();
    resolving.values().forEach(Lease::release);
    resolving.clear();
    consumers.forEach(MessageConsumer::unregister);
    route(daemonEvent("stopping", "info", "medic " + config.instance() + " is stopping"));
    // Give queued notifications up to 1.5 s (no longer than they need); whatever is left stays in
    // the outbox for next time.
    Promise<Void> grace = Promise.promise();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1_500);
    vertx.setPeriodic(1, 25, id -> {
      boolean idle = senders.values().stream().allMatch(s -> s.queue.isEmpty() && !s.sending);
      if (idle || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        grace.tryComplete();
      }
    });
    return grace.future().compose(v -> {
      List<Future<Void>> closing = new ArrayList<>();
      for (Sender s : senders.values()) {
        vertx.cancelTimer(s.timer);
        closing.add(s.channel.close().recover(e -> Future.succeededFuture()));
      }
      return Future.join(closing);
    }).compose(v -> outbox.close());
  }

  // ---- events in ----------------------------------------------------------------------------------

  private void onState(JsonObject c) {
    String kind = c.getString("kind");
    String check = c.getString("check");
    String from = c.getString("from");
    String to = c.getString("to");
    Instant at = Instant.parse(c.getString("at"));
    boolean flapping = c.getBoolean("flapping", false);
    if ("flapping_started".equals(kind)) {
      announce(check, to, event("state", check, "warning", to, null, "flapping: " + c.getString("message"),
          "FLAPPING " + check, at, details(check).put("flapping", true)));
      return;
    }
    if (!"status".equals(kind) || flapping) {
      return; // a flapping check notified once, when it started flapping
    }
    if ("unknown".equals(from) && "ok".equals(to)) {
      return; // a first result that is fine: nothing to tell
    }
    if (!"ok".equals(to) && !c.getJsonArray("suppressedBy", new io.vertx.core.json.JsonArray()).isEmpty()) {
      log.atDebug().addKeyValue("check", check).log("notification held back: a dependency is critical");
      return;
    }
    String severity = Routing.severityOf(to);
    String title = ("ok".equals(to) ? "RESOLVED" : to.toUpperCase(Locale.ROOT)) + " " + check + ": "
        + c.getString("message");
    announce(check, to, event("state", check, severity, to, from, c.getString("message"), title, at, details(check)));
  }

  // ---- one voice per shared check ------------------------------------------------------------------

  private boolean sharedCheck(String check) {
    CheckConfig c = check == null ? null : config.checks().get(check);
    return c != null && c.shared() && leases.isPresent();
  }

  /**
   * Routes an event about a check; for a shared check in fleet mode only when this instance holds
   * the check's incident lease. The first instance to see the check go bad takes it and keeps it
   * (renewed) until it has announced the resolution; the others stay quiet. Events of one check
   * are decided in order, so a resolution never overtakes its problem.
   */
  private void announce(String check, String status, Event e) {
    if (!sharedCheck(check)) {
      route(e);
      return;
    }
    inOrder(check, () -> voiceOf(check, !"ok".equals(status)).map(mine -> {
      if (mine) {
        route(e);
      }
      if ("ok".equals(status)) {
        quietThenRelease(check);
      }
      return (Void) null;
    }));
  }

  /** Runs {@code step} after the shared check's earlier steps; the queue empties itself when done. */
  private void inOrder(String check, java.util.function.Supplier<Future<Void>> step) {
    Future<Void> previous = sharedQueue.getOrDefault(check, Future.succeededFuture());
    Future<Void> next = previous.transform(x -> step.get());
    sharedQueue.put(check, next);
    next.onComplete(x -> {
      if (sharedQueue.get(check) == next) {
        sharedQueue.remove(check);
      }
    });
  }

  /**
   * After announcing a resolution, the lease is kept one more ttl before it is given up: the other
   * instances see the check recover a moment later, and must not take the lease meanwhile and
   * announce the problem again. Coming back within that time, the incident is still ours.
   */
  private void quietThenRelease(String check) {
    takenOver.remove(check);
    Lease held = incidents.remove(check);
    if (held == null) {
      return;
    }
    resolving.put(check, held);
    vertx.setTimer(config.cluster().ttl().toMillis(), id -> {
      if (resolving.remove(check, held)) {
        held.release();
      }
    });
  }

  /** True when this instance speaks for the shared check: it holds the lease, or takes it now for a bad state. */
  private Future<Boolean> voiceOf(String check, boolean bad) {
    Lease recent = resolving.remove(check);
    if (recent != null && bad) {
      incidents.put(check, recent);
    } else if (recent != null) {
      resolving.put(check, recent);
    }
    Lease held = incidents.get(check);
    if (held != null && held.held()) {
      return Future.succeededFuture(true);
    }
    incidents.remove(check);
    if (!bad) {
      return Future.succeededFuture(false); // the instance that announced the problem resolves it
    }
    return leases.orElseThrow().acquire(ALERT_LEASE + check).map(a -> {
      if (a instanceof Acquisition.Granted g) {
        incidents.put(check, g.lease());
        return true;
      }
      String holder = ((Acquisition.HeldBy) a).holder();
      log.atInfo().addKeyValue("check", check).addKeyValue("holder", holder)
          .log("notification left to the instance that holds the shared check's lease: held by " + holder);
      return false;
    }).recover(e -> {
      // A second alert is better than none: without the backend, every instance speaks.
      log.atWarn().addKeyValue("check", check).addKeyValue("error", String.valueOf(e.getMessage()))
          .log("lease backend unreachable: notifying from this instance");
      return Future.succeededFuture(true);
    });
  }

  /**
   * A shared check still bad whose announcing instance has gone (its lease expired): this instance
   * takes the lease, probes the check once more — it may have been fixed meanwhile and this
   * instance just not have looked since — and announces it again only if it is still bad, so the
   * incident keeps a voice that will also resolve it.
   */
  private void takeOverOrphanedIncidents() {
    Instant now = clock.instant();
    for (CheckRuntime rt : live.all()) {
      String check = rt.name();
      String status = rt.state().status().label();
      if (!sharedCheck(check) || "ok".equals(status) || "unknown".equals(status) || sharedQueue.containsKey(check)
          || maintenance.covering(check, now).isPresent() || !live.suppressedBy(check).isEmpty()) {
        continue;
      }
      Lease held = incidents.get(check);
      Instant takenAt = takenOver.get(check);
      if (held != null && held.held() && takenAt != null) {
        ProbeResult r = rt.state().lastResult();
        if (rt.state().lastRun() != null && rt.state().lastRun().isAfter(takenAt)) {
          takenOver.remove(check);
          String message = r == null ? "still " + status : r.message();
          route(event("state", check, Routing.severityOf(status), status, status, message,
              status.toUpperCase(Locale.ROOT) + " " + check + ": " + message + " (taken over by " + config.instance()
                  + ")", now, details(check).put("takenOver", true)));
        }
        continue;
      }
      if (held != null && held.held()) {
        continue;
      }
      incidents.remove(check);
      inOrder(check, () -> leases.orElseThrow().acquire(ALERT_LEASE + check).map(a -> {
        if (a instanceof Acquisition.Granted g) {
          incidents.put(check, g.lease());
          takenOver.put(check, clock.instant());
          vertx.eventBus().send(dev.medic.Bus.REPROBE, check);
        }
        return (Void) null;
      }).recover(e -> Future.succeededFuture()));
    }
  }


  private void onRecovery(JsonObject r) {
    String step = r.getString("event");
    String check = r.getString("check");
    String severity = Routing.severityOfRecovery(step);
    String title = ("exhausted".equals(step) ? "RECOVERY EXHAUSTED " : "recovery " + step + " ") + check
        + (r.getString("action") == null ? "" : " (" + r.getString("action") + ")");
    JsonObject details = details(check).put("action", r.getString("action")).put("attempt", r.getInteger("attempt"))
        .put("step", step).put("dryRun", r.getBoolean("dryRun", false));
    String status = live.find(check).map(c -> c.state().status().label()).orElse("unknown");
    Event e = event("recovery", check, severity, status, null, r.getString("message"), title,
        Instant.parse(r.getString("at")), details);
    if (sharedCheck(check) && !incidents.containsKey(check)) {
      // Steps of a shared action come from the one instance that ran it; anything else about a
      // shared check (exhausted, held back) comes from the instance that speaks for its incident.
      if (!"started".equals(step) && !"succeeded".equals(step) && !"failed".equals(step)) {
        return;
      }
    }
    route(e);
  }

  private void route(Event e) {
    if (e.check() != null && !e.check().isEmpty() && maintenance.covering(e.check(), clock.instant()).isPresent()) {
      log.atDebug().addKeyValue("check", e.check()).log("notification held back: maintenance");
      return;
    }
    for (Sender s : senders.values()) {
      String announced = e.check() == null ? null : s.announced.get(e.check());
      if (!Routing.wants(s.config, e, announced)) {
        continue;
      }
      if ("state".equals(e.kind()) && e.check() != null) {
        if (e.resolved()) {
          s.announced.remove(e.check());
          s.announcedAt.remove(e.check());
          s.repeats.remove(e.check());
        } else {
          s.announced.put(e.check(), e.severity());
          s.announcedAt.put(e.check(), e.at());
        }
      }
      enqueue(s, e);
    }
  }

  private void enqueue(Sender s, Event e) {
    outbox.put(s.config.name(), e).onComplete(ar -> {
      Outbox.Entry entry;
      if (ar.failed()) {
        // The outbox is the promise not to lose anything. It cannot keep this one on disk now (a
        // full disk, most likely), so it waits in memory: delivered all the same, and written again
        // at the next attempt, once the disk takes it. Only a stop of medic before then loses it.
        log.atError().addKeyValue("channel", s.config.name()).addKeyValue("check", e.check())
            .addKeyValue("error", String.valueOf(ar.cause().getMessage()))
            .log("could not write a notification to the outbox; keeping it in memory and delivering it");
        count(() -> metrics.outboxWriteError(s.config.name()));
        entry = Outbox.Entry.inMemory(e);
      } else {
        entry = ar.result();
      }
      s.queue.add(entry);
      shed(s);
      if (s.timer < 0 && !s.sending) {
        schedule(s, s.config.groupWait());
      }
    });
  }

  /** Keeps the channel's queue within {@code outbox.max-events} and {@code max-size}; see {@link Shedding}. */
  private void shed(Sender s) {
    List<Outbox.Entry> victims = Shedding.victims(s.queue, s.inFlight, s.config.outbox());
    if (victims.isEmpty()) {
      return;
    }
    java.util.Set<Outbox.Entry> gone = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    gone.addAll(victims);
    s.queue.removeIf(gone::contains);
    outbox.delivered(victims).onFailure(err -> log.atWarn().addKeyValue("channel", s.config.name())
        .addKeyValue("error", String.valueOf(err.getMessage())).log("could not delete shed notifications from the outbox"));
    count(() -> metrics.notification(s.config.name(), "dropped", victims.size()));
    s.shedSinceLog += victims.size();
    long now = System.nanoTime();
    // Loud, but one line a minute: a receiver down for days must not flood the log as well.
    if (!s.shedLogged || now - s.shedLoggedAtNanos > java.util.concurrent.TimeUnit.MINUTES.toNanos(1)) {
      Outbox.Entry first = victims.get(0);
      log.atWarn().addKeyValue("channel", s.config.name()).addKeyValue("check", first.event().check())
          .addKeyValue("dropped", s.shedSinceLog).addKeyValue("queued", s.queue.size())
          .log("undelivered notifications over the channel's outbox limit (max-events " + s.config.outbox().maxEvents()
              + ", max-size " + s.config.outbox().maxBytes() + " bytes): dropped the oldest that a newer state of "
              + "the same check supersedes, then info events; each check's latest state is kept");
      s.shedSinceLog = 0;
      s.shedLoggedAtNanos = now;
      s.shedLogged = true;
    }
  }

  /** Writes again what the outbox could not take before; quiet while the disk is still full. */
  private void persistAgain(Sender s) {
    if (s.persisting) {
      return;
    }
    List<Outbox.Entry> waiting = s.queue.stream().filter(e -> !e.onDisk() && !s.inFlight.contains(e)).toList();
    if (waiting.isEmpty()) {
      return;
    }
    s.persisting = true;
    List<Future<Outbox.Entry>> writes = new ArrayList<>();
    for (Outbox.Entry e : waiting) {
      writes.add(outbox.put(s.config.name(), e.event()));
    }
    Future.join(writes).onComplete(ar -> {
      s.persisting = false;
      int written = 0;
      List<Outbox.Entry> orphans = new ArrayList<>();
      for (int i = 0; i < waiting.size(); i++) {
        Future<Outbox.Entry> w = writes.get(i);
        if (w.failed()) {
          continue;
        }
        int at = indexOf(s.queue, waiting.get(i));
        if (at < 0 || s.inFlight.contains(waiting.get(i))) {
          orphans.add(w.result()); // delivered or shed meanwhile: its file is not needed
        } else {
          s.queue.set(at, w.result());
          written++;
        }
      }
      if (!orphans.isEmpty()) {
        outbox.delivered(orphans);
      }
      if (written > 0) {
        log.atWarn().addKeyValue("channel", s.config.name()).addKeyValue("events", written)
            .addKeyValue("check", waiting.get(0).event().check())
            .log("the outbox takes writes again: notifications kept in memory are on disk now");
      }
    });
  }

  private static int indexOf(List<Outbox.Entry> queue, Outbox.Entry entry) {
    for (int i = 0; i < queue.size(); i++) {
      if (queue.get(i) == entry) {
        return i;
      }
    }
    return -1;
  }

  /** A meter that fails must not stop a delivery loop; the loop's own log lines still tell. */
  private static void count(Runnable meter) {
    try {
      meter.run();
    } catch (RuntimeException e) {
      log.atDebug().addKeyValue("error", String.valueOf(e)).log("could not update a notification meter");
    }
  }

  /** Re-announces checks that are still bad after repeat-interval (and keeps Alertmanager's alerts alive). */
  private void repeatStillBad() {
    try {
      takeOverOrphanedIncidents();
    } catch (RuntimeException e) {
      log.atError().addKeyValue("error", String.valueOf(e)).setCause(e)
          .log("could not look for orphaned shared incidents; trying again at the next scan");
      count(() -> metrics.loopError("repeat-scan"));
    }
    Instant now = clock.instant();
    for (Sender s : senders.values()) {
      Duration every = s.config.repeatInterval();
      if (every.isZero()) {
        continue;
      }
      for (Map.Entry<String, Instant> a : new ArrayList<>(s.announcedAt.entrySet())) {
        String check = a.getKey();
        try {
          repeatIfDue(s, check, a.getValue(), every, now);
        } catch (RuntimeException e) {
          // One check's trouble must not end the scan for the others, nor the next scans.
          log.atError().addKeyValue("channel", s.config.name()).addKeyValue("check", check)
              .addKeyValue("error", String.valueOf(e)).setCause(e).log("could not repeat a still-bad check");
          count(() -> metrics.loopError("repeat-scan"));
        }
      }
    }
  }

  private void repeatIfDue(Sender s, String check, Instant last, Duration every, Instant now) {
    CheckRuntime rt = live.find(check).orElse(null);
    if (rt == null || now.isBefore(last.plus(every))) {
      return;
    }
    String status = rt.state().status().label();
    if ("ok".equals(status)) {
      return;
    }
    if (maintenance.covering(check, now).isPresent() || !live.suppressedBy(check).isEmpty()) {
      return;
    }
    if (s.queue.stream().anyMatch(q -> "state".equals(q.event().kind()) && check.equals(q.event().check()))) {
      // The receiver has not had the check's last state yet: a reminder on top adds nothing
      // but a queue that grows while the receiver is down.
      s.announcedAt.put(check, now);
      return;
    }
    int n = s.repeats.merge(check, 1, Integer::sum);
    ProbeResult r = rt.state().lastResult();
    String message = r == null ? "still " + status : r.message();
    Event e = event("state", check, Routing.severityOf(status), status, status, message,
        "STILL " + status.toUpperCase(Locale.ROOT) + " " + check + ": " + message, now,
        details(check).put("repeat", n).put("since", rt.state().since().toString()));
    s.announcedAt.put(check, now);
    enqueue(s, e);
  }

  // ---- delivery -----------------------------------------------------------------------------------

  private void schedule(Sender s, Duration delay) {
    vertx.cancelTimer(s.timer);
    s.timer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> {
      s.timer = -1;
      deliver(s);
    });
  }

  private void deliver(Sender s) {
    if (s.sending || s.queue.isEmpty()) {
      return;
    }
    try {
      deliverNow(s);
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      // Whatever went wrong, the channel's loop goes on: retried after the usual back-off.
      s.sending = false;
      s.inFlight.clear();
      s.failures++;
      log.atError().addKeyValue("channel", s.config.name()).addKeyValue("check", s.queue.get(0).event().check())
          .addKeyValue("error", String.valueOf(e)).setCause(e).log("notification delivery failed unexpectedly; retrying");
      count(() -> metrics.loopError("delivery"));
      schedule(s, backoff(s.failures));
    }
  }

  private void deliverNow(Sender s) {
    persistAgain(s);
    Instant now = clock.instant();
    List<Outbox.Entry> expired = new ArrayList<>();
    for (Outbox.Entry e : s.queue) {
      if (now.isAfter(e.event().at().plus(s.config.retryFor()))) {
        expired.add(e);
      }
    }
    if (!expired.isEmpty()) {
      s.queue.removeAll(expired);
      outbox.givenUp(expired).onFailure(err -> log.atWarn().addKeyValue("channel", s.config.name())
          .addKeyValue("error", String.valueOf(err.getMessage())).log("could not move given-up notifications aside"));
      count(() -> metrics.notification(s.config.name(), "given-up", expired.size()));
      log.atError().addKeyValue("channel", s.config.name()).addKeyValue("events", expired.size())
          .log("gave up notifications after retrying for " + s.config.retryFor().toHours() + "h; kept in outbox/given-up");
    }
    if (s.queue.isEmpty()) {
      return;
    }
    List<Outbox.Entry> batch = List.copyOf(s.queue.subList(0, Math.min(BATCH, s.queue.size())));
    List<Event> events = batch.stream().map(Outbox.Entry::event).toList();
    s.sending = true;
    s.inFlight.addAll(batch);
    bounded(s, events).onComplete(ar -> {
      s.sending = false;
      s.inFlight.clear();
      if (s.retiring != null) {
        close(s.retiring);
        s.retiring = null;
      }
      if (ar.succeeded()) {
        s.failures = 0;
        java.util.Set<Outbox.Entry> sent = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        sent.addAll(batch);
        s.queue.removeIf(sent::contains);
        count(() -> metrics.notification(s.config.name(), "sent", batch.size()));
        outbox.delivered(batch).onFailure(err -> log.atWarn().addKeyValue("channel", s.config.name())
            .addKeyValue("error", String.valueOf(err.getMessage()))
            .log("could not delete delivered notifications from the outbox; they may be sent again after a restart"));
        log.atInfo().addKeyValue("channel", s.config.name()).addKeyValue("events", batch.size())
            .addKeyValue("check", events.get(0).check()).log("notification delivered");
        if (!s.queue.isEmpty()) {
          schedule(s, Duration.ZERO);
        }
      } else {
        s.failures++;
        count(() -> metrics.notification(s.config.name(), "failed"));
        Duration wait = backoff(s.failures);
        log.atWarn().addKeyValue("channel", s.config.name()).addKeyValue("events", batch.size())
            .addKeyValue("attempt", s.failures).addKeyValue("error", ar.cause().getMessage())
            .log("notification not delivered; retrying in " + wait.toSeconds() + "s");
        schedule(s, wait);
      }
    });
  }

  private Future<Void> bounded(Sender s, List<Event> events) {
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(s.config.timeout().toMillis() + 250, id -> p.tryFail(
        "no answer within " + s.config.timeout().toSeconds() + "s"));
    Future<Void> f;
    try {
      f = s.channel.send(events);
      if (f == null) {
        f = Future.failedFuture(new IllegalStateException("the " + s.config.type() + " channel returned no future"));
      }
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete();
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  /** 1 s, doubling, at most 5 min. */
  static Duration backoff(int failures) {
    long ms = 1000L << Math.min(20, failures - 1);
    return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
  }

  // ---- building events -----------------------------------------------------------------------------

  private Event event(String kind, String check, String severity, String status, String previous, String message,
      String title, Instant at, JsonObject details) {
    String key = config.instance() + "|" + kind + "|" + check + "|" + previous + "|" + status + "|" + message + "|" + at
        + "|" + details.getValue("repeat") + "|" + details.getValue("step") + "|" + details.getValue("attempt");
    String id = UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
    return new Event(id, kind, check, severity, status, previous, message, title, config.instance(), at, details);
  }

  private Event daemonEvent(String what, String severity, String message) {
    Instant now = clock.instant();
    return event("daemon", null, severity, live.overall().label(), null, message, message, now,
        new JsonObject().put("step", what));
  }

  private JsonObject details(String check) {
    JsonObject measurements = new JsonObject();
    live.find(check).map(c -> c.state().lastResult()).ifPresent(r -> {
      for (Map.Entry<String, Measurement> m : r.measurements().entrySet()) {
        measurements.put(m.getKey(), new JsonObject().put("value", m.getValue().value())
            .put("unit", m.getValue().unit().name().toLowerCase(Locale.ROOT)).put("text", m.getValue().formatted()));
      }
    });
    String type = live.find(check).map(c -> c.config().type()).orElse(null);
    JsonObject details = new JsonObject().put("type", type).put("measurements", measurements);
    if (sharedCheck(check)) {
      // Alertmanager leaves the instance out of a shared check's labels, so its de-duplication works across the fleet.
      details.put("scope", "shared");
    }
    return details;
  }
}
