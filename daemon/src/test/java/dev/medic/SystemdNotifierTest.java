package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.HungServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The notify protocol as systemd would see it: a real medic JVM whose {@code PATH} starts with a
 * fake {@code systemd-notify} that records each call, since Java 17 cannot open the Unix datagram
 * socket a real test would need.
 */
class SystemdNotifierTest {

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "WATCHDOG_USEC={0} WATCHDOG_PID={1} → {2} ms")
  @CsvSource(nullValues = "-", textBlock = """
      -,        -,    0
      2000000,  -,    1000
      2000000,  42,   1000
      2000000,  43,   0
      1000,     -,    1
      0,        -,    0
      soon,     -,    0
      """)
  void pingsEveryHalfWatchdogPeriodForThisProcessOnly(String usec, String pid, long expected) {
    Map<String, String> env = new HashMap<>();
    if (usec != null) {
      env.put("WATCHDOG_USEC", usec);
    }
    if (pid != null) {
      env.put("WATCHDOG_PID", pid);
    }
    assertThat(SystemdNotifier.watchdogIntervalMs(env, 42)).isEqualTo(expected);
  }

  @Test
  void withoutNotifySocketNothingRuns() {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      SystemdNotifier n = SystemdNotifier.start(vertx, Map.of("WATCHDOG_USEC", "1000000"), () -> true, () -> true);
      assertThat(n.active()).isFalse();
      assertThat(n.stop().succeeded()).isTrue();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  @Test
  void readyOnceEveryCheckHasAResultThenWatchdogPingsThenStopping() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path calls = tmp.resolve("calls.txt");
    Path fake = bin.resolve("systemd-notify");
    // What the real one needs to find, checked here so that the test fails if medic drops it.
    Files.writeString(fake, """
        #!/bin/sh
        [ -n "$NOTIFY_SOCKET" ] || { echo "no NOTIFY_SOCKET" >> "%1$s"; exit 1; }
        echo "$*" >> "%1$s"
        """.formatted(calls));
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));

    int port = HungServer.freePort();
    Path conf = tmp.resolve("medic.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          checks.root { type = disk, path = "/" }
        }
        """.formatted(port));
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", cp, "dev.medic.Main", "run", "--config", conf.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().put("NOTIFY_SOCKET", tmp.resolve("notify.sock").toString());
    pb.environment().put("WATCHDOG_USEC", "600000"); // a ping every 300 ms
    pb.environment().remove("WATCHDOG_PID");
    pb.environment().put("MEDIC_JOURNAL_DIR", tmp.resolve("journal").toString());
    Path log = tmp.resolve("out.log");
    Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && p.isAlive()
          && lines(calls).stream().filter(l -> l.contains("WATCHDOG=1")).count() < 2) {
        Thread.sleep(50);
      }
      List<String> seen = lines(calls);
      assertThat(seen).as(Files.readString(log)).isNotEmpty();
      assertThat(seen.get(0)).contains("READY=1");
      assertThat(seen.subList(1, seen.size())).filteredOn(l -> l.contains("WATCHDOG=1")).hasSizeGreaterThanOrEqualTo(2);
      assertThat(seen).noneMatch(l -> l.contains("no NOTIFY_SOCKET"));
      assertThat(seen.stream().filter(l -> l.contains("READY=1")).count()).isEqualTo(1);
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    assertThat(p.exitValue()).as(Files.readString(log)).isZero();
    // A ping already under way may land after it, so not necessarily the last line.
    assertThat(lines(calls)).anyMatch(l -> l.contains("STOPPING=1"));
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
  }
}
