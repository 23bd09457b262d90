package dev.medic.notify;

import dev.medic.Bus;
import dev.medic.config.ChannelConfig;
import dev.medic.config.MedicConfig;
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

  private volatile MedicConfig config;
  private final LiveChecks live;
  private final Maintenance maintenance;
  private final Outbox outbox;
  private final MedicMetrics metrics;
  private final Clock clock;
  private final Map<String, Sender> senders = new LinkedHashMap<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private long repeatTimer = -1;

  public NotifierVerticle(MedicConfig config, LiveChecks live, Maintenance maintenance, Outbox outbox,
      MedicMetrics metrics, Clock clock) {
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
        Sender s = senders.remove(c.name());
        if (s == null) {
          Sender fresh = new Sender(c, newChannel(c));
          s = fresh;
          loading.add(outbox.pending(c.name()).map(entries -> {
            fresh.queue.addAll(entries);
            if (!entries.isEmpty()) {
              schedule(fresh, Duration.ZERO);
            }
            return null;
          }));
        } else if (!sameChannel(s.config, c)) {
          Channel old = s.channel;
          s.channel = newChannel(c);
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
      startRepeatScan();
      Future.all(loading).onComplete(ar -> done.complete());
    });
    return done.future();
  }

  private static boolean sameChannel(ChannelConfig a, ChannelConfig b) {
    return a.type().equals(b.type()) && a.raw().equals(b.raw()) && a.timeout().equals(b.timeout());
  }

  private void close(Channel channel) {
    channel.close().onFailure(e -> log.atDebug().addKeyValue("error", e.getMessage()).log("channel close failed"));
  }

  /** Tells the channels about the daemon itself (config reloaded, reload failed), from any thread. */
  public void daemonNotice(String step, String severity, String message) {
    context.runOnContext(v -> route(daemonEvent(step, severity, message)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(repeatTimer);
    consumers.forEach(MessageConsumer::unregister);
    route(daemonEvent("stopping", "info", "medic " + config.instance() + " is stopping"));
    // Give queued notifications a moment; whatever is left stays in the outbox for next time.
    Promise<Void> grace = Promise.promise();
    vertx.setTimer(1_500, id -> grace.tryComplete());
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
      route(event("state", check, "warning", to, null, "flapping: " + c.getString("message"),
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
    route(event("state", check, severity, to, from, c.getString("message"), title, at, details(check)));
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
    route(event("recovery", check, severity, status, null, r.getString("message"), title,
        Instant.parse(r.getString("at")), details));
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
      if (ar.failed()) {
        // The outbox is the promise not to lose anything: say loudly that it could not keep it.
        log.atError().addKeyValue("channel", s.config.name()).addKeyValue("check", e.check())
            .addKeyValue("error", ar.cause().getMessage()).log("could not write a notification to the outbox");
        metrics.notification(s.config.name(), "failed");
        return;
      }
      s.queue.add(ar.result());
      if (s.timer < 0 && !s.sending) {
        schedule(s, s.config.groupWait());
      }
    });
  }

  /** Re-announces checks that are still bad after repeat-interval (and keeps Alertmanager's alerts alive). */
  private void repeatStillBad() {
    Instant now = clock.instant();
    for (Sender s : senders.values()) {
      Duration every = s.config.repeatInterval();
      if (every.isZero()) {
        continue;
      }
      for (Map.Entry<String, Instant> a : new ArrayList<>(s.announcedAt.entrySet())) {
        String check = a.getKey();
        CheckRuntime rt = live.find(check).orElse(null);
        if (rt == null || now.isBefore(a.getValue().plus(every))) {
          continue;
        }
        String status = rt.state().status().label();
        if ("ok".equals(status)) {
          continue;
        }
        if (maintenance.covering(check, now).isPresent() || !live.suppressedBy(check).isEmpty()) {
          continue;
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
    }
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
    Instant now = clock.instant();
    List<Outbox.Entry> expired = new ArrayList<>();
    for (Outbox.Entry e : s.queue) {
      if (now.isAfter(e.event().at().plus(s.config.retryFor()))) {
        expired.add(e);
      }
    }
    if (!expired.isEmpty()) {
      s.queue.removeAll(expired);
      outbox.givenUp(expired);
      metrics.notification(s.config.name(), "given-up", expired.size());
      log.atError().addKeyValue("channel", s.config.name()).addKeyValue("events", expired.size())
          .log("gave up notifications after retrying for " + s.config.retryFor().toHours() + "h; kept in outbox/given-up");
    }
    if (s.queue.isEmpty()) {
      return;
    }
    List<Outbox.Entry> batch = List.copyOf(s.queue.subList(0, Math.min(BATCH, s.queue.size())));
    List<Event> events = batch.stream().map(Outbox.Entry::event).toList();
    s.sending = true;
    bounded(s, events).onComplete(ar -> {
      s.sending = false;
      if (s.retiring != null) {
        close(s.retiring);
        s.retiring = null;
      }
      if (ar.succeeded()) {
        s.failures = 0;
        s.queue.removeAll(batch);
        metrics.notification(s.config.name(), "sent", batch.size());
        outbox.delivered(batch);
        log.atInfo().addKeyValue("channel", s.config.name()).addKeyValue("events", batch.size())
            .addKeyValue("check", events.get(0).check()).log("notification delivered");
        if (!s.queue.isEmpty()) {
          schedule(s, Duration.ZERO);
        }
      } else {
        s.failures++;
        metrics.notification(s.config.name(), "failed");
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
    } catch (RuntimeException e) {
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
    return new JsonObject().put("type", type).put("measurements", measurements);
  }
}
