package dev.medic.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.Daemon;
import dev.medic.config.ConfigLoader;
import dev.medic.config.MedicConfig;
import dev.medic.metrics.MedicMetrics;
import dev.medic.probe.ProbeResult;
import dev.medic.probe.ProbeTypes;
import dev.medic.probe.Status;
import dev.medic.testing.Await;
import dev.medic.testing.ScriptedProbeType;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API's limits against clients that would take medic's memory or descriptors: real sockets to
 * a real daemon on loopback, each test with the limits it needs.
 */
class ApiLimitsTest {

  private final ScriptedProbeType scripted = new ScriptedProbeType();
  private final List<Socket> sockets = new ArrayList<>();
  private Vertx vertx;
  private Daemon daemon;
  private MedicMetrics metrics;

  @TempDir
  Path journalDir;

  private void start(String http, int flippingChecks) throws Exception {
    vertx = Vertx.vertx();
    metrics = new MedicMetrics(MedicMetrics.newRegistry());
    StringBuilder checks = new StringBuilder("steady { type = scripted }\n");
    scripted.script("steady", i -> Future.succeededFuture(ProbeResult.ok("fine")));
    for (int n = 0; n < flippingChecks; n++) {
      // A new state every run: ok, critical, ok, ... (fall = rise = 1).
      scripted.script("flip" + n, i -> Future.succeededFuture(i % 2 == 0 ? ProbeResult.ok("up")
          : ProbeResult.of(Status.CRITICAL, "down " + "x".repeat(200), java.util.Map.of())));
      checks.append("flip").append(n).append(" { type = scripted, interval = 100ms, timeout = 50ms }\n");
    }
    MedicConfig cfg = new ConfigLoader(ProbeTypes.of(scripted), vertx).loadString("""
        medic {
          http { port = 0, %s }
          startup-spread = 0s
          fall = 1
          rise = 1
          flap { changes = 1000, window = 1s }
          journal.dir = "%s"
          checks { %s }
        }
        """.formatted(http, journalDir, checks), "api-limits-test.conf");
    daemon = Await.join(Daemon.start(vertx, cfg, metrics));
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (daemon != null) {
      Await.join(daemon.stop());
    }
    if (vertx != null) {
      Await.join(vertx.close());
    }
  }

