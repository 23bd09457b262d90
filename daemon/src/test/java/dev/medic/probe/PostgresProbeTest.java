package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.ConfiguredCheck;
import dev.medic.testing.CountingReprobe;
import dev.medic.testing.HeapCount;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestPostgres;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The postgres probe against a real PostgreSQL started for this class. Futures are awaited on the
 * test thread (never an event loop), since the tests also drive the server through JDBC.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class PostgresProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private static TestPostgres pg;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  // ---- results against the real server ---------------------------------------------------------

  @Test
  void okWithActivityMeasurements(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(r.message()).startsWith("postgres 127.0.0.1:" + pg.port() + "/postgres primary, ")
          .contains(" of max_connections " + TestPostgres.MAX_CONNECTIONS + ")", " idle in transaction")
          .doesNotContain("not visible");
      assertThat(r.measurements()).containsOnlyKeys(
          "connections", "connections-used", "longest-transaction", "idle-in-transaction");
      double connections = r.measurements().get("connections").value();
      assertThat(connections).isGreaterThanOrEqualTo(1);
      assertThat(r.measurements().get("connections").unit()).isEqualTo(Unit.COUNT);
      assertThat(r.measurements().get("connections-used").value())
          .isCloseTo(connections / TestPostgres.MAX_CONNECTIONS, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(r.measurements().get("connections-used").unit()).isEqualTo(Unit.RATIO);
      assertThat(r.measurements().get("longest-transaction").unit()).isEqualTo(Unit.SECONDS);
      assertThat(r.latency()).isNotNull().isLessThan(TIMEOUT);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void connectionThresholdsTripWhenTheServerFillsUp(Vertx vertx) throws Exception {
    long before;
    try (ConfiguredCheck quiet = ConfiguredCheck.load(vertx, new PostgresProbeType(), "db", "uri = \"" + pg.uri() + "\"")) {
      before = (long) quiet.run().await().measurements().get("connections").value();
    }
    List<Connection> extra = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      extra.add(pg.connect());
    }
    // medic's own session is one of them: before (probe closed) + 6 + 1 while probing.
    String body = "uri = \"" + pg.uri() + "\"\n thresholds { connections { warning = " + (before + 3)
        + ", critical = " + (before + 6) + " }, connections-used { warning = 90% } }";
    try (ConfiguredCheck check = ConfiguredCheck.load(vertx, new PostgresProbeType(), "db", body)) {
      ProbeResult r = check.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.CRITICAL);
      assertThat(r.measurements().get("connections").value()).isGreaterThanOrEqualTo(before + 6);
      assertThat(r.message()).startsWith("connections " + Unit.trim(r.measurements().get("connections").value())
          + " ≥ critical " + (before + 6));
    } finally {
      for (Connection c : extra) {
        c.close();
      }
    }
  }

  @Test
  void sessionsIdleInATransactionAreCountedAndTheirAgeMeasured(Vertx vertx) throws Exception {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"");
    try (Connection idle = pg.connect()) {
      idle.setAutoCommit(false);
      try (Statement s = idle.createStatement()) {
        s.execute("SELECT 1"); // BEGIN is sent with it; the session then waits, idle in transaction
      }
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(r.measurements().get("idle-in-transaction").value()).isGreaterThanOrEqualTo(1);
      assertThat(r.measurements().get("longest-transaction").value()).isGreaterThan(0);
      assertThat(r.message()).containsPattern(", longest transaction [0-9.]+m?s, [1-9][0-9]* idle in transaction");
      idle.rollback();
    } finally {
      probe.close().await();
    }
  }

  @Test
  void wrongPasswordSaysAuthenticationFailedAndNeverShowsThePassword(Vertx vertx) {
    Probe wrong = probe(vertx, "uri = \"" + pg.appUri("wrong-horse-staple", "postgres") + "\"");
    Probe none = probe(vertx, "uri = \"postgresql://" + TestPostgres.APP_ROLE + "@127.0.0.1:" + pg.port() + "/postgres\"");
    try {
      ProbeResult r = wrong.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("postgres 127.0.0.1:" + pg.port() + "/postgres: authentication failed "
          + "(28P01 password authentication failed for user \"app\")");
      ProbeResult n = none.run().await();
      assertThat(n.status()).isEqualTo(Status.CRITICAL);
      assertThat(n.message()).contains("authentication failed (no password in the uri");
    } finally {
      wrong.close().await();
      none.close().await();
    }
  }

  @Test
  void anOrdinaryRoleIsToldWhatItCannotSee(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + pg.appUri(TestPostgres.APP_PASSWORD, "postgres") + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(r.message()).contains("(other roles' sessions not visible: grant pg_monitor)")
          .doesNotContain(TestPostgres.APP_PASSWORD);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void missingDatabaseSaysSo(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"postgresql://postgres@127.0.0.1:" + pg.port() + "/nosuchdb\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("postgres 127.0.0.1:" + pg.port() + "/nosuchdb: database does not exist "
          + "(3D000 database \"nosuchdb\" does not exist)");
    } finally {
      probe.close().await();
    }
  }

  @Test
  void nothingListeningIsConnectionRefused(Vertx vertx) throws Exception {
    int port = HungServer.freePort();
    Probe probe = probe(vertx, "uri = \"postgresql://postgres@127.0.0.1:" + port + "/postgres\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("postgres 127.0.0.1:" + port + "/postgres: connection refused");
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aServerThatStaysDownCostsNoClientPerRun(Vertx vertx) throws Exception {
    // PgConnection.connect leaves a NetClient behind each failed attempt; during an outage a check
    // is retried every 2 s, for hours.
    Probe probe = probe(vertx, "uri = \"postgresql://postgres@127.0.0.1:" + HungServer.freePort() + "/postgres\"");
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
      Probe probe = probe(vertx, "uri = \"postgresql://postgres@127.0.0.1:" + hung.port() + "/postgres\"",
          Duration.ofMillis(500), () -> { });
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("postgres 127.0.0.1:" + hung.port() + "/postgres: no answer within 500ms"
          + " (connecting)");
      // The half-open connection is closed, not left waiting for the server.
      hung.peerClosed().get(5, TimeUnit.SECONDS);
      probe.close().await();
    }
  }

  @Test
  void serverStoppedWhileConnectedAsksForAReprobeThenIsRefused(Vertx vertx) throws Exception {
    CountingReprobe reprobes = new CountingReprobe();
    try (TestPostgres own = TestPostgres.start()) {
      Probe probe = probe(vertx, "uri = \"" + own.uri() + "\"", TIMEOUT, reprobes);
      try {
        assertThat(probe.run().await().status()).isEqualTo(Status.OK);
        own.stop();
        reprobes.awaitFirst(5);
        ProbeResult r = probe.run().await();
        assertThat(r.status()).isEqualTo(Status.CRITICAL);
        assertThat(r.message()).isEqualTo("postgres 127.0.0.1:" + own.port() + "/postgres: connection refused");
        assertThat(reprobes.count()).as("one re-probe per lost connection").isEqualTo(1);
      } finally {
        probe.close().await();
      }
    }
  }

  @Test
  void aTerminatedSessionIsReplacedAfterAReprobe(Vertx vertx) throws Exception {
    CountingReprobe reprobes = new CountingReprobe();
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"", TIMEOUT, reprobes);
    try {
      assertThat(probe.run().await().status()).isEqualTo(Status.OK);
      pg.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'medic'");
      reprobes.awaitFirst(5);
      ProbeResult r = probe.run().await();
      assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
      assertThat(pg.sessionsNamed("medic")).isEqualTo(1);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aThousandRunsHoldOneSession(Vertx vertx) throws Exception {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"");
    String medicPid = "SELECT pid FROM pg_stat_activity WHERE application_name = 'medic'";
    try {
      assertThat(probe.run().await().status()).isEqualTo(Status.OK);
      long pid = pg.queryLong(medicPid);
      for (int i = 0; i < 1000; i++) {
        ProbeResult r = probe.run().await();
        assertThat(r.status()).as("run %d: %s", i, r.message()).isEqualTo(Status.OK);
      }
      assertThat(pg.sessionsNamed("medic")).as("medic sessions after 1,000 runs").isEqualTo(1);
      assertThat(pg.queryLong(medicPid)).as("the same session all along").isEqualTo(pid);
    } finally {
      probe.close().await();
    }
    assertThat(pg.awaitSessionsNamed("medic", 0, Duration.ofSeconds(5))).as("medic sessions after close").isZero();
  }

  @Test
  void aCustomQueryBecomesTheQueryMeasurement(Vertx vertx) throws Exception {
    pg.sql("CREATE TABLE IF NOT EXISTS jobs (id int, failed boolean)");
    pg.sql("INSERT INTO jobs VALUES (1, true), (2, true), (3, false)");
    String body = "uri = \"" + pg.uri() + "\"\n query = \"SELECT count(*) FROM jobs WHERE failed\"\n"
        + " thresholds { query { warning = 1, critical = 5 } }";
    try (ConfiguredCheck check = ConfiguredCheck.load(vertx, new PostgresProbeType(), "db", body)) {
      ProbeResult r = check.run().await();
      assertThat(r.measurements().get("query").value()).isEqualTo(2.0);
      assertThat(r.measurements().get("query").unit()).isEqualTo(Unit.NUMBER);
      assertThat(r.status()).as(r.message()).isEqualTo(Status.WARNING);
      assertThat(r.message()).startsWith("query 2 ≥ warning 1").contains(", query 2");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      SELECT * FROM no_such_table          | unknown  | query "SELECT * FROM no_such_table" failed: 42P01 relation "no_such_table" does not exist
      SELECT 'many'                        | unknown  | query "SELECT 'many'" returned "many" (expected a number)
      SELECT 1 WHERE false                 | unknown  | query "SELECT 1 WHERE false" returned 0 rows (expected one row with one number)
      SELECT 1/0                           | critical | query "SELECT 1/0" failed: 22012 division by zero
      """)
  void aCustomQueryThatCannotBeJudgedSaysWhy(String query, String status, String message, Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"\nquery = \"" + query + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status().label()).as(r.message()).isEqualTo(status);
      assertThat(r.message()).startsWith(message + " — postgres 127.0.0.1:");
      assertThat(r.measurements()).containsKey("connections").doesNotContainKey("query");
      // The session survives a bad query: the next run needs no new connection.
      assertThat(probe.run().await().status().label()).isEqualTo(status);
    } finally {
      probe.close().await();
    }
  }

  @ParameterizedTest(name = "sslmode={0}")
  @CsvSource(delimiter = '|', textBlock = """
      disable     | ok       | ' primary,'
      prefer      | ok       | ' primary,'
      require     | critical | : server does not accept TLS (sslmode=require)
      verify-full | critical | : server does not accept TLS (sslmode=verify-full)
      """)
  void sslmodeIsHonouredAgainstAServerWithoutTls(String mode, String status, String message, Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "?sslmode=" + mode + "\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status().label()).as(r.message()).isEqualTo(status);
      assertThat(r.message()).startsWith("postgres 127.0.0.1:" + pg.port() + "/postgres" + message);
    } finally {
      probe.close().await();
    }
  }

  @Test
  void aFailingValidationQueryIsCritical(Vertx vertx) {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"\nvalidation-query = \"SELECT 1 FROM missing_table\"");
    try {
      ProbeResult r = probe.run().await();
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("postgres 127.0.0.1:" + pg.port() + "/postgres: validation query "
          + "\"SELECT 1 FROM missing_table\" failed: 42P01 relation \"missing_table\" does not exist");
    } finally {
      probe.close().await();
    }
  }

  @Test
  void creatingAProbeConnectsToNothing(Vertx vertx) throws Exception {
    Probe probe = probe(vertx, "uri = \"" + pg.uri() + "\"");
    assertThat(pg.sessionsNamed("medic")).isZero();
    probe.close().await();
  }

  // ---- configuration ---------------------------------------------------------------------------

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("""
        uri = "postgresql://medic:secret@db.internal:6432/app?sslmode=verify-full&application_name=medic-eu"
        query = "SELECT count(*) FROM jobs"
        validation-query = "SELECT 1 FROM pg_class LIMIT 1"
        """);
    new PostgresProbeType().create(s, context(null, TIMEOUT, () -> { }));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      query = "SELECT 1"                                          | medic.checks.test.uri              | missing (a value is required
      uri = "mysql://root:hunter2@127.0.0.1/app"                  | medic.checks.test.uri              | "mysql://****@127.0.0.1/app" is not a postgresql:// URI
      uri = "postgresql://medic:hunter2@127.0.0.1:99999/app"      | medic.checks.test.uri              | "postgresql://****@127.0.0.1:99999/app" is not a valid PostgreSQL URI: The port can only range in 1-65535
      uri = "postgresql://medic:hun/ter2@127.0.0.1/app"           | medic.checks.test.uri              | is not a valid PostgreSQL URI: cannot be read (user and password may hold letters, digits and -._~!* only; percent-encode any other character, e.g. / as %2F, @ as %40)
      uri = "postgresql://medic:hunter2@127.0.0.1/app?sslmode=sometimes" | medic.checks.test.uri       | is not a valid PostgreSQL URI
      uri = "postgresql://medic:hunter2@127.0.0.1/app?host=/var/run/postgresql" | medic.checks.test.uri | names a Unix socket
      uri = "postgresql://127.0.0.1/app", query = ""              | medic.checks.test.query            | is empty
      uri = "postgresql://127.0.0.1/app", validation-query = " "  | medic.checks.test.validation-query | is empty
      uri = "postgresql://127.0.0.1/app", querry = "SELECT 1"     | medic.checks.test.querry           | unknown key (did you mean "query"?)
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
  void anInvalidUriProbesAsUnknown(Vertx vertx) {
    Settings s = TestSettings.of("uri = \"mysql://x\"");
    ProbeResult r = new PostgresProbeType().create(s, context(vertx, TIMEOUT, () -> { })).run().await();
    assertThat(r.status()).isEqualTo(Status.UNKNOWN);
  }

  @Test
  void isFoundByItsTypeName() {
    assertThat(ProbeTypes.discover().find("postgres")).get().isInstanceOf(PostgresProbeType.class);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static List<ConfigProblem> problems(String hocon) {
    Settings s = TestSettings.of(hocon);
    new PostgresProbeType().create(s, context(null, TIMEOUT, () -> { }));
    s.reportUnknownKeys();
    return s.problems().sorted();
  }

  private static Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, TIMEOUT, () -> { });
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(Vertx vertx, String hocon, Duration timeout, Runnable reprobe) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new PostgresProbeType().create(s, context(vertx, timeout, reprobe));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout, Runnable reprobe) {
    return new ProbeContext(vertx, "db", timeout, reprobe);
  }
}
