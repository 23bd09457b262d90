package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.HungServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * medic as shipped (-Xmx256m, serial GC) under a 512-descriptor limit while a local user opens 600
 * idle connections to its API: the API takes at most a quarter of the descriptors, so the checks
 * (a tcp probe and a command plugin, which need descriptors of their own) stay healthy, and the
 * API answers again once the idle sockets are closed by the request deadline.
 */
@EnabledOnOs(OS.LINUX)
class ApiDescriptorsProcessTest {

  @TempDir
  Path tmp;

  @Test
  void sixHundredIdleSocketsUnderA512DescriptorLimitTurnNoHealthyCheckCritical() throws Exception {
    int port = HungServer.freePort();
    try (ServerSocket app = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        // The "application" the tcp check probes: accept and close.
        while (!app.isClosed()) {
          try (Socket s = app.accept()) {
            s.getOutputStream().flush();
          } catch (IOException closed) {
            return;
          }
        }
      }, "test-app");
      acceptor.setDaemon(true);
      acceptor.start();
      Path conf = tmp.resolve("medic.conf");
      Files.writeString(conf, """
          medic {
            http.port = %d
            interval = 1s
            timeout = 800ms
            checks {
              app { type = tcp, host = "127.0.0.1", port = %d }
              plugin { type = command, command = ["/bin/true"] }
              root { type = disk, path = "/" }
            }
          }
          """.formatted(port, app.getLocalPort()));
      String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      List<String> cmd = new ArrayList<>(List.of("prlimit", "--nofile=512:512", "--",
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+UseSerialGC", "-Xms8m", "-Xmx256m", "-Xss512k", "-XX:TieredStopAtLevel=1",
          "-XX:+ExitOnOutOfMemoryError", "-cp", cp, "dev.medic.Main", "run", "--config", conf.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("MEDIC_JOURNAL_DIR", tmp.resolve("journal").toString());
      Path log = tmp.resolve("out.log");
      Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
      List<Socket> idle = new ArrayList<>();
      try {
        awaitReady(p, port, log);
        assertThat(get(port, "/metrics")).contains("medic_api_connections_limit 128.0");
        long floodStart = System.nanoTime();
        for (int i = 0; i < 600; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
          idle.add(s);
        }
        // Six probe rounds while the sockets are held (medic closes its side at the 10 s request deadline).
        while (System.nanoTime() - floodStart < TimeUnit.SECONDS.toNanos(6)) {
          Thread.sleep(200);
        }
        String during = Files.readString(log, StandardCharsets.UTF_8);
        // A burst of connects faster than medic closes them may cost one probe result (never
        // confirmed: fall = 2); a sustained shortage would confirm it.
        assertThat(during.lines().filter(l -> l.contains("state changed") && l.contains("to=critical")).toList())
            .as("no check turned critical").isEmpty();
        for (Socket s : idle) {
          s.close();
        }
        String status = get(port, "/status");
        assertThat(status).contains("\"status\" : \"ok\"").doesNotContain("\"critical\"");
        assertThat(get(port, "/metrics")).contains("medic_api_connections_closed_total{reason=\"max-connections\"}");
        assertThat(p.isAlive()).isTrue();
      } finally {
        for (Socket s : idle) {
          s.close();
        }
        p.destroy();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  private static void awaitReady(Process p, int port, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int ready = 0;
    while (ready != 200 && System.nanoTime() < deadline && p.isAlive()) {
      try {
        ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException notYet) {
        ready = 0;
      }
      if (ready != 200) {
        Thread.sleep(100);
      }
    }
    assertThat(ready).as(Files.readString(log, StandardCharsets.UTF_8)).isEqualTo(200);
  }

  private static String get(int port, String path) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("accept", "application/json").timeout(Duration.ofSeconds(3)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } catch (IOException full) {
        last = full;
        Thread.sleep(200);
      }
    }
    throw last;
  }
}
