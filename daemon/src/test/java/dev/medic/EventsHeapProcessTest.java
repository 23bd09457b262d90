package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.medic.testing.HungServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * medic as shipped (-Xmx256m, serial GC, exit on OutOfMemoryError) while 100 local {@code /events}
 * clients connect and never read, and 40 checks change state on every probe (5 times a second
 * each, about 200 events a second): the slow clients are dropped at their backlog, the heap stays
 * far below the 256 MiB limit, medic keeps answering and a client that reads still gets events.
 * Before the per-client backlog (3f447a0) the same run failed: medic, still alive, no longer
 * answered /health within 3 s (and in another run did not stop within 20 s of SIGTERM).
 */
@EnabledOnOs(OS.LINUX)
class EventsHeapProcessTest {

  private static final int CHECKS = 40;
  private static final int SLOW_CLIENTS = 100;
  private static final long LOAD_SECONDS = 25;
  /** Far below -Xmx256m: what 100 unread streams may cost is their write queues and backlogs. */
  private static final long HEAP_BOUND = 96L << 20;

  /**
   * A long URL makes each event about 4 KiB (the message names it), so that the kernel's send
   * buffer of an unread socket (autotuned up to 4 MiB on loopback) is full within seconds, not
   * minutes, and what follows has to wait in medic.
   */
  private static final String PAD = "/" + "x".repeat(2000);

  @TempDir
  Path tmp;

  @Test
  void hundredClientsThatNeverReadLeaveTheHeapBoundedAndMedicServing() throws Exception {
    // The "application": every path answers 200 and 503 in turn, so each check flips on each probe.
    HttpServer app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    Map<String, AtomicLong> hits = new ConcurrentHashMap<>();
    app.createContext("/", ex -> {
      long n = hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicLong()).incrementAndGet();
      byte[] body = "flip\n".getBytes(StandardCharsets.US_ASCII);
      ex.sendResponseHeaders(n % 2 == 0 ? 200 : 503, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    app.setExecutor(Executors.newFixedThreadPool(4));
    app.start();
    int port = HungServer.freePort();
    StringBuilder checks = new StringBuilder();
    for (int i = 0; i < CHECKS; i++) {
      checks.append("      c").append(i).append(" { type = http, url = \"http://127.0.0.1:")
          .append(app.getAddress().getPort()).append("/c").append(i).append(PAD).append("\" }\n");
    }
    Path conf = tmp.resolve("medic.conf");
    Files.writeString(conf, """
        medic {
          http.port = %d
          # All 100 slow clients are admitted (the default is 32): the backlog must bound them.
          http.max-event-clients = 128
          interval = 200ms
          timeout = 150ms
          fall = 1
          rise = 1
          checks {
        %s  }
        }
        """.formatted(port, checks));
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-Xms8m", "-Xmx256m", "-Xss512k", "-XX:TieredStopAtLevel=1",
        "-XX:+ExitOnOutOfMemoryError", "-cp", cp, "dev.medic.Main", "run", "--config", conf.toString());
    pb.environment().put("MEDIC_JOURNAL_DIR", tmp.resolve("journal").toString());
    Path log = tmp.resolve("out.log");
    Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    List<Socket> slow = new ArrayList<>();
    try {
      awaitReady(p, port, log);
      for (int i = 0; i < SLOW_CLIENTS; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(1024);
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        s.getOutputStream().write("GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        slow.add(s);
      }
      // Under load for LOAD_SECONDS, the heap sampled every second (what /metrics reports; a
      // sample that does not come in time is skipped, the process must stay alive throughout).
      List<Long> samples = new ArrayList<>();
      long maxHeap = 0;
      long start = System.nanoTime();
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(LOAD_SECONDS)) {
        assertThat(p.isAlive()).as("medic alive after %d s under load; heap samples %s; log tail:%n%s",
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), mib(samples), tail(log)).isTrue();
        Long heap = heapUsed(port);
        if (heap != null) {
          samples.add(heap);
          maxHeap = Math.max(maxHeap, heap);
        }
        Thread.sleep(1000);
      }
      assertThat(p.isAlive()).as("medic alive; log tail:%n%s", tail(log)).isTrue();
      assertThat(maxHeap).as("most heap used, MiB samples %s", mib(samples)).isPositive().isLessThan(HEAP_BOUND);
      assertThat(status(port, "/health")).isEqualTo(200);
      String metrics = get(port, "/metrics");
      assertThat(counter(metrics, "medic_events_clients_dropped_total")).as("slow clients dropped; %d state changes logged; heap MiB %s; %s",
          Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.contains("state changed")).count(),
          mib(samples), metrics.lines().filter(l -> l.contains("events") || l.contains("medic_checks")).toList()).isPositive();
      assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("dropped a slow /events client");
      // A client that reads gets the stream: the comment line, then state events as they happen.
      try (Socket good = new Socket()) {
        good.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        good.setSoTimeout(10_000);
        good.getOutputStream().write("GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        BufferedReader in = new BufferedReader(new InputStreamReader(good.getInputStream(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
        int stateEvents = 0;
        for (int lines = 0; lines < 10_000 && stateEvents < 20; lines++) {
          String line = in.readLine();
          assertThat(line).as("stream still open").isNotNull();
          if (line.equals("event: state")) {
            stateEvents++;
          }
        }
        assertThat(stateEvents).isEqualTo(20);
      }
    } finally {
      for (Socket s : slow) {
        s.close();
      }
      p.destroy();
      // A JVM short of heap may not get through its shutdown: it must not hide the finding above.
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      app.stop(0);
      ((java.util.concurrent.ExecutorService) app.getExecutor()).shutdownNow();
    }
  }

  /** Sum of {@code jvm_memory_used_bytes{area="heap",...}}, or null when /metrics does not answer in time. */
  private static Long heapUsed(int port) {
    try {
      String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
      double sum = 0;
      for (String line : body.lines().toList()) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return (long) sum;
    } catch (IOException | InterruptedException | RuntimeException late) {
      return null;
    }
  }

  private static double counter(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static List<Long> mib(List<Long> bytes) {
    return bytes.stream().map(b -> b >> 20).toList();
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
  }

  private static void awaitReady(Process p, int port, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int ready = 0;
    while (ready != 200 && System.nanoTime() < deadline && p.isAlive()) {
      try {
        ready = status(port, "/ready");
      } catch (IOException notYet) {
        ready = 0;
      }
      if (ready != 200) {
        Thread.sleep(100);
      }
    }
    assertThat(ready).as(Files.readString(log, StandardCharsets.UTF_8)).isEqualTo(200);
  }

  private static int status(int port, String path) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
