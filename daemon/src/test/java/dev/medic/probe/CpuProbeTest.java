package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class CpuProbeTest {

  // user nice system idle iowait irq softirq steal guest guest_nice
  private static final String BEFORE = """
      cpu  1000 100 500 8000 200 10 20 5 300 0
      cpu0 500 50 250 4000 100 5 10 2 150 0
      intr 12345
      """;
  private static final String AFTER = """
      cpu  1300 100 600 8400 300 30 50 20 400 0
      cpu0 650 50 300 4200 150 15 25 10 200 0
      intr 12400
      """;
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @TempDir Path tmp;

  @Test
  void usedIsTheBusyShareOfTimeBetweenRuns(Vertx vertx, VertxTestContext test) throws Exception {
    Path stat = Files.writeString(tmp.resolve("stat"), BEFORE);
    Path loadavg = Files.writeString(tmp.resolve("loadavg"), "1.50 1.00 0.50 3/210 4242\n");
    Probe probe = probe(vertx, stat, loadavg);

    probe.run()
        .compose(first -> {
          test.verify(() -> {
            // A file that does not change between the first run's two samples counts no time.
            assertThat(first.status()).isEqualTo(Status.UNKNOWN);
            assertThat(first.message()).startsWith("no CPU time counted in " + stat + " between two samples");
            assertThat(first.measurements()).doesNotContainKey("used").containsKey("load1");
          });
          return vertx.fileSystem().writeFile(stat.toString(), Buffer.buffer(AFTER));
        })
        .compose(v -> probe.run())
        .onComplete(test.succeeding(r -> test.verify(() -> {
          // deltas: user 300, nice 0, system 100, idle 400, iowait 100, irq 20, softirq 30,
          // steal 15; guest is inside user and not counted twice.
          double total = 300 + 0 + 100 + 400 + 100 + 20 + 30 + 15;
          assertThat(r.status()).isEqualTo(Status.OK);
          assertThat(r.measurements().get("used").value()).isCloseTo((300 + 100 + 20 + 30 + 15) / total, within(1e-12));
          assertThat(r.measurements().get("iowait").value()).isCloseTo(100 / total, within(1e-12));
          assertThat(r.measurements().get("used").unit()).isEqualTo(Unit.RATIO);
          assertThat(r.measurements().get("load1").value()).isCloseTo(1.5 / CORES, within(1e-12));
          assertThat(r.measurements().get("load5").value()).isCloseTo(1.0 / CORES, within(1e-12));
          assertThat(r.measurements().get("load15").value()).isCloseTo(0.5 / CORES, within(1e-12));
          assertThat(r.measurements().get("load1").unit()).isEqualTo(Unit.NUMBER);
          assertThat(r.message()).startsWith("cpu 48.19% used (iowait 10.36%), load per core ")
              .endsWith("(" + CORES + (CORES == 1 ? " core)" : " cores)"));
          test.completeNow();
        })));
  }

  @Test
  void theRealProcGivesSaneValuesOnTheFirstRunAndTheNext(Vertx vertx, VertxTestContext test) throws Exception {
    Probe probe = probe(vertx, "");
    long started = System.nanoTime();
    probe.run()
        .compose(first -> {
          test.verify(() -> {
            assertSane(first);
            // Two samples a timer apart, not one: generous bounds, this is not a benchmark.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
          });
          return vertx.timer(100, TimeUnit.MILLISECONDS).compose(v -> probe.run());
        })
        .onComplete(test.succeeding(second -> test.verify(() -> {
          assertSane(second);
          test.completeNow();
        })));
  }

  private static void assertSane(ProbeResult r) {
    assertThat(r.status()).isEqualTo(Status.OK);
    assertThat(r.measurements().get("used").value()).isBetween(0.0, 1.0);
    assertThat(r.measurements().get("iowait").value()).isBetween(0.0, 1.0);
    for (String load : new String[] {"load1", "load5", "load15"}) {
      // Anything above a few hundred per core would mean a unit mistake, not a busy machine.
      assertThat(r.measurements().get(load).value()).isBetween(0.0, 500.0);
    }
  }

  @Test
  void aMissingFileIsUnknownAndNamed(Vertx vertx, VertxTestContext test) throws Exception {
    Path stat = Files.writeString(tmp.resolve("stat"), BEFORE);
    Path loadavg = tmp.resolve("no-loadavg");
    Path noStat = tmp.resolve("no-stat");
    Future.all(probe(vertx, stat, loadavg).run(), probe(vertx, noStat, loadavg).run())
        .onComplete(test.succeeding(all -> test.verify(() -> {
          ProbeResult noLoad = all.resultAt(0);
          ProbeResult noCpu = all.resultAt(1);
          assertThat(noLoad.status()).isEqualTo(Status.UNKNOWN);
          assertThat(noLoad.message()).startsWith("cannot read " + loadavg + ":");
          assertThat(noCpu.status()).isEqualTo(Status.UNKNOWN);
          assertThat(noCpu.message()).startsWith("cannot read " + noStat + ":");
          test.completeNow();
        })));
  }

  @Test
  void aFileWithoutACpuLineIsUnknown(Vertx vertx, VertxTestContext test) throws Exception {
    Path stat = Files.writeString(tmp.resolve("stat"), "intr 1 2 3\n");
    Path loadavg = Files.writeString(tmp.resolve("loadavg"), "0.1 0.1 0.1 1/1 1\n");
    probe(vertx, stat, loadavg).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.UNKNOWN);
      assertThat(r.message()).isEqualTo(stat + " has no aggregate \"cpu\" line (is it a Linux /proc/stat file?)");
      test.completeNow();
    })));
  }

  @Test
  void relativePathsAndUnknownKeysAreConfigProblems(Vertx vertx) {
    Settings settings = TestSettings.of("stat = \"proc/stat\"\nloadavg = \"/proc/loadavg\"\nloadvg = 1");
    new CpuProbeType().create(settings, context(vertx));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).extracting(ConfigProblem::toString).containsExactly(
        "test.conf:1: medic.checks.test.stat: \"proc/stat\" is not an absolute path (expected e.g. \"/proc/stat\")",
        "test.conf:3: medic.checks.test.loadvg: unknown key (did you mean \"loadavg\"?)");
  }

  @Test
  void isFoundByTypeNameWithItsMeasurements() {
    ProbeType type = ServiceLoader.load(ProbeType.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(t -> t.type().equals("cpu"))
        .findFirst().orElseThrow();

    assertThat(type.measurements()).containsOnlyKeys("used", "iowait", "load1", "load5", "load15");
  }

  private Probe probe(Vertx vertx, Path stat, Path loadavg) throws Exception {
    return probe(vertx, "stat = \"" + stat + "\"\nloadavg = \"" + loadavg + "\"");
  }

  private Probe probe(Vertx vertx, String hocon) throws Exception {
    Settings settings = TestSettings.of(hocon);
    Probe probe = new CpuProbeType().create(settings, context(vertx));
    TestSettings.assertValid(settings);
    return probe;
  }

  private static ProbeContext context(Vertx vertx) {
    return new ProbeContext(vertx, "test", Duration.ofSeconds(2), () -> {});
  }
}
