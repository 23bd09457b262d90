package dev.medic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.testing.FakeLeaseApiServer;
import dev.medic.testing.HungServer;
import dev.medic.testing.RedisBinary;
import dev.medic.testing.Scripts;
import dev.medic.testing.TestPki;
import dev.medic.testing.TestPostgres;
import dev.medic.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user of fleet mode would try: three medic processes watching one real Redis with a
 * shared restart action and a shared check, coordinated through a real lease backend (a second
 * Redis, or PostgreSQL). One {@code kill -9} of the watched Redis must give one restart across all
 * three journals and one alert at the webhook; killing the instance that holds the lease in the
 * middle of its restart must let another instance finish the recovery once the lease has expired.
 */
class FleetProcessTest {

  private static final String KUBE_TOKEN = "fleet-test-service-account-token";
  private static TestPostgres postgres;
  private static Vertx kubeVertx;
  private static FakeLeaseApiServer kube;
  private static int kubePort;
  private static Path kubeDir;
  private static TestPki pki;

  @TempDir
  Path tmp;
  private RedisBinary redis;
  private int watchedPort;
  private TestRedis leaseRedis;
  private Vertx vertx;
  private HttpServer sink;
  private final List<JsonObject> alerts = new CopyOnWriteArrayList<>();
  private final List<Process> medics = new ArrayList<>();
  /** The backends outlive a test (one PostgreSQL for the class): each test keeps its own leases and budgets. */
  private final String keyPrefix = "t" + Long.toHexString(System.nanoTime());

  @BeforeAll
  static void startBackends() throws Exception {
    postgres = TestPostgres.start();
    // The Kubernetes API server's Lease endpoints, over TLS with a bearer token, as a pod sees them.
    kubeDir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fleet-k8s-");
    pki = TestPki.create(kubeDir);
    Files.writeString(kubeDir.resolve("token"), KUBE_TOKEN + "\n");
    kubeVertx = Vertx.vertx();
    kube = new FakeLeaseApiServer(KUBE_TOKEN);
    kubePort = kube.start(kubeVertx, pki.issueForDays("api", 30, "127.0.0.1"));
  }

  @AfterAll
  static void stopBackends() throws Exception {
    postgres.close();
    kubeVertx.close().toCompletionStage().toCompletableFuture().join();
  }

  @BeforeEach
  void start() throws Exception {
    redis = RedisBinary.extract(tmp);
    watchedPort = HungServer.freePort();
    redis.start(watchedPort);
    leaseRedis = TestRedis.start();
    vertx = Vertx.vertx();
    sink = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      b.toJsonObject().getJsonArray("events").forEach(e -> alerts.add((JsonObject) e));
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join();
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : medics) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    // The restart script's own children (a hung first attempt's sleep) and the Redis it started.
    if (Files.exists(tmp.resolve("scripts.pids"))) {
      for (String pid : Files.readAllLines(tmp.resolve("scripts.pids"))) {
        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(h -> {
          h.descendants().forEach(ProcessHandle::destroyForcibly);
          h.destroyForcibly();
        });
      }
    }
    if (Files.exists(redis.pidFile(watchedPort))) {
      RedisBinary.kill9(redis.pid(watchedPort));
    }
    leaseRedis.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private String cluster(String backend) {
    return switch (backend) {
      case "redis" -> "lease = " + Scripts.quote(leaseRedis.uri());
      case "postgresql" -> "lease = " + Scripts.quote(postgres.uri());
      default -> "lease = kubernetes, kubernetes { api = \"https://127.0.0.1:" + kubePort + "\", namespace = fleet,"
          + " token-file = " + Scripts.quote(kubeDir.resolve("token").toString()) + ", ca-file = "
          + Scripts.quote(pki.caPem().toString()) + " }";
    };
  }

  /**
   * The restart command: records who ran it (the medic's pid is its parent), then either hangs
   * (the first run, when {@code hangFirst}: a holder killed in the middle of its action) or starts
   * the watched Redis again.
   */
  private Path restartScript(boolean hangFirst) throws IOException {
    String start = String.join(" ", redis.command(watchedPort).stream().map(FleetProcessTest::sh).toList());
    return Scripts.write(tmp.resolve("restart-cache.sh"), """
        echo $$ >> %1$s
        echo "$PPID" >> %2$s
        if [ "%3$s" = true ] && [ ! -e %4$s ]; then
          touch %4$s
          sleep 60
          exit 1
        fi
        exec %5$s
        """.formatted(sh(tmp.resolve("scripts.pids").toString()), sh(tmp.resolve("restarts.log").toString()),
        hangFirst, sh(tmp.resolve("first-hung").toString()), start));
  }