  private Socket connect(int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", daemon.apiPort()), 2000);
    sockets.add(s);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** True once the server has closed the socket (end of stream or reset), reading within {@code ms}. */
  private static boolean closedWithin(Socket s, long ms) throws IOException {
    long deadline = System.nanoTime() + ms * 1_000_000;
    s.setSoTimeout(100);
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    while (System.nanoTime() < deadline) {
      try {
        if (in.read(buf) < 0) {
          return true;
        }
      } catch (SocketTimeoutException notYet) {
        // still open
      } catch (IOException reset) {
        return true;
      }
    }
    return false;
  }

  private double counter(String name, String... tags) {
    Counter c = metrics.registry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private int health() {
    HttpClient client = vertx.createHttpClient();
    try {
      return Await.join(client.request(HttpMethod.GET, daemon.apiPort(), "127.0.0.1", "/health")
          .compose(r -> r.send()).compose(r -> r.body().map(b -> r.statusCode())));
    } finally {
      client.close();
    }
  }

  @Test
  void slowEventReadersAreDroppedAndCountedWhileAGoodClientKeepsReceiving() throws Exception {
    start("max-event-clients = 110, events-backlog = 16", 40);
    // A well-behaved client first.
    AtomicInteger received = new AtomicInteger();
    HttpClient good = vertx.createHttpClient();
    AtomicReference<HttpClientResponse> stream = new AtomicReference<>();
    Await.join(good.request(HttpMethod.GET, daemon.apiPort(), "127.0.0.1", "/events").compose(r -> r.send())
        .onSuccess(r -> {
          stream.set(r);
          r.handler(b -> received.addAndGet(count(b.toString(StandardCharsets.UTF_8), "event: state")));
        }));
    // A hundred that ask and never read, with a small receive buffer.
    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Socket s = connect(1024);
      send(s, "GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
      slow.add(s);
    }
    Await.until("every slow reader dropped and counted", 60_000,
        () -> counter("medic.events.clients.dropped") >= 100);
    for (Socket s : slow) {
      // Their connections are closed (what they had not read is still in their buffer; then the end).
      assertThat(closedWithin(s, 5_000)).isTrue();
    }
    Await.until("only the good client still open", 5_000,
        () -> metrics.registry().find("medic.events.clients").gauge().value() == 1.0);
    int before = received.get();
    Await.until("the good client still receives events", 5_000, () -> received.get() > before + 50);
    assertThat(counter("medic.events.clients.dropped")).isEqualTo(100.0);
    assertThat(metrics.scrape()).contains("medic_events_clients_dropped_total 100.0", "medic_events_clients 1.0");
    good.close();
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void eventClientsBeyondTheCapAnswer503() throws Exception {
    start("max-event-clients = 2", 0);
    for (int i = 0; i < 2; i++) {
      Socket s = connect(0);
      send(s, "GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
      s.setSoTimeout(5000);
      byte[] head = new byte[12];
      assertThat(s.getInputStream().readNBytes(head, 0, 12)).isEqualTo(12);
      assertThat(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
    }
    HttpClient client = vertx.createHttpClient();
    JsonObject refused = Await.join(client.request(HttpMethod.GET, daemon.apiPort(), "127.0.0.1", "/events")
        .compose(r -> r.send()).compose(r -> {
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.getHeader("retry-after")).isNotNull();
          return r.body();
        })).toJsonObject();
    assertThat(refused.getString("error")).contains("too many /events clients", "limit medic.http.max-event-clients = 2");
    assertThat(counter("medic.api.requests.rejected", "reason", "max-event-clients")).isEqualTo(1.0);
    client.close();
  }

  @Test
  void idleConnectionsAreClosedByTheIdleTimeout() throws Exception {
    start("idle-timeout = 600ms, header-timeout = 10s", 0);
    List<Socket> idle = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      idle.add(connect(0));
    }
    for (Socket s : idle) {
      assertThat(closedWithin(s, 5_000)).as("an idle connection closed").isTrue();
    }
    assertThat(health()).isEqualTo(200);
  }

  @Test
  void aClientTricklingItsRequestIsClosedAtTheHeaderDeadline() throws Exception {
    start("idle-timeout = 30s, header-timeout = 1s", 0);
    trickleUntilClosed();
  }

  @Test
  void theHeaderDeadlineStillClosesOnceTimerIdsAreLarge() throws Exception {
    // The scheduler takes a timer per run: minutes after start the ids are far above 127, where
    // two boxed Longs of the same value are no longer the same object.
    start("idle-timeout = 30s, header-timeout = 1s", 0);
    AtomicInteger fired = new AtomicInteger();
    for (int i = 0; i < 300; i++) {
      vertx.setTimer(1, id -> fired.incrementAndGet());
    }
    Await.until("300 timers fired", 5_000, () -> fired.get() == 300);
    trickleUntilClosed();
  }

  private void trickleUntilClosed() throws Exception {
    Socket s = connect(0);
    s.setSoTimeout(100);
    String request = "GET /status HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: " + "a".repeat(200) + "\r\n\r\n";
    long started = System.nanoTime();
    boolean closed = false;
    // One byte every 100 ms: never idle, never whole before the deadline (the request takes 25 s).
    for (int i = 0; i < request.length() && !closed; i++) {
      try {
        send(s, request.substring(i, i + 1));
        closed = s.getInputStream().read() < 0;
      } catch (SocketTimeoutException stillOpen) {
        assertThat(System.nanoTime() - started).as("closed by the 1 s deadline").isLessThan(8_000_000_000L);
      } catch (IOException reset) {
        closed = true;
      }
    }
    assertThat(closed).isTrue();
    assertThat(counter("medic.api.connections.closed", "reason", "header-timeout")).isEqualTo(1.0);
    assertThat(health()).isEqualTo(200);
  }

  @Test
  void connectionsBeyondTheLimitAreClosedAtOnceAndTheApiAnswersOnceTheyGo() throws Exception {
    start("max-connections = 10, idle-timeout = 60s, header-timeout = 60s", 0);
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(connect(0));
    }
    Await.until("ten connections open", 5_000,
        () -> metrics.registry().find("medic.api.connections").gauge().value() == 10.0);
    List<Socket> beyond = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      beyond.add(connect(0));
    }
    for (Socket s : beyond) {
      assertThat(closedWithin(s, 3_000)).as("a connection over the limit closed at once").isTrue();
    }
    assertThat(counter("medic.api.connections.closed", "reason", "max-connections")).isEqualTo(5.0);
    for (Socket s : held) {
      s.close();
    }
    Await.until("the API answers again", 5_000, () -> {
      try {
        return health() == 200;
      } catch (RuntimeException stillFull) {
        return false;
      }
    });
    assertThat(metrics.scrape()).contains("medic_api_connections_limit 10.0");
  }

  @Test
  void aClientThatPipelinesRequestsAndNeverReadsTheAnswersIsClosedAsIdle() throws Exception {
    // Vert.x stops reading a connection whose answers are not read (no pile-up in memory); with
    // nothing read or written any more, the idle timeout closes it.
    start("idle-timeout = 2s, header-timeout = 1s", 0);
    Socket s = connect(1024);
    String one = "GET /status?check=steady HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";
    // 20,000 requests (about 1 MiB) whose answers (about 20 MiB) it never reads.
    Thread writer = new Thread(() -> {
      try {
        OutputStream out = s.getOutputStream();
        byte[] batch = one.repeat(100).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 200; i++) {
          out.write(batch);
        }
      } catch (IOException closedByMedic) {
        // expected once medic gives up on it
      }
    }, "pipelining-client");
    writer.start();
    Await.until("the pipelining connection open", 5_000,
        () -> metrics.registry().find("medic.api.connections").gauge().value() == 1.0);
    Await.until("the unread connection closed", 15_000,
        () -> metrics.registry().find("medic.api.connections").gauge().value() == 0.0);
    writer.join(10_000);
    assertThat(health()).isEqualTo(200);
  }

  @Test
  void aHealthyEventStreamOutlivesTheIdleTimeout() throws Exception {
    start("idle-timeout = 600ms", 0);
    Socket s = connect(0);
    send(s, "GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    s.setSoTimeout(3000);
    InputStream in = s.getInputStream();
    StringBuilder seen = new StringBuilder();
    long until = System.nanoTime() + 2_500_000_000L;
    byte[] buf = new byte[4096];
    while (System.nanoTime() < until) {
      int n = in.read(buf);
      assertThat(n).as("the stream stays open past the 600 ms idle timeout").isPositive();
      seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    // Keep-alive comments every 200 ms (a third of the idle timeout) kept it open.
    assertThat(count(seen.toString(), ": keep-alive")).isGreaterThanOrEqualTo(5);
  }
}
