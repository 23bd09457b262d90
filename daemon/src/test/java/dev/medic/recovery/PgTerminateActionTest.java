package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Against a real PostgreSQL started once for the class. The sessions to judge are real JDBC
 * connections held by the test; medic connects with the vert.x client as the action does.
 *
 * <p>Roles: {@code postgres} is the embedded server's superuser; {@code app} owns the sessions
 * that may be ended; {@code medic} is what the docs recommend (pg_signal_backend and
 * pg_read_all_stats, no superuser); {@code blind} has pg_signal_backend alone.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 40, timeUnit = TimeUnit.SECONDS)
class PgTerminateActionTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  /** Longer than the 1s rule of the tests, so a session idle since the start of a test qualifies. */
  private static final long PAST_THE_LIMIT_MS = 1300;

  private static EmbeddedPostgres pg;
  private static Connection admin;

  private final List<Connection> sessions = new ArrayList<>();
  private final ExecutorService sleepers = Executors.newCachedThreadPool();

  @BeforeAll
  static void startPostgres() throws Exception {
    // Data and socket under target/tmp (surefire's java.io.tmpdir), not /tmp.
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pg-terminate-");
    pg = EmbeddedPostgres.builder()
        .setDataDirectory(dir.resolve("data"))
        .setCleanDataDirectory(true)
        .setServerConfig("unix_socket_directories", dir.toString())
        .setServerConfig("listen_addresses", "127.0.0.1")
        .start();
    admin = pg.getPostgresDatabase().getConnection();
    try (Statement s = admin.createStatement()) {
      s.execute("CREATE ROLE app LOGIN");
      s.execute("CREATE ROLE medic LOGIN PASSWORD 'medic-secret' IN ROLE pg_signal_backend, pg_read_all_stats");
      s.execute("CREATE ROLE blind LOGIN IN ROLE pg_signal_backend");
      s.execute("CREATE DATABASE shop");
    }
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (admin != null) {
      admin.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @AfterEach
  void endSessions() throws Exception {
    try (Statement s = admin.createStatement()) {
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'");
    }
    for (Connection c : sessions) {
      try {
        c.close();
      } catch (SQLException e) {
        // already ended by the test
      }
    }
    sleepers.shutdownNow();
  }

  // ---- runs against a real server ---------------------------------------------------------------

  @Test
  void onlyTheSessionIdleInTransactionTooLongIsTerminated(Vertx vertx) throws Exception {
    Connection idleInTransaction = idleInTransaction("app");
    Connection idle = session("app", "postgres");
    query(idle, "SELECT 1");
    int sleeping = sleeping(vertx, "app");
    Connection superuserInTransaction = idleInTransaction("postgres");
    vertx.timer(PAST_THE_LIMIT_MS).await(5, TimeUnit.SECONDS);

    ActionOutcome outcome = action(vertx, medicUri() + ", idle-in-transaction-longer-than = 1s")
        .run("db").await(10, TimeUnit.SECONDS);

    int victim = pid(idleInTransaction);
    assertThat(outcome.success()).as(outcome.message()).isTrue();
    assertThat(outcome.message()).matches("terminated 1 session at postgresql://medic:\\*\\*\\*\\*@127\\.0\\.0\\.1:"
        + pg.getPort() + "/postgres: pid " + victim + " \\(app@postgres, idle in transaction for [12]\\.[0-9]s\\)");
    awaitGone(vertx, victim);
    assertThatThrownBy(() -> query(idleInTransaction, "SELECT 1")).isInstanceOf(SQLException.class);
    assertThat(livePids()).contains(pid(idle), sleeping, pid(superuserInTransaction));
    query(idle, "SELECT 1");
    query(superuserInTransaction, "SELECT 1");
    // medic's own session ended with the run, by itself.
    for (int i = 0; i < 50 && medicSessions() > 0; i++) {
      vertx.timer(50).await(5, TimeUnit.SECONDS);
    }
    assertThat(medicSessions()).isZero();
  }

  @Test
  void longRunningStatementsAreTheOtherRule(Vertx vertx) throws Exception {
    Connection idleInTransaction = idleInTransaction("app");
    int sleeping = sleeping(vertx, "app");
    vertx.timer(PAST_THE_LIMIT_MS).await(5, TimeUnit.SECONDS);

    ActionOutcome outcome = action(vertx, medicUri() + ", running-longer-than = 1s")
        .run("db").await(10, TimeUnit.SECONDS);

    assertThat(outcome.success()).as(outcome.message()).isTrue();
    assertThat(outcome.message()).contains("terminated 1 session ").contains("pid " + sleeping + " (app@postgres, active for ");
    awaitGone(vertx, sleeping);
    assertThat(livePids()).contains(pid(idleInTransaction));
  }

  @Test
  void superusersAreSparedUnlessIncluded(Vertx vertx) throws Exception {
    Connection superuserInTransaction = idleInTransaction("postgres");
    int superPid = pid(superuserInTransaction);
    vertx.timer(PAST_THE_LIMIT_MS).await(5, TimeUnit.SECONDS);
    String rule = ", idle-in-transaction-longer-than = 1s";

    ActionOutcome spared = action(vertx, medicUri() + rule).run("db").await(10, TimeUnit.SECONDS);
    // Told to include them, a role that is no superuser still may not end a superuser's session:
    // a failure that says so, not a silent pass.
    ActionOutcome refused = action(vertx, medicUri() + rule + ", include-superusers = true")
        .run("db").await(10, TimeUnit.SECONDS);
    assertThat(livePids()).contains(superPid);
    ActionOutcome ended = action(vertx, uri("postgres") + rule + ", include-superusers = true")
        .run("db").await(10, TimeUnit.SECONDS);

    assertThat(spared.success()).isTrue();
    assertThat(spared.message()).startsWith("no session to terminate at ")
        .endsWith(" (idle in transaction > 1s)");
    assertThat(refused.success()).isFalse();
    assertThat(refused.message()).contains("could not terminate pid " + superPid + " (postgres@postgres, idle in transaction for ")
        .containsIgnoringCase("permission denied");
    assertThat(ended.success()).as(ended.message()).isTrue();
    assertThat(ended.message()).contains("terminated 1 session ").contains("pid " + superPid + " (postgres@postgres");
    awaitGone(vertx, superPid);
  }

  @Test
  void databaseAndUserFiltersNarrowTheRule(Vertx vertx) throws Exception {
    Connection inPostgres = idleInTransaction("app");
    Connection inShop = session("app", "shop");
    int shopPid = pid(inShop);
    inShop.setAutoCommit(false);
    query(inShop, "SELECT 1");
    vertx.timer(PAST_THE_LIMIT_MS).await(5, TimeUnit.SECONDS);

    ActionOutcome otherUser = action(vertx, medicUri() + ", idle-in-transaction-longer-than = 1s, user = nobody")
        .run("db").await(10, TimeUnit.SECONDS);
    ActionOutcome shopOnly = action(vertx, medicUri() + ", idle-in-transaction-longer-than = 1s, database = shop, user = app")
        .run("db").await(10, TimeUnit.SECONDS);

    assertThat(otherUser.message()).endsWith("(idle in transaction > 1s, only user nobody)").startsWith("no session");
    assertThat(shopOnly.message()).contains("terminated 1 session ").contains("pid " + shopPid + " (app@shop, ");
    awaitGone(vertx, shopPid);
    assertThat(livePids()).contains(pid(inPostgres));
  }

  @Test
  void aRoleThatCannotSeeOtherSessionsSaysSoInsteadOfPassing(Vertx vertx) throws Exception {
    Connection idleInTransaction = idleInTransaction("app");
    vertx.timer(PAST_THE_LIMIT_MS).await(5, TimeUnit.SECONDS);

    ActionOutcome outcome = action(vertx, uri("blind") + ", idle-in-transaction-longer-than = 1s, user = app")
        .run("db").await(10, TimeUnit.SECONDS);

    assertThat(outcome.success()).isFalse();
    assertThat(outcome.message()).isEqualTo("no session to terminate at postgresql://blind@127.0.0.1:" + pg.getPort()
        + "/postgres (idle in transaction > 1s, only user app); 1 session of other roles is not visible to medic's role"
        + " (grant it pg_read_all_stats so that it can see their state)");
    assertThat(livePids()).contains(pid(idleInTransaction));
  }

  @Test
  void aServerThatIsNotThereIsAFailedOutcomeWithTheUriMasked(Vertx vertx) throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    ActionOutcome outcome = action(vertx, "uri = \"postgresql://medic:medic-secret@127.0.0.1:" + closed
        + "/postgres\", idle-in-transaction-longer-than = 1s").run("db").await(10, TimeUnit.SECONDS);
    assertThat(outcome.success()).isFalse();
    assertThat(outcome.message()).startsWith("pg-terminate at postgresql://medic:****@127.0.0.1:" + closed + "/postgres failed: ")
        .doesNotContain("medic-secret");
  }

  // ---- the statements ---------------------------------------------------------------------------

  @Test
  void theCandidateQueryAlwaysSparesItsOwnSession() {
    PgTerminateAction.Config everything = new PgTerminateAction.Config("postgresql://x@h/db", "postgresql://x@h/db",
        java.util.Optional.of(Duration.ofSeconds(1)), java.util.Optional.of(Duration.ofMinutes(5)),
        java.util.Optional.empty(), java.util.Optional.empty(), true, true);
    PgTerminateAction.Config defaults = new PgTerminateAction.Config("postgresql://x@h/db", "postgresql://x@h/db",
        java.util.Optional.of(Duration.ofSeconds(1)), java.util.Optional.empty(),
        java.util.Optional.of("shop"), java.util.Optional.of("app"), false, false);

    String all = PgTerminateAction.candidates(everything).sql();
    String narrow = PgTerminateAction.candidates(defaults).sql();

    assertThat(all).contains("a.pid <> pg_backend_pid()").doesNotContain("backend_type").doesNotContain("rolsuper");
    assertThat(narrow).contains("a.pid <> pg_backend_pid()", "a.backend_type = 'client backend'",
        "NOT coalesce(r.rolsuper, false)", "a.datname = $1", "a.usename = $2").doesNotContain("a.state = 'active' AND");
    assertThat(PgTerminateAction.candidates(defaults).params().size()).isEqualTo(3);
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ActionType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("pg-terminate"))
        .singleElement()
        .isInstanceOf(PgTerminateActionType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("""
        uri = "postgresql://medic:secret@db.internal:5432/postgres"
        idle-in-transaction-longer-than = 5m
        running-longer-than = 1h
        database = shop
        user = app
        include-superusers = false
        include-replication = false
        """);
    Action action = new PgTerminateActionType().create(s, new ActionContext(null, "end-stuck", TIMEOUT));
    TestSettings.assertValid(s);
    assertThat(action.describe()).isEqualTo("pg_terminate_backend sessions (idle in transaction > 5m or active > 1h,"
        + " only user app in database shop) at postgresql://medic:****@db.internal:5432/postgres");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      idle-in-transaction-longer-than = 5m                                   | medic.checks.test.uri                             | missing (a value is required
      uri = "postgresql://127.0.0.1/postgres"                                | medic.checks.test                                 | needs a rule: idle-in-transaction-longer-than, running-longer-than or both
      uri = "postgresql://127.0.0.1/postgres", running-longer-than = 0s      | medic.checks.test.running-longer-than             | is not above zero
      uri = "postgresql://127.0.0.1/postgres", idle-in-transaction-longer-than = 5 | medic.checks.test.idle-in-transaction-longer-than | has no unit
      uri = "mysql://127.0.0.1/app", running-longer-than = 1h                | medic.checks.test.uri                             | is not a postgresql:// URI
      uri = "postgresql://127.0.0.1:99999/x", running-longer-than = 1h       | medic.checks.test.uri                             | is not a valid PostgreSQL URI
      uri = "postgresql://127.0.0.1/x", running-longer-than = 1h, user = ""  | medic.checks.test.user                            | is empty
      uri = "postgresql://127.0.0.1/x", running-longer-than = 1h, include-superusers = maybe | medic.checks.test.include-superusers | "maybe" is not a boolean
      uri = "postgresql://127.0.0.1/x", running-longer-than = 1h, dry-list = true | medic.checks.test.dry-list                   | unknown key
      uri = "postgresql://127.0.0.1/x", idle-in-transaction-longer-then = 5m | medic.checks.test.idle-in-transaction-longer-then | unknown key (did you mean "idle-in-transaction-longer-than"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new PgTerminateActionType().create(s, new ActionContext(null, "end-stuck", TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  @Test
  void passwordsStayOutOfConfigurationMessages() {
    Settings s = TestSettings.of("uri = \"mysql://medic:hunter2@127.0.0.1/x\", running-longer-than = 1h");
    new PgTerminateActionType().create(s, new ActionContext(null, "end-stuck", TIMEOUT));
    assertThat(s.problems().sorted()).singleElement()
        .satisfies(p -> assertThat(p.toString()).doesNotContain("hunter2").contains("mysql://medic:****@"));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static String uri(String user) {
    return "uri = \"postgresql://" + user + "@127.0.0.1:" + pg.getPort() + "/postgres\"";
  }

  private static String medicUri() {
    return "uri = \"postgresql://medic:medic-secret@127.0.0.1:" + pg.getPort() + "/postgres\"";
  }

  /** An action from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Action action(Vertx vertx, String hocon) {
    Settings s = TestSettings.of(hocon);
    Action action = new PgTerminateActionType().create(s, new ActionContext(vertx, "end-stuck", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return action;
  }

  private Connection session(String user, String database) throws SQLException {
    Connection c = pg.getDatabase(user, database).getConnection();
    sessions.add(c);
    return c;
  }

  /** A session of {@code user} that has begun a transaction and waits. */
  private Connection idleInTransaction(String user) throws SQLException {
    Connection c = session(user, "postgres");
    pid(c);
    c.setAutoCommit(false);
    query(c, "SELECT 1");
    return c;
  }

  /** A session of {@code user} running {@code pg_sleep(60)}, from a thread of its own; its pid. */
  private int sleeping(Vertx vertx, String user) throws Exception {
    Connection c = session(user, "postgres");
    int pid = pid(c);
    sleepers.submit(() -> query(c, "SELECT pg_sleep(60)"));
    // Until the server has it as active: the rule is about statements that run.
    for (int i = 0; i < 100 && !state(pid).equals("active"); i++) {
      vertx.timer(20).await(5, TimeUnit.SECONDS);
    }
    return pid;
  }

  private static String state(int pid) throws SQLException {
    try (Statement s = admin.createStatement();
        ResultSet r = s.executeQuery("SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = " + pid)) {
      return r.next() ? r.getString(1) : "";
    }
  }

  private final java.util.Map<Connection, Integer> pids = new java.util.HashMap<>();

  private int pid(Connection c) throws SQLException {
    Integer known = pids.get(c);
    if (known != null) {
      return known;
    }
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
      r.next();
      pids.put(c, r.getInt(1));
      return r.getInt(1);
    }
  }

  private static Void query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
    return null;
  }

  private static Set<Integer> livePids() throws SQLException {
    Set<Integer> out = new TreeSet<>();
    try (Statement s = admin.createStatement(); ResultSet r = s.executeQuery("SELECT pid FROM pg_stat_activity")) {
      while (r.next()) {
        out.add(r.getInt(1));
      }
    }
    return out;
  }

  private static int medicSessions() throws SQLException {
    try (Statement s = admin.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'medic'")) {
      r.next();
      return r.getInt(1);
    }
  }

  /** pg_terminate_backend signals; the backend exits a moment later. */
  private static void awaitGone(Vertx vertx, int pid) throws Exception {
    for (int i = 0; i < 50 && livePids().contains(pid); i++) {
      vertx.timer(50).await(5, TimeUnit.SECONDS);
    }
    assertThat(livePids()).doesNotContain(pid);
  }
}