  private static String sh(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private Process medic(int n, String backend, Path script) throws IOException {
    Path conf = tmp.resolve("medic-" + n + ".conf");
    Files.writeString(conf, """
        medic {
          instance = medic-%1$d
          http.port = 0
          startup-spread = 0s
          journal.dir = %3$s
          cluster { %4$s, ttl = 3s, key-prefix = %8$s }
          checks.cache {
            type = redis, uri = "redis://127.0.0.1:%5$d"
            interval = 30s, fall = 2, rise = 1, retry-interval = 300ms
            scope = shared
            on-critical = [restart-cache]
          }
          actions.restart-cache {
            type = command, command = [%6$s], scope = shared, timeout = 90s
            max-attempts = 3, within = 10m, backoff { initial = 1s }, grace = 1s
          }
          notify.hook {
            type = webhook, url = "http://127.0.0.1:%7$d/hook", severities = [critical], group-wait = 0s
          }
        }
        """.formatted(n, 0, Scripts.quote(tmp.resolve("journal-" + n).toString()), cluster(backend),
        watchedPort, Scripts.quote(script.toString()), sink.actualPort(), keyPrefix));
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp, "dev.medic.Main", "run", "--config", conf.toString());
    Process p = pb.redirectErrorStream(true).redirectOutput(tmp.resolve("medic-" + n + ".log").toFile()).start();
    medics.add(p);
    return p;
  }

  private void startThree(String backend, Path script) throws Exception {
    for (int n = 1; n <= 3; n++) {
      medic(n, backend, script);
    }
    for (int n = 1; n <= 3; n++) {
      int i = n;
      await("medic-" + n + " has its first result", 60, () -> log(i).contains("state changed"));
    }
  }

