package dev.medic.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Bus;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.Measurement;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.testing.ScriptedProbeType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class SchedulerVerticleTest {

  private ScriptedProbeType scripted;
  private LiveChecks live;
  private MedicMetrics metrics;

  @BeforeEach
  void setUp() {
    scripted = new ScriptedProbeType();
    live = new LiveChecks();
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
  }

  private Future<String> deploy(Vertx vertx, String checks, String extra) throws Exception {
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(scripted), vertx)
        .loadString("medic { " + extra + "\n checks { " + checks + " } }", "test.conf");
    return vertx.deployVerticle(new SchedulerVerticle(cfg, live, metrics, Clock.systemUTC()));
  }

  private static Future<ProbeResult> after(Vertx vertx, long ms, ProbeResult r) {
    Promise<ProbeResult> p = Promise.promise();
    vertx.setTimer(ms, id -> p.complete(r));
    return p.future();
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void firstRoundStartsAtOnceSpreadOverTheStartupSpread(Vertx vertx, VertxTestContext ctx) throws Exception {
    StringBuilder checks = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      checks.append("c").append(i).append(" { type = scripted }\n");
    }
    long t0 = System.nanoTime();
    deploy(vertx, checks.toString(), "interval = 30s, startup-spread = 500ms").onComplete(ctx.succeeding(id ->
        vertx.setTimer(900, t -> ctx.verify(() -> {
          long first = Long.MAX_VALUE;
          long last = 0;
          for (int i = 0; i < 20; i++) {
            List<Long> s = scripted.starts("c" + i);
            assertThat(s).as("c%d probed once in the first round", i).hasSize(1);
            first = Math.min(first, s.get(0));
            last = Math.max(last, s.get(0));
          }
          assertThat(TimeUnit.NANOSECONDS.toMillis(first - t0)).isLessThan(400);
          // Spread, not a herd: the starts cover a good part of the 500 ms, and not more.
          assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).isBetween(250L, 600L);
          assertThat(live.ready()).isTrue();
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void laterRoundsKeepTheCheckOnItsPhase(Vertx vertx, VertxTestContext ctx) throws Exception {
    // A probe that takes 120 ms must not push later rounds by 120 ms each time.
    scripted.script("a", i -> after(vertx, 120, ProbeResult.ok("fine")));
    deploy(vertx, "a { type = scripted, interval = 300ms, timeout = 200ms }", "").onComplete(ctx.succeeding(id ->
        vertx.setTimer(1450, t -> ctx.verify(() -> {
          List<Long> s = scripted.starts("a");
          assertThat(s).hasSizeBetween(4, 6);
          for (int i = 1; i < s.size(); i++) {
            long gapMs = TimeUnit.NANOSECONDS.toMillis(s.get(i) - s.get(i - 1));
            assertThat(gapMs).as("gap %d", i).isBetween(250L, 380L);
          }
          long drift = TimeUnit.NANOSECONDS.toMillis(s.get(s.size() - 1) - s.get(0)) - 300L * (s.size() - 1);
          assertThat(Math.abs(drift)).as("drift over %d rounds", s.size()).isLessThan(100);
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aHungProbeGetsACriticalResultAtItsDeadlineAndDelaysNoOtherCheck(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    scripted.script("hung", i -> Promise.<ProbeResult>promise().future());
    List<String> changes = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Bus.STATE, m -> changes.add(m.body().getString("check") + ":"
        + m.body().getString("to")));
    long t0 = System.nanoTime();
    deploy(vertx, "hung { type = scripted, timeout = 500ms, fall = 1 }\n fast { type = scripted, interval = 200ms, "
        + "timeout = 100ms }", "startup-spread = 0s").onComplete(ctx.succeeding(id ->
        vertx.setTimer(1200, t -> ctx.verify(() -> {
          CheckRuntime hung = live.find("hung").orElseThrow();
          assertThat(hung.state().status()).isEqualTo(Status.CRITICAL);
          assertThat(hung.state().lastResult().message()).startsWith("timed out after 500ms");
          long at = TimeUnit.NANOSECONDS.toMillis(hung.state().lastResult().latency().toNanos());
          assertThat(at).isBetween(500L, 1000L);
          // The other check went on every 200 ms meanwhile.
          assertThat(scripted.starts("fast")).hasSizeGreaterThanOrEqualTo(5);
          assertThat(changes).contains("hung:critical", "fast:ok");
          assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aThrowingOrFailingProbeBecomesACriticalResult(Vertx vertx, VertxTestContext ctx) throws Exception {
    scripted.script("throws", i -> {
      throw new IllegalStateException("boom");
    });
    scripted.script("fails", i -> Future.failedFuture(new RuntimeException("broken pipe")));
    deploy(vertx, "throws { type = scripted }\n fails { type = scripted }", "").onComplete(ctx.succeeding(id ->
        vertx.setTimer(1300, t -> ctx.verify(() -> {
          assertThat(live.find("throws").orElseThrow().state().lastResult().message()).isEqualTo("probe failed: boom");
          assertThat(live.find("fails").orElseThrow().state().lastResult().message())
              .isEqualTo("probe failed: broken pipe");
          assertThat(live.overall()).isEqualTo(Status.CRITICAL);
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void anUnconfirmedChangeIsProbedAtRetryIntervalNotAtTheNextCycle(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    // ok, then critical from the second run on; fall 3 with retry every 150 ms confirms in ~300 ms,
    // not in three 30 s cycles.
    scripted.script("db", i -> Future.succeededFuture(i == 1 ? ProbeResult.ok("up") : ProbeResult.critical("down")));
    List<Long> confirmedAt = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Bus.STATE, m -> {
      if ("critical".equals(m.body().getString("to"))) {
        confirmedAt.add(System.nanoTime());
      }
    });
    deploy(vertx, "db { type = scripted, interval = 1s, timeout = 500ms, fall = 3, retry-interval = 150ms }", "")
        .onComplete(ctx.succeeding(id -> {
          long t0 = System.nanoTime();
          // The second run comes at the next cycle (1 s), then two retries at 150 ms confirm it.
          vertx.setTimer(1700, t -> ctx.verify(() -> {
            assertThat(confirmedAt).hasSize(1);
            long ms = TimeUnit.NANOSECONDS.toMillis(confirmedAt.get(0) - t0);
            assertThat(ms).isBetween(1200L, 1600L);
            List<Long> s = scripted.starts("db");
            assertThat(TimeUnit.NANOSECONDS.toMillis(s.get(2) - s.get(1))).isBetween(120L, 260L);
            assertThat(TimeUnit.NANOSECONDS.toMillis(s.get(3) - s.get(2))).isBetween(120L, 260L);
            ctx.completeNow();
          }));
        }));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aReprobeRequestRunsAtOnceAndNeverOverlapsARun(Vertx vertx, VertxTestContext ctx) throws Exception {
    scripted.script("cache", i -> after(vertx, 100, ProbeResult.ok("fine")));
    deploy(vertx, "cache { type = scripted, interval = 30s, timeout = 1s }", "").onComplete(ctx.succeeding(id ->
        vertx.setTimer(300, t -> {
          long asked = System.nanoTime();
          // A burst of requests (a dropped connection seen by several callbacks) while idle.
          for (int i = 0; i < 5; i++) {
            scripted.context("cache").reprobe().run();
          }
          vertx.setTimer(500, t2 -> ctx.verify(() -> {
            List<Long> s = scripted.starts("cache");
            assertThat(s.size()).isBetween(2, 3);
            assertThat(TimeUnit.NANOSECONDS.toMillis(s.get(1) - asked)).isLessThan(100);
            assertThat(scripted.maxInFlight("cache")).isEqualTo(1);
            ctx.completeNow();
          }));
        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void dependentChecksNameWhatSuppressesThem(Vertx vertx, VertxTestContext ctx) throws Exception {
    scripted.script("db", i -> Future.succeededFuture(ProbeResult.critical("refused")));
    // app answers after db has been judged, as a real app behind a dead database would.
    scripted.script("app", i -> after(vertx, 100, ProbeResult.critical("502")));
    List<JsonObject> appChanges = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Bus.STATE, m -> {
      if ("app".equals(m.body().getString("check"))) {
        appChanges.add(m.body());
      }
    });
    deploy(vertx, "db { type = scripted }\n app { type = scripted, depends-on = [db] }", "startup-spread = 0s")
        .onComplete(ctx.succeeding(id -> vertx.setTimer(500, t -> ctx.verify(() -> {
          assertThat(live.suppressedBy("app")).containsExactly("db");
          assertThat(live.suppressedBy("db")).isEmpty();
          // app still reports its own status.
          assertThat(live.find("app").orElseThrow().state().status()).isEqualTo(Status.CRITICAL);
          assertThat(appChanges).hasSize(1);
          assertThat(appChanges.get(0).getJsonArray("suppressedBy").getList()).containsExactly("db");
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void metricsCarryStatusDurationOutcomeAndMeasurements(Vertx vertx, VertxTestContext ctx) throws Exception {
    scripted.script("q", i -> Future.succeededFuture(ProbeResult.of(Status.OK, "depth",
        Map.of("value", Measurement.count(42)))));
    deploy(vertx, "q { type = scripted, thresholds { value { warning = 10 } } }", "").onComplete(ctx.succeeding(id ->
        vertx.setTimer(300, t -> ctx.verify(() -> {
          String text = metrics.scrape();
          assertThat(text).contains("medic_check_status{check=\"q\",type=\"scripted\"} 1.0");
          assertThat(text).contains("medic_probes_total{check=\"q\",outcome=\"warning\",type=\"scripted\"} 1.0");
          assertThat(text).contains("medic_check_measurement{check=\"q\",measurement=\"value\"} 42.0");
          assertThat(text).contains("medic_probe_duration_seconds_bucket{check=\"q\",type=\"scripted\"");
          assertThat(text).contains("medic_scheduler_lag_seconds");
          ctx.completeNow();
        }))));
  }

  // ---- the per-check timer chain goes on whatever a run throws (issue 12, beyond the list) ------------

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aProbeThatThrowsAnErrorOrReturnsNothingIsProbedAgainAndAgain(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    // A plug-in probe built against other classes throws a LinkageError; a buggy one returns null
    // or a result without a status. Each is a critical result, and the check keeps its timer.
    scripted.script("error", i -> {
      throw new NoClassDefFoundError("org/example/Gone");
    });
    scripted.script("nothing", i -> null);
    scripted.script("nostatus", i -> Future.succeededFuture(new ProbeResult(null, "?", null, Map.of())));
    deploy(vertx, "error { type = scripted, interval = 100ms, timeout = 50ms }\n"
        + "nothing { type = scripted, interval = 100ms, timeout = 50ms }\n"
        + "nostatus { type = scripted, interval = 100ms, timeout = 50ms }", "startup-spread = 0s")
        .onComplete(ctx.succeeding(id -> vertx.setTimer(1000, t -> ctx.verify(() -> {
          for (String check : List.of("error", "nothing", "nostatus")) {
            assertThat(scripted.starts(check)).as("runs of %s", check).hasSizeGreaterThanOrEqualTo(5);
            assertThat(live.find(check).orElseThrow().state().status()).as(check).isEqualTo(Status.CRITICAL);
          }
          assertThat(live.find("error").orElseThrow().state().lastResult().message())
              .isEqualTo("probe failed: org/example/Gone");
          assertThat(live.find("nothing").orElseThrow().state().lastResult().message())
              .isEqualTo("probe failed: the probe returned no future");
          assertThat(live.find("nostatus").orElseThrow().state().lastResult().message())
              .isEqualTo("probe failed: the probe gave a result without a status");
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aFailingMeterNeitherStopsTheCheckNorHidesItsStateChanges(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    // A registry that refuses the probe counter: every metrics.probed() throws.
    metrics.registry().config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
      @Override
      public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
        if (id.getName().equals("medic.probes")) {
          throw new IllegalStateException("meter registry refused medic.probes");
        }
        return id;
      }
    });
    scripted.script("m", i -> Future.succeededFuture(i <= 2 ? ProbeResult.ok("fine") : ProbeResult.critical("down")));
    List<String> changes = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Bus.STATE, msg -> changes.add(msg.body().getString("to")));
    deploy(vertx, "m { type = scripted, interval = 100ms, timeout = 50ms, retry-interval = 50ms, fall = 1 }",
        "startup-spread = 0s").onComplete(ctx.succeeding(id -> vertx.setTimer(900, t -> ctx.verify(() -> {
          assertThat(scripted.starts("m")).hasSizeGreaterThanOrEqualTo(5);
          // Recovery and the notifier heard both the first result and the outage.
          assertThat(changes).containsExactly("ok", "critical");
          assertThat(live.find("m").orElseThrow().state().status()).isEqualTo(Status.CRITICAL);
          assertThat(metrics.scrape()).containsPattern("medic_loop_errors_total\\{loop=\"probe\"} [5-9]|"
              + "medic_loop_errors_total\\{loop=\"probe\"} [1-9][0-9]");
          ctx.completeNow();
        }))));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  void aProbeThatCannotBeBuiltAtReloadNeitherHangsTheReloadNorStopsTheOtherChecks(Vertx vertx,
      VertxTestContext ctx) throws Exception {
    // The 4th create is the scheduler's at the reload (1: first load, 2: start, 3: the reload's
    // validation): a plug-in that fails at run time where it passed validation.
    java.util.concurrent.atomic.AtomicInteger creates = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
    dev.medic.probe.ProbeType fragile = new dev.medic.probe.ProbeType() {
      @Override
      public String type() {
        return "fragile";
      }

      @Override
      public dev.medic.probe.Probe create(dev.medic.config.Settings settings, dev.medic.probe.ProbeContext context) {
        settings.string("note", "");
        if (creates.incrementAndGet() == 4) {
          throw new IllegalStateException("native library not loaded");
        }
        return () -> {
          runs.incrementAndGet();
          return Future.succeededFuture(ProbeResult.ok("fine"));
        };
      }
    };
    ConfigLoader loader = new ConfigLoader(ProbeTypes.of(scripted, fragile), vertx);
    MedicConfig first = loader.loadString("medic { checks { b { type = fragile, interval = 100ms, timeout = 50ms } } }",
        "test.conf");
    MedicConfig second = loader.loadString("medic { checks { b { type = fragile, note = x, interval = 100ms, "
        + "timeout = 50ms }\n a { type = scripted, interval = 100ms, timeout = 50ms } } }", "test.conf");
    SchedulerVerticle scheduler = new SchedulerVerticle(first, live, metrics, Clock.systemUTC());
    vertx.deployVerticle(scheduler).compose(id -> scheduler.reconfigure(second)).onComplete(ctx.succeeding(r -> {
      int before = runs.get();
      vertx.setTimer(600, t -> ctx.verify(() -> {
        assertThat(r.added()).containsExactly("a");
        assertThat(scripted.starts("a")).hasSizeGreaterThanOrEqualTo(3);
        assertThat(runs.get() - before).as("b goes on with its old probe").isGreaterThanOrEqualTo(3);
        ctx.completeNow();
      }));
    }));
  }

  @Test
  void aCheckWhoseNewTypeCannotBeBuiltAtReloadKeepsRunningAsBefore(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    // The 2nd create is the scheduler's at the reload (1: the reload's validation).
    java.util.concurrent.atomic.AtomicInteger creates = new java.util.concurrent.atomic.AtomicInteger();
    dev.medic.probe.ProbeType fragile = new dev.medic.probe.ProbeType() {
      @Override
      public String type() {
        return "fragile";
      }

      @Override
      public dev.medic.probe.Probe create(dev.medic.config.Settings settings, dev.medic.probe.ProbeContext context) {
        if (creates.incrementAndGet() == 2) {
          throw new IllegalStateException("native library not loaded");
        }
        return () -> Future.succeededFuture(ProbeResult.ok("fine"));
      }
    };
    ConfigLoader loader = new ConfigLoader(ProbeTypes.of(scripted, fragile), vertx);
    MedicConfig first = loader.loadString("medic { checks { b { type = scripted, interval = 100ms, timeout = 50ms } } }",
        "test.conf");
    MedicConfig second = loader.loadString("medic { checks { b { type = fragile, interval = 100ms, timeout = 50ms } } }",
        "test.conf");
    SchedulerVerticle scheduler = new SchedulerVerticle(first, live, metrics, Clock.systemUTC());
    vertx.deployVerticle(scheduler).compose(id -> scheduler.reconfigure(second)).onComplete(ctx.succeeding(r -> {
      int before = scripted.starts("b").size();
      vertx.setTimer(600, t -> ctx.verify(() -> {
        assertThat(scripted.starts("b").size() - before).as("b goes on with its old probe").isGreaterThanOrEqualTo(3);
        assertThat(metrics.scrape()).contains("check=\"b\"");
        ctx.completeNow();
      }));
    }));
  }
}
