package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
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
class MemoryProbeTest {

  private static final double KIB = 1024;

  @TempDir Path tmp;

  @Test
  void usedIsWhatIsNotAvailable(Vertx vertx, VertxTestContext test) throws Exception {
    Path meminfo = fixture("""
        MemTotal:       16000000 kB
        MemFree:         2000000 kB
        MemAvailable:    4000000 kB
        Buffers:          100000 kB
        Cached:          3000000 kB
        SwapCached:            0 kB
        SwapTotal:       2000000 kB
        SwapFree:        1500000 kB
        HugePages_Total:       0
        """);
    probe(vertx, meminfo).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.measurements().get("used").value()).isCloseTo(1 - 4000000.0 / 16000000.0, within(1e-12));
      assertThat(r.measurements().get("used").unit()).isEqualTo(Unit.RATIO);
      assertThat(r.measurements().get("available").value()).isEqualTo(4000000 * KIB);
      assertThat(r.measurements().get("available").unit()).isEqualTo(Unit.BYTES);
      assertThat(r.measurements().get("swap-used").value()).isCloseTo(500000.0 / 2000000.0, within(1e-12));
      assertThat(r.message()).isEqualTo("memory 75% used, 3.81 GiB available of 15.26 GiB, swap 25% used");
      test.completeNow();
    })));
  }

  @Test
  void noSwapIsZeroSwapUsed(Vertx vertx, VertxTestContext test) throws Exception {
    Path meminfo = fixture("""
        MemTotal:        1000000 kB
        MemFree:          100000 kB
        MemAvailable:     900000 kB
        SwapTotal:             0 kB
        SwapFree:              0 kB
        """);
    probe(vertx, meminfo).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.measurements().get("used").value()).isCloseTo(0.1, within(1e-12));
      assertThat(r.measurements().get("swap-used").value()).isZero();
      assertThat(r.message()).endsWith(", no swap");
      test.completeNow();
    })));
  }

  @Test
  void oldKernelsWithoutMemAvailableCountFreeBuffersAndCache(Vertx vertx, VertxTestContext test) throws Exception {
    Path meminfo = fixture("""
        MemTotal:       16000000 kB
        MemFree:         2000000 kB
        Buffers:          100000 kB
        Cached:          3000000 kB
        SwapTotal:       1000000 kB
        SwapFree:        1000000 kB
        """);
    probe(vertx, meminfo).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.measurements().get("available").value()).isEqualTo(5100000 * KIB);
      assertThat(r.measurements().get("used").value()).isCloseTo(1 - 5100000.0 / 16000000.0, within(1e-12));
      assertThat(r.measurements().get("swap-used").value()).isZero();
      test.completeNow();
    })));
  }

  @Test
  void theRealProcMeminfoGivesSaneValues(Vertx vertx, VertxTestContext test) throws Exception {
    long totalKib = Files.readAllLines(Path.of("/proc/meminfo")).stream()
        .filter(l -> l.startsWith("MemTotal:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
        .findFirst().orElseThrow();
    probe(vertx, "").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      assertThat(r.measurements().get("used").value()).isGreaterThan(0.0).isLessThan(1.0);
      assertThat(r.measurements().get("available").value()).isGreaterThan(0.0).isLessThanOrEqualTo(totalKib * KIB);
      assertThat(r.measurements().get("swap-used").value()).isBetween(0.0, 1.0);
      assertThat(r.message()).startsWith("memory ");
      test.completeNow();
    })));
  }

  @Test
  void anUnreadableFileIsUnknownAndNamed(Vertx vertx, VertxTestContext test) throws Exception {
    Path missing = tmp.resolve("meminfo");
    probe(vertx, missing).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.UNKNOWN);
      assertThat(r.message()).startsWith("cannot read " + missing + ":");
      test.completeNow();
    })));
  }

  @Test
  void aFileWithoutMemTotalIsUnknown(Vertx vertx, VertxTestContext test) throws Exception {
    Path meminfo = fixture("cpu  1 2 3 4\n");
    probe(vertx, meminfo).run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.UNKNOWN);
      assertThat(r.message()).isEqualTo(meminfo + " has no MemTotal (is it a Linux meminfo file?)");
      test.completeNow();
    })));
  }

  @Test
  void aRelativePathOrAnUnknownKeyIsAConfigProblem(Vertx vertx) {
    Settings settings = TestSettings.of("meminfo = \"proc/meminfo\"\nmemnifo = \"/x\"");
    new MemoryProbeType().create(settings, context(vertx));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).extracting(ConfigProblem::toString).containsExactly(
        "test.conf:1: medic.checks.test.meminfo: \"proc/meminfo\" is not an absolute path (expected e.g. \"/proc/meminfo\")",
        "test.conf:2: medic.checks.test.memnifo: unknown key (did you mean \"meminfo\"?)");
  }

  @Test
  void isFoundByTypeNameWithItsMeasurements() {
    ProbeType type = ServiceLoader.load(ProbeType.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(t -> t.type().equals("memory"))
        .findFirst().orElseThrow();

    assertThat(type.measurements()).containsOnlyKeys("used", "available", "swap-used");
    assertThat(type.measurements().get("available").lowerIsWorse()).isTrue();
  }

  private Path fixture(String content) throws Exception {
    return Files.writeString(tmp.resolve("meminfo"), content);
  }

  private Probe probe(Vertx vertx, Path meminfo) throws Exception {
    return probe(vertx, "meminfo = \"" + meminfo + "\"");
  }

  private Probe probe(Vertx vertx, String hocon) throws Exception {
    Settings settings = TestSettings.of(hocon);
    Probe probe = new MemoryProbeType().create(settings, context(vertx));
    TestSettings.assertValid(settings);
    return probe;
  }

  private static ProbeContext context(Vertx vertx) {
    return new ProbeContext(vertx, "test", Duration.ofSeconds(2), () -> {});
  }
}
