package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.medic.config.ConfigException;
import dev.medic.config.ConfigLoader;
import dev.medic.config.ConfigProblem;
import dev.medic.config.MedicConfig;
import dev.medic.config.Settings;
import dev.medic.evaluate.Evaluator;
import dev.medic.metrics.MedicMetrics;
import dev.medic.schedule.CheckRuntime;
import dev.medic.schedule.LiveChecks;
import dev.medic.schedule.SchedulerVerticle;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against real processes the test starts (sleep, sh, python3), read through the real /proc, and
 * one fixed /proc tree for exact arithmetic. Every process started is killed after each test,
 * with whatever it started.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
class ProcessProbeTest {

  private static final double MIB = 1024.0 * 1024;

  @TempDir Path tmp;

  private final List<Process> started = new ArrayList<>();
  /** Unique per test, so a match never finds another test's (or another run's) processes. */
  private final String marker = "1." + ThreadLocalRandom.current().nextLong(100_000_000L, 999_999_999L);

  // ---- running or not -------------------------------------------------------------------------

  @Test
  void aRunningProcessFoundByPidfileIsOkWithWhatItUses(Vertx vertx, VertxTestContext test) throws Exception {
    Process sleep = start("sleep", "299", marker);
    Path pidfile = pidfile(sleep.pid());
    Probe probe = probe(vertx, "pidfile = \"" + pidfile + "\"");
    probe.run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).matches("pid " + sleep.pid() + " \\(sleep\\) from " + Pattern.quote(pidfile.toString())
          + " up \\d+s, cpu [0-9.]+%, memory [0-9.]+ [KM]iB \\([0-9.]+% of [0-9.]+ GiB\\), 0 children, 3 open files");
      Map<String, Measurement> m = r.measurements();
      assertThat(m.keySet()).containsExactly(
          "pid", "uptime", "cpu", "memory", "memory-used", "children", "open-files", "processes");
      assertThat(m.get("pid")).isEqualTo(new Measurement(sleep.pid(), Unit.NUMBER));
      assertThat(m.get("uptime").value()).isBetween(0.0, 10.0);
      assertThat(m.get("cpu").value()).isBetween(0.0, 0.2);
      assertThat(m.get("memory").unit()).isEqualTo(Unit.BYTES);
      assertThat(m.get("memory").value()).isBetween(100 * 1024.0, 50 * MIB);
      assertThat(m.get("memory-used").value()).isGreaterThan(0.0).isLessThan(0.01);
      // stdin, stdout and stderr
      assertThat(m.get("open-files")).isEqualTo(Measurement.count(3));
      assertThat(m.get("processes")).isEqualTo(Measurement.count(1));
      test.completeNow();
    })));
  }

  @Test
  void aProcessFoundByItsCommandLineCountsItsChildren(Vertx vertx, VertxTestContext test) throws Exception {
    Path script = tmp.resolve("worker-" + marker + ".sh");
    Files.writeString(script, "sleep 299 &\nsleep 299 &\ntouch \"$0.ready\"\nwait\n");
    Process sh = start("sh", script.toString());
    String match = Pattern.quote(script.toString()) + "$";
    awaitFile(vertx, Path.of(script + ".ready"))
        .compose(v -> probe(vertx, "match = \"" + match.replace("\\", "\\\\") + "\"").run())
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.OK);
          assertThat(r.message()).startsWith("pid " + sh.pid() + " (sh) matching " + NetText.quote(match) + " up ");
          assertThat(r.message()).contains(", 2 children, ");
          assertThat(r.measurements().get("pid").value()).isEqualTo(sh.pid());
          assertThat(r.measurements().get("children")).isEqualTo(Measurement.count(2));
          assertThat(r.measurements().get("processes")).isEqualTo(Measurement.count(1));
          test.completeNow();
        })));
  }

  @Test
  void severalMatchesAreCountedAndTheOldestIsTheMainOne(Vertx vertx, VertxTestContext test) throws Exception {
    Process first = start("sleep", "299", marker);
    String match = "^sleep 299 " + Pattern.quote(marker) + "$";
    // Start times are counted in 10 ms ticks: let the first be older by several of them.
    vertx.timer(60, TimeUnit.MILLISECONDS)
        .compose(v -> {
          try {
            start("sleep", "299", marker);
          } catch (IOException e) {
            return Future.failedFuture(e);
          }
          return probe(vertx, "match = \"" + match.replace("\\", "\\\\") + "\"").run();
        })
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.OK);
          assertThat(r.message()).startsWith("2 processes match " + NetText.quote(match)
              + ", oldest pid " + first.pid() + " (sleep) up ");
          assertThat(r.measurements().get("processes")).isEqualTo(Measurement.count(2));
          assertThat(r.measurements().get("pid").value()).isEqualTo(first.pid());
          test.completeNow();
        })));
  }

  @Test
  void aKilledProcessIsCritical(Vertx vertx, VertxTestContext test) throws Exception {
    Process sleep = start("sleep", "299", marker);
    Path pidfile = pidfile(sleep.pid());
    String match = "sleep 299 " + Pattern.quote(marker);
    Probe byPidfile = probe(vertx, "pidfile = \"" + pidfile + "\"");
    Probe byMatch = probe(vertx, "match = \"" + match.replace("\\", "\\\\") + "\"");
    Future.all(byPidfile.run(), byMatch.run())
        .compose(before -> {
          test.verify(() -> {
            assertThat(((ProbeResult) before.resultAt(0)).status()).isEqualTo(Status.OK);
            assertThat(((ProbeResult) before.resultAt(1)).status()).isEqualTo(Status.OK);
          });
          sleep.destroyForcibly();
          return Future.fromCompletionStage(sleep.onExit());
        })
        .compose(exited -> Future.all(byPidfile.run(), byMatch.run()))
        .onComplete(test.succeeding(after -> test.verify(() -> {
          ProbeResult p = after.resultAt(0);
          assertThat(p.status()).isEqualTo(Status.CRITICAL);
          assertThat(p.message()).isEqualTo("pid " + sleep.pid() + " from " + pidfile + " is not running");
          ProbeResult m = after.resultAt(1);
          assertThat(m.status()).isEqualTo(Status.CRITICAL);
          assertThat(m.message()).isEqualTo("no process matches " + NetText.quote(match));
          assertThat(m.measurements()).containsExactly(Map.entry("processes", Measurement.count(0)));
          test.completeNow();
        })));
  }

  /**
   * A real zombie: sh starts a short sleep in the background, writes its pid, and then becomes a
   * long sleep through exec. sleep never waits for children, so when the short one exits nobody
   * reaps it. The probe first sees it running, the exit watch notices it turn into a zombie, and
   * the run that follows counts the zombie as not running.
   */
  @Test
  @Timeout(value = 40, timeUnit = TimeUnit.SECONDS)
  void aZombieIsNotRunningAndItsWatchNoticesIt(Vertx vertx, VertxTestContext test) throws Exception {
    Path pidfile = tmp.resolve("child.pid");
    // 4 s of life: the first probe must see it running even on a loaded CI machine.
    start("sh", "-c", "sleep 4 & echo $! > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"; exec sleep 299 " + marker,
        pidfile.toString());
    AtomicInteger reprobes = new AtomicInteger();
    Probe probe = probe(vertx, "pidfile = \"" + pidfile + "\"", reprobes::incrementAndGet);
    long[] pid = new long[1];
    awaitFile(vertx, pidfile)
        .compose(v -> probe.run())
        .compose(alive -> {
          test.verify(() -> {
            assertThat(alive.status()).as(alive.message()).isEqualTo(Status.OK);
            pid[0] = (long) alive.measurements().get("pid").value();
          });
          // The child exits 4 s after it started; the watch looks every second.
          return eventually(vertx, Duration.ofSeconds(12), () -> reprobes.get() > 0);
        })
        .compose(v -> {
          test.verify(() -> {
            assertThat(reprobes).as("reprobes once the child is a zombie").hasValue(1);
            assertThat(state(pid[0])).isEqualTo('Z');
          });
          return probe.run();
        })
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).isEqualTo("pid " + pid[0] + " from " + pidfile + " is not running (zombie)");
          assertThat(reprobes).hasValue(1);
          test.completeNow();
        })));
  }

  @Test
  void aPidfileThatIsMissingOrWrongIsCritical(Vertx vertx, VertxTestContext test) throws Exception {
    Path missing = tmp.resolve("missing.pid");
    Path garbage = Files.writeString(tmp.resolve("garbage.pid"), "not-a-pid\n");
    Process done = new ProcessBuilder("true").start();
    done.waitFor();
    Path stale = pidfile(done.pid());
    Future.all(
            probe(vertx, "pidfile = \"" + missing + "\"").run(),
            probe(vertx, "pidfile = \"" + garbage + "\"").run(),
            probe(vertx, "pidfile = \"" + stale + "\"").run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          assertThat(all.<ProbeResult>list()).extracting(ProbeResult::status).containsOnly(Status.CRITICAL);
          assertThat(((ProbeResult) all.resultAt(0)).message())
              .isEqualTo("pidfile " + missing + " does not exist (the process is not running, or writes no pidfile)");
          assertThat(((ProbeResult) all.resultAt(1)).message())
              .isEqualTo("pidfile " + garbage + " holds no pid (\"not-a-pid\")");
          assertThat(((ProbeResult) all.resultAt(2)).message())
              .isEqualTo("pid " + done.pid() + " from " + stale + " is not running");
          test.completeNow();
        })));
  }

  @Test
  void aUserNarrowsTheMatch(Vertx vertx, VertxTestContext test) throws Exception {
    Process sleep = start("sleep", "299", marker);
    long uid = ownUid();
    String name = System.getProperty("user.name");
    String match = Pattern.quote(marker);
    String escaped = match.replace("\\", "\\\\");
    Future.all(
            probe(vertx, "match = \"" + escaped + "\", user = \"" + name + "\"").run(),
            probe(vertx, "match = \"" + escaped + "\", user = " + uid).run(),
            probe(vertx, "match = \"" + escaped + "\", user = " + (uid + 4242)).run(),
            probe(vertx, "match = \"" + escaped + "\", user = no-such-user-" + marker.substring(2)).run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ProbeResult byName = all.resultAt(0);
          assertThat(byName.status()).isEqualTo(Status.OK);
          assertThat(byName.message()).startsWith("pid " + sleep.pid() + " (sleep) matching "
              + NetText.quote(match) + " (user " + name + ") up ");
          assertThat(((ProbeResult) all.resultAt(1)).status()).isEqualTo(Status.OK);
          ProbeResult other = all.resultAt(2);
          assertThat(other.status()).isEqualTo(Status.CRITICAL);
          assertThat(other.message()).isEqualTo("no process of user " + (uid + 4242) + " matches " + NetText.quote(match));
          ProbeResult unknownUser = all.resultAt(3);
          assertThat(unknownUser.status()).isEqualTo(Status.UNKNOWN);
          assertThat(unknownUser.message()).startsWith("no user no-such-user-" + marker.substring(2) + " in /etc/passwd");
          test.completeNow();
        })));
  }

  @Test
  void medicDoesNotMatchItself(Vertx vertx, VertxTestContext test) throws Exception {
    // This JVM's command line holds "surefire" (or "junit"); it is medic's own process here.
    String own = Files.readString(Path.of("/proc/self/cmdline")).replace('\0', ' ');
    String word = own.contains("surefire") ? "surefire" : "junit";
    probe(vertx, "match = \"" + Pattern.quote(own.strip()).replace("\\", "\\\\") + "\"").run()
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(own).contains(word);
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).startsWith("no process matches ");
          test.completeNow();
        })));
  }

  @Test
  void aNameWithSpacesAndParenthesesIsReadWhole(Vertx vertx, VertxTestContext test) throws Exception {
    // The command name in /proc/PID/stat is "(sl) e (p)": fields must be found after the last ")".
    Path odd = tmp.resolve("sl) e (p");
    Files.copy(Path.of("/bin/sleep"), odd, StandardCopyOption.COPY_ATTRIBUTES);
    Process p = start(odd.toString(), "299", marker);
    probe(vertx, "pidfile = \"" + pidfile(p.pid()) + "\"").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.message()).startsWith("pid " + p.pid() + " (sl) e (p) from ");
      assertThat(r.measurements().get("uptime").value()).isBetween(0.0, 10.0);
      test.completeNow();
    })));
  }

  // ---- measurements judged ---------------------------------------------------------------------

  /**
   * How much of a core a spinning process gets depends on how loaded the machine is, so the probe's
   * value is compared with the JDK's own reading of the process's CPU time over the same span
   * rather than with a fixed number.
   */
  @Test
  void cpuIsTheShareOfOneCoreBetweenRunsAsTheJdkCountsIt(Vertx vertx, VertxTestContext test) throws Exception {
    Process busy = start("sh", "-c", "while :; do :; done", marker);
    Process idle = start("sleep", "299", marker);
    Probe busyProbe = probe(vertx, "pidfile = \"" + pidfile(busy.pid()) + "\"");
    Probe idleProbe = probe(vertx, "pidfile = \"" + pidfile(idle.pid()) + "\"");
    long[] span = new long[4];
    // The first run samples twice 250 ms apart; the second measures from the end of the first.
    Future<ProbeResult> second = busyProbe.run()
        .compose(first -> {
          span[0] = cpuNanos(busy);
          span[1] = System.nanoTime();
          return vertx.timer(600, TimeUnit.MILLISECONDS);
        })
        .compose(v -> {
          span[2] = cpuNanos(busy);
          span[3] = System.nanoTime();
          return busyProbe.run();
        });
    Future.all(second, idleProbe.run()).onComplete(test.succeeding(all -> test.verify(() -> {
      double jdk = (double) (span[2] - span[0]) / (span[3] - span[1]);
      Measurement cpu = second.result().measurements().get("cpu");
      assertThat(cpu.unit()).isEqualTo(Unit.RATIO);
      assertThat(jdk).as("the busy process got some CPU at all").isGreaterThan(0.02);
      // 10 ms ticks over 600 ms, and a few ms between the probe's samples and the JDK's.
      assertThat(cpu.value()).as("%s; the JDK counted %.3f", second.result().message(), jdk)
          .isCloseTo(jdk, within(0.03 + 0.15 * jdk));
      ProbeResult sleeping = all.resultAt(1);
      assertThat(sleeping.measurements().get("cpu").value()).as(sleeping.message()).isLessThan(0.05);
      test.completeNow();
    })));
  }

  @Test
  void aProcessOverItsMemoryLimitTripsTheThreshold(Vertx vertx, VertxTestContext test) throws Exception {
    Path ready = tmp.resolve("allocated");
    // bytes * n writes every page, so the 200 MiB are resident, not merely reserved.
    Process python = start(python(), "-c", "import sys, time\n"
        + "x = b'\\x01' * (200 * 1024 * 1024)\n"
        + "open(sys.argv[1], 'w').close()\n"
        + "time.sleep(299)\n", ready.toString(), marker);
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(new ProcessProbeType()), vertx).loadString("""
        medic { checks { p {
          type = process, pidfile = "%s"
          thresholds {
            memory { warning = 100MB, critical = 150MB }
            memory-used { warning = 0.1%%, critical = 90%% }
          }
        } } }""".formatted(pidfile(python.pid())), "t.conf");
    Evaluator.Rules rules = cfg.checks().get("p").rules();
    Probe probe = probe(vertx, "pidfile = \"" + pidfile(python.pid()) + "\"");
    awaitFile(vertx, ready).compose(v -> probe.run()).onComplete(test.succeeding(raw -> test.verify(() -> {
      assertThat(raw.status()).isEqualTo(Status.OK);
      assertThat(raw.measurements().get("memory").value()).isGreaterThan(200 * MIB);
      ProbeResult judged = Evaluator.judge(raw, rules.thresholds(), Map.of(), new HashMap<>());
      assertThat(judged.status()).isEqualTo(Status.CRITICAL);
      assertThat(judged.message()).matches("memory 2\\d\\d(\\.\\d+)? MiB ≥ critical 143.05 MiB; "
          + "memory-used [0-9.]+% ≥ warning 0.1% — pid " + python.pid() + " .*");
      test.completeNow();
    })));
  }

  @Test
  void aFixedProcTreeGivesExactValues(Vertx vertx, VertxTestContext test) throws Exception {
    Path proc = tmp.resolve("proc");
    Files.createDirectories(proc);
    Files.writeString(proc.resolve("uptime"), "1000.50 1900.00\n");
    Files.writeString(proc.resolve("meminfo"), "MemTotal:        1048576 kB\nMemFree:  1000 kB\n");
    fakeProcess(proc, 100, 1, 'S', 50_000, "nginx: master process /usr/sbin/nginx", 10_240, 3);
    fakeProcess(proc, 101, 100, 'S', 50_100, "nginx: worker process", 20_480, 0);
    fakeProcess(proc, 102, 100, 'R', 50_100, "nginx: worker process", 20_480, 0);
    fakeProcess(proc, 103, 100, 'Z', 50_200, "", 0, 0);
    fakeProcess(proc, 200, 1, 'S', 40_000, "/usr/sbin/nginx-exporter --nginx.scrape-uri=http://127.0.0.1/", 4096, 0);
    Files.createDirectories(proc.resolve("self"));
    probe(vertx, "match = \"^nginx: \", proc = \"" + proc + "\"").run()
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.OK);
          assertThat(r.message()).isEqualTo("3 processes match \"^nginx: \", oldest pid 100 (nginx) up 8m 20s, "
              + "cpu 0%, memory 10 MiB (0.98% of 1 GiB), 3 children, 3 open files");
          Map<String, Measurement> m = r.measurements();
          assertThat(m.get("pid").value()).isEqualTo(100);
          assertThat(m.get("uptime").value()).isCloseTo(500.5, within(1e-9));
          assertThat(m.get("memory")).isEqualTo(Measurement.bytes(10 * MIB));
          assertThat(m.get("memory-used").value()).isCloseTo(10.0 / 1024, within(1e-12));
          // The zombie child is a child still; it is not one of the matches.
          assertThat(m.get("children")).isEqualTo(Measurement.count(3));
          assertThat(m.get("open-files")).isEqualTo(Measurement.count(3));
          assertThat(m.get("processes")).isEqualTo(Measurement.count(3));
          assertThat(m.get("cpu")).isEqualTo(Measurement.ratio(0));
          test.completeNow();
        })));
  }

  @Test
  void aProcThatIsNotAProcFileSystemIsUnknownRatherThanEveryPidNotRunning(Vertx vertx, VertxTestContext test)
      throws Exception {
    Path pidfile = pidfile(ProcessHandle.current().pid());
    probe(vertx, "pidfile = \"" + pidfile + "\", proc = \"" + tmp + "\"").run()
        .onComplete(test.succeeding(r -> test.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.UNKNOWN);
          assertThat(r.message()).isEqualTo(tmp + " is not a proc file system (no " + tmp + "/self)");
          test.completeNow();
        })));
  }

  // ---- the exit watch -------------------------------------------------------------------------

  @Test
  void anExitIsNoticedWithinAboutASecondAndReportedOnce(Vertx vertx, VertxTestContext test) throws Exception {
    Process sleep = start("sleep", "299", marker);
    AtomicInteger reprobes = new AtomicInteger();
    long[] killedAt = new long[1];
    long[] noticedAt = new long[1];
    ProcessProbe probe = (ProcessProbe) probe(vertx, "pidfile = \"" + pidfile(sleep.pid()) + "\"", () -> {
      if (reprobes.incrementAndGet() == 1) {
        noticedAt[0] = System.nanoTime();
      }
    });
    test.verify(() -> assertThat(probe.watching()).as("watching before any run").isEqualTo(-1));
    probe.run()
        .compose(r -> {
          test.verify(() -> assertThat(probe.watching()).isEqualTo(sleep.pid()));
          killedAt[0] = System.nanoTime();
          sleep.destroyForcibly();
          return eventually(vertx, Duration.ofSeconds(3), () -> reprobes.get() > 0);
        })
        // Long enough for two more ticks, had the watch not stopped.
        .compose(v -> vertx.timer(2200, TimeUnit.MILLISECONDS))
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertThat(reprobes).hasValue(1);
          assertThat(Duration.ofNanos(noticedAt[0] - killedAt[0])).isLessThan(Duration.ofMillis(1800));
          assertThat(probe.watching()).isEqualTo(-1);
          test.completeNow();
        })));
  }

  @Test
  void theWatchFollowsANewPidAndEndsWithClose(Vertx vertx, VertxTestContext test) throws Exception {
    Process a = start("sleep", "299", marker);
    Process b = start("sleep", "298", marker);
    Process c = start("sleep", "297", marker);
    Path pidfile = pidfile(a.pid());
    AtomicInteger reprobes = new AtomicInteger();
    ProcessProbe probe = (ProcessProbe) probe(vertx, "pidfile = \"" + pidfile + "\"", reprobes::incrementAndGet);
    probe.run()
        .compose(r -> {
          rewrite(pidfile, b.pid());
          return probe.run();
        })
        .compose(r -> {
          test.verify(() -> assertThat(probe.watching()).isEqualTo(b.pid()));
          a.destroyForcibly(); // no longer watched: no reprobe
          return vertx.timer(1500, TimeUnit.MILLISECONDS);
        })
        .compose(v -> {
          test.verify(() -> assertThat(reprobes).as("reprobes after the old pid exited").hasValue(0));
          rewrite(pidfile, c.pid());
          return probe.run();
        })
        .compose(r -> {
          test.verify(() -> assertThat(probe.watching()).isEqualTo(c.pid()));
          return probe.close();
        })
        .compose(v -> probe.run()) // a run after close starts no watch either
        .compose(r -> {
          test.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(probe.watching()).isEqualTo(-1);
          });
          c.destroyForcibly(); // closed: no reprobe
          return vertx.timer(1500, TimeUnit.MILLISECONDS);
        })
        .onComplete(test.succeeding(v -> test.verify(() -> {
          assertThat(reprobes).hasValue(0);
          test.completeNow();
        })));
  }

  @Test
  void withTheRealSchedulerAKilledProcessIsCriticalInSecondsNotAtTheNextCycle(Vertx vertx, VertxTestContext test)
      throws Exception {
    Process sleep = start("sleep", "299", marker);
    Path pidfile = pidfile(sleep.pid());
    // Defaults: interval 30 s, fall 2, retry-interval 2 s.
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(new ProcessProbeType()), vertx)
        .loadString("medic { checks { p { type = process, pidfile = \"" + pidfile + "\" } } }", "t.conf");
    LiveChecks live = new LiveChecks();
    long[] killedAt = new long[1];
    vertx.deployVerticle(new SchedulerVerticle(cfg, live, new MedicMetrics(MedicMetrics.newRegistry()), Clock.systemUTC()))
        .compose(id -> eventually(vertx, Duration.ofSeconds(5), () -> status(live) == Status.OK))
        .compose(v -> {
          test.verify(() -> assertThat(status(live)).isEqualTo(Status.OK));
          killedAt[0] = System.nanoTime();
          sleep.destroyForcibly();
          return eventually(vertx, Duration.ofSeconds(6), () -> status(live) == Status.CRITICAL);
        })
        .onComplete(test.succeeding(v -> test.verify(() -> {
          Duration took = Duration.ofNanos(System.nanoTime() - killedAt[0]);
          CheckRuntime p = live.find("p").orElseThrow();
          assertThat(p.state().status()).isEqualTo(Status.CRITICAL);
          assertThat(p.state().lastResult().message()).isEqualTo("pid " + sleep.pid() + " from " + pidfile + " is not running");
          // Exit watch (≤ 1 s) + one retry-interval (2 s) to confirm with fall 2; never 30 s.
          assertThat(took).isLessThan(Duration.ofSeconds(5));
          test.completeNow();
        })));
  }

  // ---- configuration --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      proc = "/proc"                                  | test.conf:1: medic.checks.test: needs pidfile or match (expected one of them, e.g. pidfile = "/run/app.pid" or match = "^/usr/sbin/nginx")
      pidfile = "/run/a.pid", match = nginx           | test.conf:1: medic.checks.test.match: is set together with pidfile (expected one of them: pidfile finds one process by its pid, match finds processes by their command line)
      pidfile = "run/a.pid"                           | test.conf:1: medic.checks.test.pidfile: "run/a.pid" is not an absolute path (expected e.g. "/run/app.pid")
      match = "nginx: (master"                        | test.conf:1: medic.checks.test.match: "nginx: (master" is not a regular expression: Unclosed group at index 14 (expected a Java regex, e.g. "^/usr/sbin/nginx")
      match = ""                                      | test.conf:1: medic.checks.test.match: is empty (expected a regular expression for the command line, e.g. "^/usr/sbin/nginx")
      pidfile = "/run/a.pid", user = www-data         | test.conf:1: medic.checks.test.user: applies only with match (a pidfile names its process already)
      match = nginx, user = "www data"                | test.conf:1: medic.checks.test.user: "www data" is not a user name or uid (expected e.g. "postgres" or 999)
      match = nginx, proc = "host/proc"               | test.conf:1: medic.checks.test.proc: "host/proc" is not an absolute path (expected e.g. "/proc" or "/host/proc")
      match = nginx, pidfle = "/run/a.pid"            | test.conf:1: medic.checks.test.pidfle: unknown key (did you mean "pidfile"?)
      """)
  void badConfigurationIsReportedWithItsPath(String hocon, String problem, Vertx vertx) {
    Settings settings = TestSettings.of(hocon);
    new ProcessProbeType().create(settings, context(vertx, () -> {}));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).extracting(ConfigProblem::toString).containsExactly(problem);
  }

  @Test
  void isFoundByTypeNameWithItsMeasurements() {
    ProbeType type = ServiceLoader.load(ProbeType.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(t -> t.type().equals("process"))
        .findFirst().orElseThrow();

    assertThat(type.measurements()).containsOnlyKeys(
        "pid", "uptime", "cpu", "memory", "memory-used", "children", "open-files", "processes");
    assertThat(type.measurements().get("uptime").lowerIsWorse()).isTrue();
    assertThat(type.measurements().get("processes").lowerIsWorse()).isTrue();
    assertThat(type.measurements().get("memory").unit()).isEqualTo(Unit.BYTES);
  }

  // ---- helpers --------------------------------------------------------------------------------

  @AfterEach
  void killEverythingStarted() {
    for (Process p : started) {
      // Children first seen, then the parent: once it is dead they are re-parented and lost.
      List<ProcessHandle> tree = p.descendants().toList();
      p.destroyForcibly();
      tree.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private Process start(String... argv) throws IOException {
    Process p = new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    started.add(p);
    return p;
  }

  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private Path pidfile(long pid) throws IOException {
    Path file = tmp.resolve("app-" + pid + ".pid");
    Files.writeString(file, pid + "\n");
    return file;
  }

  private static void rewrite(Path pidfile, long pid) {
    try {
      Files.writeString(pidfile, pid + "\n");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The state letter in /proc/PID/stat; '?' once the process is gone. */
  private static char state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException e) {
      return '?';
    }
  }

  /** CPU time of a process as the JDK reads it (with the real clock tick rate). */
  private static long cpuNanos(Process p) {
    return p.info().totalCpuDuration().orElseThrow().toNanos();
  }

  private static long ownUid() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
      }
    }
    throw new IOException("no Uid line in /proc/self/status");
  }

  private static Status status(LiveChecks live) {
    return live.find("p").map(c -> c.state().status()).orElse(Status.UNKNOWN);
  }

  /** A process directory as Linux writes it: stat, status, cmdline and an fd directory. */
  private static void fakeProcess(Path proc, long pid, long ppid, char state, long starttime, String cmdline,
      long rssKib, int fds) throws IOException {
    Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
    String comm = cmdline.isEmpty() ? "nginx" : cmdline.split("[: ]")[0].replaceAll(".*/", "");
    Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") " + state + " " + ppid + " " + pid + " " + pid
        + " 0 -1 4194560 1200 0 3 0 700 300 0 0 20 0 1 0 " + starttime + " 12345678 " + rssKib / 4
        + " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
    Files.writeString(dir.resolve("status"), "Name:\t" + comm + "\nState:\t" + state + "\nPPid:\t" + ppid
        + "\nUid:\t0\t0\t0\t0\n" + (state == 'Z' ? "" : "VmRSS:\t   " + rssKib + " kB\n"));
    Files.writeString(dir.resolve("cmdline"), cmdline.isEmpty() ? "" : cmdline.replace(' ', '\0') + "\0");
    Path fd = Files.createDirectories(dir.resolve("fd"));
    for (int i = 0; i < fds; i++) {
      Files.writeString(fd.resolve(Integer.toString(i)), "");
    }
  }

  private static Future<Void> awaitFile(Vertx vertx, Path file) {
    return eventually(vertx, Duration.ofSeconds(5), () -> Files.exists(file))
        .compose(v -> Files.exists(file) ? Future.succeededFuture()
            : Future.failedFuture(new AssertionError(file + " did not appear within 5 s")));
  }

  /** Polls {@code condition} on a timer until it holds or {@code within} has passed. */
  private static Future<Void> eventually(Vertx vertx, Duration within, BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + within.toNanos();
    vertx.setPeriodic(0, 50, id -> {
      if (condition.getAsBoolean() || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }

  private Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, () -> {});
  }

  private Probe probe(Vertx vertx, String hocon, Runnable reprobe) {
    Settings settings = TestSettings.of(hocon);
    Probe probe = new ProcessProbeType().create(settings, context(vertx, reprobe));
    try {
      TestSettings.assertValid(settings);
    } catch (ConfigException e) {
      throw new AssertionError(e.getMessage(), e);
    }
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Runnable reprobe) {
    return new ProbeContext(vertx, "test", Duration.ofSeconds(5), reprobe);
  }
}
