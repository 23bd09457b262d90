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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class DiskProbeTest {

  @TempDir Path tmp;

  @Test
  void rootIsMeasuredAsDfSeesIt(Vertx vertx, VertxTestContext test) throws Exception {
    assertMatchesDf(vertx, test, "/");
  }

  @Test
  void aDirectoryIsMeasuredOnTheFileSystemHoldingIt(Vertx vertx, VertxTestContext test) throws Exception {
    assertMatchesDf(vertx, test, tmp.toString());
  }

  private void assertMatchesDf(Vertx vertx, VertxTestContext test, String path) throws Exception {
    Df df = Df.of(path);
    probe(vertx, "path = \"" + path + "\"").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.OK);
      double used = r.measurements().get("used").value();
      double free = r.measurements().get("free").value();
      assertThat(r.measurements().get("used").unit()).isEqualTo(Unit.RATIO);
      assertThat(r.measurements().get("free").unit()).isEqualTo(Unit.BYTES);
      assertThat(used).isBetween(0.0, 1.0).isCloseTo(df.usedRatio(), within(0.02));
      // Other programs write meanwhile: the same order of magnitude, give or take 256 MiB.
      assertThat(free).isCloseTo(df.available, within(Math.max(df.available * 0.05, 256.0 * 1024 * 1024)));
      if (df.inodes > 0) {
        assertThat(r.measurements().get("inodes-used").value())
            .isBetween(0.0, 1.0)
            .isCloseTo((double) df.inodesUsed / df.inodes, within(0.01));
        assertThat(r.message()).matches("\\Q" + path + "\\E \\d+% used, [\\d.]+ [KMGTP]?i?B free, inodes [\\d.]+% used");
      } else {
        assertThat(r.measurements()).doesNotContainKey("inodes-used");
      }
      test.completeNow();
    })));
  }

  @Test
  void aMissingPathIsCriticalAndNamed(Vertx vertx, VertxTestContext test) throws Exception {
    String missing = tmp.resolve("no-such-dir").toString();
    probe(vertx, "path = \"" + missing + "\"").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo(missing + " does not exist");
      assertThat(r.measurements()).isEmpty();
      test.completeNow();
    })));
  }

  @Test
  void pathDefaultsToRoot(Vertx vertx, VertxTestContext test) throws Exception {
    probe(vertx, "").run().onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r.message()).startsWith("/ ");
      assertThat(r.measurements()).containsKeys("used", "free");
      test.completeNow();
    })));
  }

  @Test
  void aRelativePathOrAnUnknownKeyIsAConfigProblem(Vertx vertx) {
    Settings settings = TestSettings.of("path = \"var/log\"\npth = \"/\"");
    new DiskProbeType().create(settings, context(vertx));
    settings.reportUnknownKeys();

    assertThat(settings.problems().sorted()).extracting(ConfigProblem::toString).containsExactly(
        "test.conf:1: medic.checks.test.path: \"var/log\" is not an absolute path (expected e.g. \"/\" or \"/var/lib/app\")",
        "test.conf:2: medic.checks.test.pth: unknown key (did you mean \"path\"?)");
  }

  @Test
  void isFoundByTypeNameWithItsMeasurements() {
    ProbeType type = ServiceLoader.load(ProbeType.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(t -> t.type().equals("disk"))
        .findFirst().orElseThrow();

    assertThat(type).isInstanceOf(DiskProbeType.class);
    assertThat(type.measurements()).containsOnlyKeys("used", "free", "inodes-used");
    assertThat(type.measurements().get("free").lowerIsWorse()).isTrue();
    assertThat(type.measurements().get("used").lowerIsWorse()).isFalse();
  }

  private Probe probe(Vertx vertx, String hocon) throws Exception {
    Settings settings = TestSettings.of(hocon);
    Probe probe = new DiskProbeType().create(settings, context(vertx));
    TestSettings.assertValid(settings);
    return probe;
  }

  private static ProbeContext context(Vertx vertx) {
    return new ProbeContext(vertx, "test", Duration.ofSeconds(2), () -> {});
  }

  /** What coreutils df says about a path, in bytes and inodes. */
  private record Df(long used, long available, long inodesUsed, long inodes) {

    double usedRatio() {
      return (double) used / (used + available);
    }

    static Df of(String path) throws IOException, InterruptedException {
      Process df = new ProcessBuilder("df", "-B1", "--output=used,avail,iused,itotal", path)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      List<String> lines = new String(df.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      assertThat(df.waitFor()).as("df exit status").isZero();
      String[] f = lines.get(1).trim().split("\\s+");
      // df prints "-" for inode counts a file system does not keep.
      return new Df(Long.parseLong(f[0]), Long.parseLong(f[1]), number(f[2]), number(f[3]));
    }

    private static long number(String s) {
      return s.equals("-") ? 0 : Long.parseLong(s);
    }
  }
}
