package dev.medic.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.medic.testing.HungServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * medic's log goes to stderr, read by journald, a container runtime or a pipe. When that reader
 * stalls, the pipe fills (64 KiB) and a synchronous write blocks whatever thread logs — an event
 * loop. Here a real medic logs a state change on every probe of four flapping checks into a pipe
 * nobody reads: it must go on probing and answering /health.
 */
class StalledLogReaderTest {

  @TempDir
  Path tmp;

  private Process medic;
  private HttpServer target;

  @AfterEach
  void stop() throws Exception {
    if (medic != null) {
      medic.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (target != null) {
      target.stop(0);
    }
  }

  @Test
  void aLogReaderThatNeverReadsStopsNeitherProbingNorTheApi() throws Exception {
    // A target that alternates 200 and 500, so that every probe is a logged state change.
    AtomicLong requests = new AtomicLong();
    target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext("/", ex -> {
      long n = requests.incrementAndGet();
      ex.sendResponseHeaders(n % 2 == 0 ? 200 : 500, -1);
      ex.close();
    });
    target.start();
    int port = HungServer.freePort();
    StringBuilder checks = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      checks.append("c").append(i).append(" { type = http, url = \"http://127.0.0.1:")
          .append(target.getAddress().getPort()).append("/").append(i).append("\" }\n");
    }
    Path conf = tmp.resolve("medic.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          interval = 50ms
          timeout = 40ms
          fall = 1
          rise = 1
          flap.changes = 1000
          checks { %s }
        }
        """.formatted(port, checks));
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", cp, "dev.medic.Main", "run", "--config", conf.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("MEDIC_JOURNAL_DIR", tmp.resolve("journal").toString());
    // stderr stays a pipe that this test never reads.
    medic = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();

    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (health(client, port) != 200 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(health(client, port)).as("medic came up").isEqualTo(200);
    // 80 logged changes a second fill a 64 KiB pipe in a few seconds; wait well past that.
    Thread.sleep(8_000);
    for (int i = 0; i < 5; i++) {
      long before = requests.get();
      Thread.sleep(1_000);
      assertThat(requests.get() - before).as("probes in one second, %d s after the pipe filled", i + 8)
          .isGreaterThan(20);
      assertThat(health(client, port)).as("/health").isEqualTo(200);
    }
    assertThat(medic.isAlive()).isTrue();
  }

  private static int health(HttpClient client, int port) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }
}