  /** The port the instance's API bound (port 0 in its config: no race for a "free" port). */
  private int apiPort(int n) throws IOException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("API listening .* port=(\\d+)").matcher(log(n));
    if (!m.find()) {
      throw new AssertionError("medic-" + n + " logged no API port:\n" + log(n));
    }
    return Integer.parseInt(m.group(1));
  }

  private String log(int n) throws IOException {
    return Files.readString(tmp.resolve("medic-" + n + ".log"), StandardCharsets.UTF_8);
  }

  /** Finished attempts of restart-cache in every instance's journal. */
  private List<JsonObject> attempts() throws IOException {
    return journaled("attempt");
  }

  private List<JsonObject> journaled(String kind) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      Path dir = tmp.resolve("journal-" + n);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).toList()) {
          for (String line : Files.readAllLines(f)) {
            JsonObject r = new JsonObject(line);
            if (kind.equals(r.getString("kind")) && "restart-cache".equals(r.getString("action"))) {
              out.add(r);
            }
          }
        }
      }
    }
    return out;
  }

  private boolean redisAnswers() {
    try (Socket s = new Socket("127.0.0.1", watchedPort)) {
      s.setSoTimeout(1000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[7];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private List<JsonObject> criticalAlerts() {
    return alerts.stream().filter(e -> "state".equals(e.getString("kind")) && "cache".equals(e.getString("check"))
        && "critical".equals(e.getString("status"))).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "postgresql", "kubernetes"})
  void oneKillGivesOneRestartAndOneAlertAcrossThreeInstances(String backend) throws Exception {
    startThree(backend, restartScript(false));
    RedisBinary.kill9(redis.pid(watchedPort));

    await("the watched Redis answers again", 30, this::redisAnswers);
    await("the restart is journaled", 15, () -> !attempts().isEmpty());
    // Give the other two every chance to act or alert a second time.
    Thread.sleep(4000);

    List<JsonObject> done = attempts();
    assertThat(done).as("restart attempts across the three journals").hasSize(1);
    assertThat(done.get(0).getString("outcome")).isEqualTo("success");
    // Kubernetes counts leaseTransitions from 0; Redis and PostgreSQL count grants from 1.
    assertThat(done.get(0).getLong("token")).as("fencing token in the journal").isNotNull().isNotNegative();
    assertThat(Files.readAllLines(tmp.resolve("restarts.log"))).as("restart commands run").hasSize(1);
    assertThat(criticalAlerts()).as("critical alerts for cache: " + alerts).hasSize(1);
    // The others saw the lease taken and said by whom.
    String holder = done.get(0).getString("instance");
    int others = 0;
    for (int n = 1; n <= 3; n++) {
      if (!("medic-" + n).equals(holder) && log(n).contains("held by " + holder)) {
        others++;
      }
    }
    assertThat(others).as("instances that logged the lease held by " + holder).isGreaterThanOrEqualTo(1);
    for (Process p : medics) {
      assertThat(p.isAlive()).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "postgresql", "kubernetes"})
  void whenTheHolderDiesMidActionAnotherFinishesTheRecoveryAfterTheTtl(String backend) throws Exception {
    startThree(backend, restartScript(true));
    RedisBinary.kill9(redis.pid(watchedPort));

    await("a first restart has started (and hangs)", 20, () -> Files.exists(tmp.resolve("restarts.log"))
        && !Files.readAllLines(tmp.resolve("restarts.log")).isEmpty());
    long holderPid = Long.parseLong(Files.readAllLines(tmp.resolve("restarts.log")).get(0).trim());
    Process holder = medics.stream().filter(p -> p.pid() == holderPid).findFirst().orElseThrow();
    String holderName = "medic-" + (medics.indexOf(holder) + 1);
    // While it runs, the others show who holds the action in /status.
    for (int n = 0; n < 3; n++) {
      if (medics.get(n) != holder) {
        int port = apiPort(n + 1);
        // heldBecause is null until the attempt is seen: read it as text.
        await("medic-" + (n + 1) + " shows the lease holder", 10, () -> String.valueOf(recoveryOf(port)
            .getValue("heldBecause")).contains("held by " + holderName));
      }
    }
    holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    long killedAt = System.nanoTime();

    await("another instance restarts the watched Redis", 40, this::redisAnswers);
    double afterMs = (System.nanoTime() - killedAt) / 1e6;
    await("the recovery is journaled by a survivor", 15, () -> attempts().stream()
        .anyMatch(r -> "success".equals(r.getString("outcome"))));
    List<String> runs = Files.readAllLines(tmp.resolve("restarts.log"));
    assertThat(runs).as("restart commands run").hasSize(2);
    assertThat(Long.parseLong(runs.get(1).trim())).as("the second run's medic").isNotEqualTo(holderPid);
    JsonObject success = attempts().stream().filter(r -> "success".equals(r.getString("outcome"))).findFirst()
        .orElseThrow();
    assertThat(success.getInteger("attempt")).as("the shared budget counted the dead holder's attempt").isEqualTo(2);
    long deadToken = journaled("attempt-started").stream().filter(r -> r.getInteger("attempt") == 1).findFirst()
        .orElseThrow().getLong("token");
    assertThat(success.getLong("token")).as("the survivor's fencing token is newer than the dead holder's")
        .isGreaterThan(deadToken);
    // Not before the dead holder's lease ran out (3 s ttl), not long after it.
    assertThat(afterMs).isBetween(1000.0, 30000.0);
  }

  private static JsonObject recoveryOf(int port) throws Exception {
    String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + port + "/status?check=cache")).header("accept", "application/json")
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    JsonObject recovery = new JsonObject(body).getJsonObject("recovery");
    return recovery == null ? new JsonObject() : recovery;
  }

  private interface Condition {
    boolean met() throws Exception;
  }

  private void await(String what, int seconds, Condition c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (c.met()) {
        return;
      }
      Thread.sleep(100);
    }
    StringBuilder logs = new StringBuilder();
    for (int n = 1; n <= 3; n++) {
      List<String> lines = log(n).lines().toList();
      logs.append("\n--- medic-").append(n).append(" (last lines)\n")
          .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size())));
    }
    throw new AssertionError("timed out after " + seconds + " s waiting for: " + what + logs);
  }
}
