package dev.medic.metrics;

import dev.medic.probe.Measurement;
import dev.medic.probe.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one place that names medic's own meters and their tags (DESIGN §8). Micrometer's Prometheus
 * naming turns {@code medic.probes} into {@code medic_probes_total} and a timer
 * {@code medic.probe.duration} into the {@code medic_probe_duration_seconds} histogram.
 */
public final class MedicMetrics {

  private static final Duration[] PROBE_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private final PrometheusMeterRegistry registry;
  private final Map<String, CheckMeters> checks = new ConcurrentHashMap<>();
  private final AtomicReference<Double> schedulerLag = new AtomicReference<>(0.0);
  private final Map<String, Meter> budgets = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger reloadSuccessful = new java.util.concurrent.atomic.AtomicInteger(1);
  private final AtomicReference<Double> reloadSuccessAt = new AtomicReference<>(0.0);
  private JvmGcMetrics gcMetrics;
  private final Counter journalWriteErrors;

  public MedicMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    // Two of Micrometer's process meters fail `promtool check metrics` (an abbreviated unit, a
    // gauge ending in _count): rename one, drop the other (process_cpu_usage stays).
    registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")));
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
      }
    });
    Gauge.builder("medic.scheduler.lag", schedulerLag, AtomicReference::get)
        .description("How late the latest scheduled probe started, in seconds")
        .baseUnit("seconds")
        .register(registry);
    // The names Prometheus itself and Alertmanager use for the same thing, so the same alert rule fits.
    Gauge.builder("medic.config.last.reload.successful", reloadSuccessful, java.util.concurrent.atomic.AtomicInteger::get)
        .description("1 when the latest load or reload of the configuration succeeded, 0 when it failed")
        .register(registry);
    Gauge.builder("medic.config.last.reload.success.timestamp", reloadSuccessAt, AtomicReference::get)
        .description("When the configuration was last loaded or reloaded successfully, in Unix seconds")
        .baseUnit("seconds")
        .register(registry);
    // Registered at 0, so that an alert on increase() sees the first failure.
    journalWriteErrors = Counter.builder("medic.journal.write.errors")
        .description("Journal records that could not be written (a full disk, an I/O error); recovery waits for the journal")
        .register(registry);
  }

  /** Counts one journal record that could not be written. */
  public void journalWriteError() {
    journalWriteErrors.increment();
  }

  /** Records a load or reload of the configuration: its outcome, and when it last succeeded. */
  public void configLoaded(boolean successful, java.time.Instant at) {
    reloadSuccessful.set(successful ? 1 : 0);
    if (successful) {
      reloadSuccessAt.set(at.toEpochMilli() / 1000.0);
    }
  }

  public static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /** JVM and process meters; separate so that short-lived registries (tests, CLI) can skip them. */
  public void bindJvm() {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  /** Registers a check's status gauge; its value is read from {@code status} at scrape time. */
  public void addCheck(String check, String type, java.util.function.Supplier<Status> status) {
    removeCheck(check);
    CheckMeters m = new CheckMeters(check, type);
    m.own.add(Gauge.builder("medic.check.status", () -> status.get().code)
        .description("Check state: 0 ok, 1 warning, 2 critical, 3 unknown")
        .tags("check", check, "type", type)
        .register(registry));
    m.duration = Timer.builder("medic.probe.duration")
        .description("Probe duration")
        .tags("check", check, "type", type)
        // A dozen fixed buckets, not Micrometer's ~70 percentile ones: with thousands of checks
        // that is memory, scrape size and work on every probe.
        .serviceLevelObjectives(PROBE_BUCKETS)
        .register(registry);
    m.own.add(m.duration);
    checks.put(check, m);
  }

  /**
   * Records one finished probe.
   *
   * @param outcome the result's status label, or {@code timeout} when the scheduler's hard
   *     deadline (or a probe's own timeout message, "timed out after …") ended the probe
   * @param measurements each becomes {@code medic_check_measurement}; an {@code expires-at} one
   *     (a tls check's) also {@code medic_tls_certificate_expiry_timestamp_seconds}
   */
  public void probed(String check, Duration took, String outcome, Map<String, Measurement> measurements) {
    CheckMeters m = checks.get(check);
    if (m == null) {
      return;
    }
    m.duration.record(took);
    m.outcomes.computeIfAbsent(outcome, o -> Counter.builder("medic.probes")
        .description("Probes run, by outcome")
        .tags("check", check, "type", m.type, "outcome", o)
        .register(registry)).increment();
    // A measurement the probe no longer reports must not linger at its last value. Most probes
    // report the same names every run: then there is nothing to remove and nothing to copy.
    boolean sameNames = m.measurements.size() == measurements.size()
        && measurements.keySet().containsAll(m.measurements.keySet());
    for (String gone : sameNames ? List.<String>of() : List.copyOf(m.measurements.keySet())) {
      if (!measurements.containsKey(gone)) {
        m.measurements.remove(gone);
        Meter gauge = m.gauges.remove(gone);
        if (gauge != null) {
          registry.remove(gauge);
          m.own.remove(gauge);
        }
      }
    }
    for (Map.Entry<String, Measurement> e : measurements.entrySet()) {
      double[] holder = m.measurements.computeIfAbsent(e.getKey(), name -> {
        double[] h = new double[1];
        Gauge gauge = Gauge.builder("medic.check.measurement", h, x -> x[0])
            .description("Latest value of a check's measurement, in base units (seconds, ratio 0..1, bytes)")
            .tags(Tags.of("check", check, "measurement", name))
            .register(registry);
        m.own.add(gauge);
        m.gauges.put(name, gauge);
        return h;
      });
      holder[0] = e.getValue().value();
    }
    Measurement expiry = measurements.get("expires-at");
    if (expiry != null) {
      if (m.certificateExpiry == null) {
        double[] h = new double[1];
        m.own.add(Gauge.builder("medic.tls.certificate.expiry.timestamp", h, x -> x[0])
            .description("When the check's earliest-expiring certificate expires, in seconds since the epoch")
            .baseUnit("seconds")
            .tags("check", check)
            .register(registry));
        m.certificateExpiry = h;
      }
      m.certificateExpiry[0] = expiry.value();
    }
  }

  /** Counts one finished recovery attempt ({@code success}, {@code failure} or {@code dry-run}). */
  public void recoveryAttempt(String action, String check, String outcome) {
    Counter.builder("medic.recovery.attempts")
        .description("Recovery action attempts, by outcome")
        .tags("action", action, "check", check, "outcome", outcome)
        .register(registry).increment();
  }

  /** Attempts left for (action, check); read at scrape time from {@code remaining}. */
  public void recoveryBudget(String action, String check, java.util.function.IntSupplier remaining) {
    String key = action + "\u0000" + check;
    budgets.computeIfAbsent(key, k -> Gauge.builder("medic.recovery.budget.remaining", remaining::getAsInt)
        .description("Recovery attempts left before the check is exhausted")
        .tags("action", action, "check", check)
        .register(registry));
  }

  /** Removes the budget gauges (when recovery stops). */
  public void removeRecoveryBudgets() {
    for (Meter m : budgets.values()) {
      registry.remove(m);
    }
    budgets.clear();
  }

  /** Counts notifications by channel and outcome: {@code sent}, {@code failed} (an attempt), {@code given-up}, {@code dropped} (shed by the outbox cap). */
  public void notification(String channel, String outcome) {
    notification(channel, outcome, 1);
  }

  public void notification(String channel, String outcome, int n) {
    Counter.builder("medic.notifications")
        .description("Notifications by channel and outcome: sent (events delivered), failed (delivery attempts), "
            + "given-up (events dropped after retry-for), dropped (events shed by the channel's outbox cap)")
        .tags("channel", channel, "outcome", outcome)
        .register(registry).increment(n);
  }

  /**
   * The API's own limits: open connections and the limit in force
   * ({@code medic_api_connections}, {@code medic_api_connections_limit}), open {@code /events}
   * streams ({@code medic_events_clients}); read at scrape time.
   */
  public void apiGauges(java.util.function.IntSupplier connections, int connectionLimit,
      java.util.function.IntSupplier eventClients) {
    Gauge.builder("medic.api.connections", connections::getAsInt)
        .description("Open connections to the API")
        .register(registry);
    Gauge.builder("medic.api.connections.limit", () -> connectionLimit)
        .description("Concurrent API connections allowed: the lower of medic.http.max-connections and a quarter "
            + "of the open-file limit")
        .register(registry);
    Gauge.builder("medic.events.clients", eventClients::getAsInt)
        .description("Open /events streams")
        .register(registry);
  }

  /** Counts one {@code /events} client closed because it fell more than the backlog behind. */
  public void eventsClientDropped() {
    Counter.builder("medic.events.clients.dropped")
        .description("/events clients closed because they read too slowly (fell more than medic.http.events-backlog "
            + "events behind)")
        .register(registry).increment();
  }

  /**
   * Counts one API connection that medic closed: {@code max-connections} (over the limit, closed
   * at once) or {@code header-timeout} (no whole request within medic.http.header-timeout).
   */
  public void apiConnectionClosed(String reason) {
    Counter.builder("medic.api.connections.closed")
        .description("API connections closed by medic, by reason: max-connections, header-timeout")
        .tags("reason", reason)
        .register(registry).increment();
  }

  /**
   * Counts one API request answered 503 because a limit was reached: {@code max-event-clients},
   * or {@code busy} (too many /metrics or /status answers in flight).
   */
  public void apiRequestRejected(String reason) {
    Counter.builder("medic.api.requests.rejected")
        .description("API requests answered 503 because a limit was reached, by reason: max-event-clients, busy")
        .tags("reason", reason)
        .register(registry).increment();
  }

  /**
   * Counts an exception caught in a loop that must go on ({@code probe}: a check's run, evaluation,
   * metrics or publishing; {@code delivery}: a channel's send; {@code repeat-scan}; {@code lease-renewal}):
   * the loop carried on, and the log line at ERROR says what was lost.
   */
  public void loopError(String loop) {
    Counter.builder("medic.loop.errors")
        .description("Exceptions caught in a loop that went on (probe, delivery, repeat-scan, lease-renewal)")
        .tags("loop", loop)
        .register(registry).increment();
  }

  /** Counts a notification that could not be written to (or moved or deleted in) the outbox on disk. */
  public void outboxWriteError(String channel) {
    Counter.builder("medic.outbox.write.errors")
        .description("Failed writes to the notification outbox on disk, by channel; the notification is kept "
            + "in memory and delivered, and written again when the disk takes it")
        .tags("channel", channel)
        .register(registry).increment();
  }

  public void schedulerLag(Duration lag) {
    schedulerLag.set(Math.max(0, lag.toNanos() / 1e9));
  }

  /** Removes every meter of a check (on reload or stop), so that no stale series stays. */
  public void removeCheck(String check) {
    CheckMeters m = checks.remove(check);
    if (m != null) {
      for (Meter meter : m.own) {
        registry.remove(meter);
      }
      for (Counter c : m.outcomes.values()) {
        registry.remove(c);
      }
    }
  }

  public void close() {
    if (gcMetrics != null) {
      gcMetrics.close();
    }
  }

  private static final class CheckMeters {
    final String check;
    final String type;
    final List<Meter> own = new ArrayList<>();
    final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
    final Map<String, double[]> measurements = new ConcurrentHashMap<>();
    final Map<String, Meter> gauges = new ConcurrentHashMap<>();
    Timer duration;
    /** The {@code expires-at} measurement as its own gauge (DESIGN §8), registered when first seen. */
    double[] certificateExpiry;

    CheckMeters(String check, String type) {
      this.check = check;
      this.type = type;
    }
  }
}
