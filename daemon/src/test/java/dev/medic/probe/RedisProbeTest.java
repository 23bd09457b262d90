package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.ConfiguredCheck;
import dev.medic.testing.CountingReprobe;
import dev.medic.testing.HeapCount;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestRedis;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The redis probe against real redis-server processes: one shared for the class, and one of their
 * own for tests that change or end a server. Futures are awaited on the test thread (never an
 * event loop), since the tests also drive the servers through a blocking admin client.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RedisProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final String PASSWORD = "s3cret-Stable-Horse";

  private static TestRedis redis;
  private static TestRedis secured;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = TestRedis.start();
    secured = TestRedis.start("requirepass " + PASSWORD,
        "user watcher on >watcher-pw ~* +ping +info +select", "user narrow on >narrow-pw ~* +ping");
  }

  @AfterAll
  static void stopRedis() throws Exception {
    for (TestRedis r : new TestRedis[] {redis, secured}) {
      if (r != null) {
        r.close();
      }
    }
  }

  // ---- results against real servers ------------------------------------------------------------

  @Test
  void okWithMemoryAndClients(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + redis.uri() + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(r.message()).startsWith("redis 127.0.0.1:" + redis.port() + " master, ")
          .containsPattern(" used \\([0-9.]+% of [0-9.]+ [KMGT]iB system memory\\), [1-9][0-9]* clients?$");
      assertThat(r.measurements()).containsOnlyKeys(
          "memory-used", "connected-clients", "blocked-clients", "rejected-connections", "evicted-keys");
      double system = Double.parseDouble(redis.info("total_system_memory"));
      double used = Double.parseDouble(redis.info("used_memory"));
      assertThat(r.measurements().get("memory-used").value()).isCloseTo(used / system, within(0.001));
      assertThat(r.measurements().get("memory-used").unit()).isEqualTo(Unit.RATIO);
      assertThat(r.measurements().get("connected-clients").value()).isGreaterThanOrEqualTo(1);
      assertThat(r.measurements().get("blocked-clients").value()).isZero();
      assertThat(r.measurements().get("evicted-keys").unit()).isEqualTo(Unit.COUNT);
      assertThat(r.latency()).isNotNull().isLessThan(TIMEOUT);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void memoryIsMeasuredAgainstMaxmemoryAndThresholdsTrip(Vertx vertx) throws Exception {
    try (TestRedis own = TestRedis.start()) {
      long used = Long.parseLong(own.info("used_memory"));
      // A quarter used: well clear of the 20% limit even if the server allocates a little meanwhile.
      own.admin(j -> j.configSet("maxmemory", String.valueOf(used * 4)));
      String body = "uri = \"" + own.uri() + "\"\n"
          + "thresholds { memory-used { warning = 10%, critical = 20% } }";
      try (ConfiguredCheck check = ConfiguredCheck.load(vertx, new RedisProbeType(), "cache", body)) {
        ProbeResult r = check.run().await();
        assertThat(r.measurements().get("memory-used").value()).isCloseTo(0.25, within(0.03));
        assertThat(r.status()).as(r.message()).isEqualTo(Status.CRITICAL);
        assertThat(r.message()).startsWith("memory-used ").contains(" ≥ critical 20%")
            .containsPattern("\\(2[0-9.]*% of maxmemory [0-9.]+ [KM]iB\\)");

        own.admin(j -> j.configSet("maxmemory", String.valueOf(used * 20)));
        ProbeResult relaxed = check.run().await();
        assertThat(relaxed.status()).as(relaxed.message()).isEqualTo(Status.OK);
        assertThat(relaxed.measurements().get("memory-used").value()).isCloseTo(0.05, within(0.01));
      }
    }
  }

  @Test
  void theRightPasswordIsAccepted(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"redis://:" + PASSWORD + "@127.0.0.1:" + secured.port() + "\"");
    Probe user = probe(vertx, "uri = \"redis://watcher:watcher-pw@127.0.0.1:" + secured.port() + "/2\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(r.message()).doesNotContain(PASSWORD);
      ProbeResult u = user.run().await();
      assertThat(u.status()).as(u.message()).isEqualTo(Status.OK);
    } finally {
      probe.close().await();
      user.close().await();
    }
  }

  @Test
  void aWrongOrMissingPasswordSaysSoAndNeverShowsThePassword(Vertx vertx) {
    Probe wrong = probe(vertx, "uri = \"redis://:wrong-Stable-Horse@127.0.0.1:" + secured.port() + "\"");
    Probe none = probe(vertx, "uri = \"redis://127.0.0.1:" + secured.port() + "\"");
    try {
      ProbeResult w = wrong.run().await();
      assertThat(w.status()).isEqualTo(Status.CRITICAL);
      assertThat(w.message()).startsWith("redis 127.0.0.1:" + secured.port() + ": authentication failed (WRONGPASS")
          .doesNotContain("wrong-Stable-Horse");
      ProbeResult n = none.run().await();
      assertThat(n.status()).isEqualTo(Status.CRITICAL);
      assertThat(n.message()).startsWith("redis 127.0.0.1:" + secured.port() + ": authentication required (NOAUTH")
          .endsWith(": no password in the uri");
    } finally {
      wrong.close().await();
      none.close().await();
    }
  }

  @Test
  void aUserWhomAclsForbidInfoIsUnknownNotCritical(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"redis://narrow:narrow-pw@127.0.0.1:" + secured.port() + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.UNKNOWN);
      assertThat(r.message()).startsWith("redis 127.0.0.1:" + secured.port() + ": INFO failed: NOPERM")
          .endsWith("(allow the user +info, +ping)");
    } finally {
      probe.close().await();
    }
  }

  @Test
  void nothingListeningIsConnectionRefused(Vertx vertx) throws Exception {
    int port = HungServer.freePort();
    Probe probe = probe(vertx, "uri = \"redis://127.0.0.1:" + port + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("redis 127.0.0.1:" + port + ": connection refused");
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aServerThatStaysDownCostsNoClientPerRun(Vertx vertx) throws Exception {
    Probe probe = probe(vertx, "uri = \"redis://127.0.0.1:" + HungServer.freePort() + "\"");
    try {
      probe.run().await();
      long before = HeapCount.live("io.vertx.core.net.impl.NetClientImpl");
      for (int i = 0; i < 300; i++) {
        assertThat(probe.run().await().message()).endsWith(": connection refused");
      }
      assertThat(HeapCount.live("io.vertx.core.net.impl.NetClientImpl") - before).as("NetClients left by 300 runs")
          .isLessThan(10);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOutAndIsLetGo(Vertx vertx) throws Exception {
    try (HungServer hung = HungServer.start()) {
      Probe probe = probe(vertx, "uri = \"redis://127.0.0.1:" + hung.port() + "\"", Duration.ofMillis(500), () -> { });
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("redis 127.0.0.1:" + hung.port() + ": no answer within 500ms (connecting)");
      hung.peerClosed().get(5, TimeUnit.SECONDS);
      probe.close().await();
    }
  }

  @Test
  void serverStoppedWhileConnectedAsksForAReprobeThenIsRefused(Vertx vertx) throws Exception {
    CountingReprobe reprobes = new CountingReprobe();
    try (TestRedis own = TestRedis.start()) {
      Probe probe = probe(vertx, "uri = \"" + own.uri() + "\"", TIMEOUT, reprobes);
      try {
        assertThat(probe.run().await().status()).isEqualTo(Status.OK);
        own.stop();
        reprobes.awaitFirst(5);
        ProbeResult r = probe.run().await();
        assertThat(r.status()).isEqualTo(Status.CRITICAL);
        assertThat(r.message()).isEqualTo("redis 127.0.0.1:" + own.port() + ": connection refused");
        assertThat(reprobes.count()).as("one re-probe per lost connection").isEqualTo(1);
      } finally {
        probe.close().await();
      }
    }
  }

  @Test
  void aKilledClientIsReplacedAfterAReprobe(Vertx vertx) throws Exception {
    CountingReprobe reprobes = new CountingReprobe();
    Probe probe = probe(vertx, "uri = \"" + redis.uri() + "\"", TIMEOUT, reprobes);
    try {
      assertThat(probe.run().await().status()).isEqualTo(Status.OK);
      assertThat(redis.clientsNamed("medic")).isEqualTo(1);
      redis.killClientsNamed("medic");
      reprobes.awaitFirst(5);
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(redis.clientsNamed("medic")).isEqualTo(1);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aThousandRunsHoldOneConnection(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + redis.uri() + "\"");
    try {
      assertThat(probe.run().await().status()).isEqualTo(Status.OK);
      List<String> ids = redis.clientIdsNamed("medic");
      for (int i = 0; i < 1000; i++) {
        ProbeResult r = probe.run().await();
        assertThat(r.status()).as("run %d: %s", i, r.message()).isEqualTo(Status.OK);
      }
      assertThat(redis.clientsNamed("medic")).as("medic connections after 1,000 runs").isEqualTo(1);
      assertThat(redis.clientIdsNamed("medic")).as("the same connection all along").isEqualTo(ids);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aFailedRdbSaveIsAWarning(Vertx vertx) throws Exception {
    try (TestRedis own = TestRedis.start()) {
      // The save's directory disappears under the server: BGSAVE cannot create its file.
      Files.delete(own.dir());
      own.admin(j -> j.bgsave());
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!own.info("rdb_last_bgsave_status").equals("err") && System.nanoTime() < until) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      Probe probe = probe(vertx, "uri = \"" + own.uri() + "\"");
      try {
        ProbeResult r = probe.run().await();
        assertThat(r.status()).as(r.message()).isEqualTo(Status.WARNING);
        assertThat(r.message()).endsWith("; last RDB save failed (rdb_last_bgsave_status err, expected ok)");
      } finally {
        probe.close().await();
      }
    }
  }

  @Test
  void aReplicaWhoseMasterIsDownIsCritical(Vertx vertx) throws Exception {
    int nowhere = HungServer.freePort();
    try (TestRedis replica = TestRedis.start("replicaof 127.0.0.1 " + nowhere)) {
      Probe probe = probe(vertx, "uri = \"" + replica.uri() + "\"");
      try {
        ProbeResult r = probe.run().await();
        assertThat(r.status()).as(r.message()).isEqualTo(Status.CRITICAL);
        assertThat(r.message()).startsWith("redis 127.0.0.1:" + replica.port() + " replica of 127.0.0.1:" + nowhere
            + ", master_link_status down").contains("(expected up)");
      } finally {
        probe.close().await();
      }
    }
  }

  @Test
  void aReplicaWithItsMasterUpIsOk(Vertx vertx) throws Exception {
    try (TestRedis replica = TestRedis.start("replicaof 127.0.0.1 " + redis.port())) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!replica.info("master_link_status").equals("up") && System.nanoTime() < until) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      Probe probe = probe(vertx, "uri = \"" + replica.uri() + "\"");
      try {
        ProbeResult r = probe.run().await();
        assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
        assertThat(r.message()).startsWith("redis 127.0.0.1:" + replica.port() + " replica of 127.0.0.1:" + redis.port()
            + " (link up), ");
      } finally {
        probe.close().await();
      }
    }
  }

  @Test
  void creatingAProbeConnectsToNothing(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + redis.uri() + "\"");
    assertThat(redis.clientsNamed("medic")).isZero();
    probe.close().await();
  }

  // ---- configuration ---------------------------------------------------------------------------

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("""
        uri = "rediss://medic:secret@cache.internal:6380/1"
        database = 3
        tls.trust = any
        """);
    new RedisProbeType().create(s, context(null, TIMEOUT, () -> { }));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      database = 1                                          | medic.checks.test.uri       | missing (a value is required
      uri = "http://:hunter2@127.0.0.1:6379"                | medic.checks.test.uri       | "http://****@127.0.0.1:6379" is not a redis:// or rediss:// URI
      uri = "unix:///var/run/redis.sock"                    | medic.checks.test.uri       | names a Unix socket
      uri = "redis://:hunter2@127.0.0.1:70000"              | medic.checks.test.uri       | "redis://****@127.0.0.1:70000" has port 70000 (expected 1 to 65535)
      uri = "redis://:hunter2@/0"                           | medic.checks.test.uri       | has no host
      uri = "redis://:hunter2@127.0.0.1:6379/cache"         | medic.checks.test.uri       | has database "cache" (expected a number after the /, e.g. /0)
      uri = "redis://hunter2@127.0.0.1:6379"                | medic.checks.test.uri       | has a user but no password
      uri = "redis://127.0.0.1:6379?password=hunter2"       | medic.checks.test.uri       | has a query or fragment
      uri = "redis://:hun ter2@127.0.0.1"                   | medic.checks.test.uri       | is not a valid URI
      uri = "redis://127.0.0.1", database = -1              | medic.checks.test.database  | -1 is out of range (expected 0 to 65535)
      uri = "redis://127.0.0.1", tls.trust = any            | medic.checks.test.tls.trust | has no effect without TLS (expected a rediss:// uri)
      uri = "rediss://127.0.0.1", tls.trust = maybe         | medic.checks.test.tls.trust | "maybe" is not allowed (expected one of: system, any)
      uri = "redis://127.0.0.1", databse = 1                | medic.checks.test.databse   | unknown key (did you mean "database"?)
      """)
  void invalidConfigurationNamesTheKeyAndHidesThePassword(String hocon, String path, String message) {
    List<ConfigProblem> problems = problems(hocon);
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
    assertThat(problems).allSatisfy(p -> assertThat(p.message()).doesNotContain("hunter2").doesNotContain("ter2"));
  }

  @Test
  void theDatabaseKeyOverridesTheUri() {
    Settings s = TestSettings.of("uri = \"redis://127.0.0.1:6379/1\", database = 4");
    RedisProbe probe = (RedisProbe) new RedisProbeType().create(s, context(null, TIMEOUT, () -> { }));
    assertThat(s.problems().sorted()).isEmpty();
    assertThat(probe.target().orElseThrow().connectionString()).isEqualTo("redis://127.0.0.1:6379/4?client=medic");
  }

  @Test
  void isFoundByItsTypeName() {
    assertThat(ProbeTypes.discover().find("redis")).get().isInstanceOf(RedisProbeType.class);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static List<ConfigProblem> problems(String hocon) {
    Settings s = TestSettings.of(hocon);
    new RedisProbeType().create(s, context(null, TIMEOUT, () -> { }));
    s.reportUnknownKeys();
    return s.problems().sorted();
  }

  private static Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, TIMEOUT, () -> { });
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(Vertx vertx, String hocon, Duration timeout, Runnable reprobe) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new RedisProbeType().create(s, context(vertx, timeout, reprobe));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout, Runnable reprobe) {
    return new ProbeContext(vertx, "cache", timeout, reprobe);
  }
}
