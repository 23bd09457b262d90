package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;

/**
 * Against a real Redis started once for the class. Keys are written and counted with Jedis, a
 * client apart from the one under test.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RedisClearActionTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private static RedisServer redis;
  private static int port;

  @BeforeAll
  static void startRedis() throws IOException {
    port = freePort();
    // save "": no dump file left behind, and no fork while the tests write.
    redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
        .setting("appendonly no").build();
    redis.start();
  }

  @AfterAll
  static void stopRedis() throws IOException {
    if (redis != null) {
      redis.stop();
    }
  }

  @BeforeEach
  void emptyServer() {
    try (Jedis jedis = jedis(0)) {
      jedis.flushAll();
      jedis.configResetStat();
    }
  }

  // ---- runs against a real server ---------------------------------------------------------------

  @Test
  void onlyTheMatchingKeysAreUnlinkedInBatchesWithoutKeys(Vertx vertx) throws Exception {
    try (Jedis jedis = jedis(0)) {
      write(jedis, "cache:", 2000);
      write(jedis, "session:", 50);
      jedis.set("cachet", "not a cache: key");
      jedis.configResetStat();
    }

    ActionOutcome outcome = action(vertx, "uri = \"redis://127.0.0.1:" + port + "\", pattern = \"cache:*\"")
        .run("cache").await(10, TimeUnit.SECONDS);

    assertThat(outcome.success()).as(outcome.message()).isTrue();
    assertThat(outcome.message()).isEqualTo("unlinked 2000 keys matching \"cache:*\"");
    try (Jedis jedis = jedis(0)) {
      assertThat(jedis.dbSize()).isEqualTo(51);
      assertThat(jedis.exists("session:0", "session:49", "cachet")).isEqualTo(3);
      String stats = jedis.info("commandstats");
      assertThat(stats).doesNotContain("cmdstat_keys").doesNotContain("cmdstat_flushdb");
      // 2051 keys at COUNT 500: several SCAN steps, several UNLINK batches.
      assertThat(calls(stats, "scan")).isGreaterThan(3);
      assertThat(calls(stats, "unlink")).isGreaterThan(1);
    }
  }

  @Test
  void theDatabaseOfTheUriIsTheOneCleared(Vertx vertx) throws Exception {
    try (Jedis zero = jedis(0); Jedis three = jedis(3)) {
      write(zero, "cache:", 10);
      write(three, "cache:", 20);
    }

    ActionOutcome outcome = action(vertx, "uri = \"redis://127.0.0.1:" + port + "/3\", pattern = \"cache:*\", batch = 7")
        .run("cache").await(10, TimeUnit.SECONDS);

    assertThat(outcome.message()).isEqualTo("unlinked 20 keys matching \"cache:*\"");
    try (Jedis zero = jedis(0); Jedis three = jedis(3)) {
      assertThat(three.dbSize()).isZero();
      assertThat(zero.dbSize()).isEqualTo(10);
    }
  }

  @Test
  void noMatchingKeyIsNothingToDo(Vertx vertx) throws Exception {
    try (Jedis jedis = jedis(0)) {
      write(jedis, "session:", 5);
    }
    ActionOutcome outcome = action(vertx, "uri = \"redis://127.0.0.1:" + port + "\", pattern = \"cache:*\"")
        .run("cache").await(10, TimeUnit.SECONDS);
    assertThat(outcome.success()).isTrue();
    assertThat(outcome.message()).isEqualTo("unlinked 0 keys matching \"cache:*\"");
  }

  @Test
  void flushdbClearsTheWholeDatabaseAndNoOther(Vertx vertx) throws Exception {
    try (Jedis zero = jedis(0); Jedis two = jedis(2)) {
      write(zero, "keep:", 5);
      write(two, "cache:", 30);
      write(two, "session:", 12);
    }

    ActionOutcome outcome = action(vertx, "uri = \"redis://127.0.0.1:" + port + "/2\", mode = flushdb")
        .run("cache").await(10, TimeUnit.SECONDS);

    assertThat(outcome.success()).as(outcome.message()).isTrue();
    assertThat(outcome.message()).isEqualTo("flushed the database at redis://127.0.0.1:" + port + "/2 (42 keys)");
    try (Jedis zero = jedis(0); Jedis two = jedis(2)) {
      assertThat(two.dbSize()).isZero();
      assertThat(zero.dbSize()).isEqualTo(5);
    }
  }

  @Test
  void passwordsWorkAndAreNeverShown(Vertx vertx) throws Exception {
    try (Jedis jedis = jedis(0)) {
      write(jedis, "cache:", 3);
      jedis.configSet("requirepass", "hunter2");
    }
    try {
      ActionOutcome right = action(vertx, "uri = \"redis://:hunter2@127.0.0.1:" + port + "\", pattern = \"cache:*\"")
          .run("cache").await(10, TimeUnit.SECONDS);
      ActionOutcome wrong = action(vertx, "uri = \"redis://:swordfish@127.0.0.1:" + port + "\", pattern = \"cache:*\"")
          .run("cache").await(10, TimeUnit.SECONDS);

      assertThat(right.message()).isEqualTo("unlinked 3 keys matching \"cache:*\"");
      assertThat(wrong.success()).isFalse();
      assertThat(wrong.message()).startsWith("redis-clear at redis://:****@127.0.0.1:" + port + " failed: ")
          .doesNotContain("swordfish");
    } finally {
      try (Jedis jedis = new Jedis("127.0.0.1", port)) {
        jedis.auth("hunter2");
        jedis.configSet("requirepass", "");
      }
    }
  }

  @Test
  void theTimeoutStopsTheLoopAndSaysHowFarItGot(Vertx vertx) throws Exception {
    try (Jedis jedis = jedis(0)) {
      write(jedis, "cache:", 20_000);
    }
    Settings s = TestSettings.of("uri = \"redis://127.0.0.1:" + port + "\", pattern = \"cache:*\", batch = 1");
    Action action = new RedisClearActionType().create(s, new ActionContext(vertx, "clear-cache", Duration.ofMillis(300)));

    ActionOutcome outcome = action.run("cache").await(10, TimeUnit.SECONDS);

    assertThat(outcome.success()).isFalse();
    assertThat(outcome.message()).matches(
        "stopped at the timeout of 300ms after unlinking [0-9]+ keys? matching \"cache:\\*\" \\(more may remain\\)");
    long said = Long.parseLong(outcome.message().replaceAll(".* after unlinking ([0-9]+) .*", "$1"));
    try (Jedis jedis = jedis(0)) {
      long left = jedis.dbSize();
      // Nothing goes on behind the outcome: what is left stays left.
      vertx.timer(300).await(5, TimeUnit.SECONDS);
      assertThat(jedis.dbSize()).isEqualTo(left).isPositive();
      // At most the batch in flight at the deadline went without its reply being counted.
      assertThat(20_000 - left).isBetween(said, said + 1);
    }
  }

  @Test
  void theLeastPrivilegedAclOfTheDocsIsEnough(Vertx vertx) throws Exception {
    try (Jedis jedis = jedis(0)) {
      write(jedis, "cache:", 30);
      write(jedis, "session:", 3);
      // As docs/actions-remote.md recommends: connection commands, SCAN and UNLINK, cache keys only.
      jedis.aclSetUser("medic", "on", ">medic-pw", "resetkeys", "~cache:*", "-@all", "+@connection", "+scan", "+unlink");
    }
    try {
      ActionOutcome outcome = action(vertx, "uri = \"redis://medic:medic-pw@127.0.0.1:" + port + "\", pattern = \"cache:*\"")
          .run("cache").await(10, TimeUnit.SECONDS);
      ActionOutcome flush = action(vertx, "uri = \"redis://medic:medic-pw@127.0.0.1:" + port + "\", mode = flushdb")
          .run("cache").await(10, TimeUnit.SECONDS);

      assertThat(outcome.success()).as(outcome.message()).isTrue();
      assertThat(outcome.message()).isEqualTo("unlinked 30 keys matching \"cache:*\"");
      // The same user may not flush: FLUSHDB needs its own grant.
      assertThat(flush.success()).isFalse();
      assertThat(flush.message()).contains("NOPERM");
      try (Jedis jedis = jedis(0)) {
        assertThat(jedis.dbSize()).isEqualTo(3);
      }
    } finally {
      try (Jedis jedis = jedis(0)) {
        jedis.aclDelUser("medic");
      }
    }
  }

  @Test
  void aServerThatIsNotThereIsAFailedOutcome(Vertx vertx) throws Exception {
    int closed = freePort();
    ActionOutcome outcome = action(vertx, "uri = \"redis://127.0.0.1:" + closed + "\", pattern = \"cache:*\"")
        .run("cache").await(10, TimeUnit.SECONDS);
    assertThat(outcome.success()).isFalse();
    assertThat(outcome.message()).startsWith("redis-clear at redis://127.0.0.1:" + closed + " failed: ")
        .containsIgnoringCase("refused");
  }

  @Test
  void creatingAnActionConnectsNowhere(Vertx vertx) throws Exception {
    try (Jedis jedis = jedis(0)) {
      String before = jedis.clientList();
      action(vertx, "uri = \"redis://127.0.0.1:" + port + "\", pattern = \"cache:*\"");
      // A connection would show up within milliseconds; give it ample time.
      vertx.timer(300).await(5, TimeUnit.SECONDS);
      assertThat(jedis.clientList().lines().count()).isEqualTo(before.lines().count());
    }
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ActionType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("redis-clear"))
        .singleElement()
        .isInstanceOf(RedisClearActionType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("uri = \"redis://app:secret@cache.internal:6380/1\", pattern = \"cache:*\","
        + " batch = 1000, mode = scan");
    Action action = new RedisClearActionType().create(s, new ActionContext(null, "clear-cache", TIMEOUT));
    TestSettings.assertValid(s);
    assertThat(action.describe())
        .isEqualTo("SCAN MATCH \"cache:*\" COUNT 1000 + UNLINK at redis://app:****@cache.internal:6380/1");
  }

  @Test
  void flushdbNeedsNoPattern() throws Exception {
    Settings s = TestSettings.of("uri = \"rediss://127.0.0.1:6379/0\", mode = flushdb");
    Action action = new RedisClearActionType().create(s, new ActionContext(null, "clear-cache", TIMEOUT));
    TestSettings.assertValid(s);
    assertThat(action.describe()).isEqualTo("FLUSHDB ASYNC at rediss://127.0.0.1:6379/0");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      pattern = "cache:*"                                              | medic.checks.test.uri     | missing (a value is required
      uri = "redis://127.0.0.1:6379"                                   | medic.checks.test.pattern | missing (a value is required: the keys to remove
      uri = "redis://127.0.0.1:6379", pattern = ""                     | medic.checks.test.pattern | is empty
      uri = "redis://127.0.0.1:6379", pattern = "*"                    | medic.checks.test.pattern | "*" matches every key, which is FLUSHDB by another name (expected mode = flushdb
      uri = "redis://127.0.0.1:6379", pattern = "?*"                   | medic.checks.test.pattern | "?*" matches every key
      uri = "redis://127.0.0.1:6379", pattern = "**"                   | medic.checks.test.pattern | "**" matches every key
      uri = "redis://127.0.0.1:6379", pattern = "*?*"                  | medic.checks.test.pattern | "*?*" matches every key
      uri = "redis://127.0.0.1:6379", mode = flushdb, pattern = "c:*"  | medic.checks.test.pattern | has no effect with mode = flushdb
      uri = "redis://127.0.0.1:6379", mode = flushall                  | medic.checks.test.mode    | "flushall" is not allowed (expected one of: scan, flushdb)
      uri = "redis://127.0.0.1:6379", pattern = "c:*", batch = 0       | medic.checks.test.batch   | 0 is out of range (expected 1 to 100000)
      uri = "http://127.0.0.1:6379", pattern = "c:*"                   | medic.checks.test.uri     | "http://127.0.0.1:6379" is not a redis:// or rediss:// URI
      uri = "redis://127.0.0.1:6379/cache", pattern = "c:*"            | medic.checks.test.uri     | names database "cache" (expected a database number
      uri = "redis:///0", pattern = "c:*"                              | medic.checks.test.uri     | has no host
      uri = "redis://127.0.0.1:6379", pattern = "c:*", patern = "d:*"  | medic.checks.test.patern  | unknown key (did you mean "pattern"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    List<ConfigProblem> problems = problems(hocon);
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  @Test
  void passwordsStayOutOfConfigurationMessages() {
    assertThat(problems("uri = \"redis://:hunter2@127.0.0.1:6379/x\", pattern = \"c:*\""))
        .singleElement()
        .satisfies(p -> assertThat(p.toString()).doesNotContain("hunter2").contains("redis://:****@127.0.0.1"));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static List<ConfigProblem> problems(String hocon) {
    Settings s = TestSettings.of(hocon);
    new RedisClearActionType().create(s, new ActionContext(null, "clear-cache", TIMEOUT));
    s.reportUnknownKeys();
    return s.problems().sorted();
  }

  /** An action from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Action action(Vertx vertx, String hocon) {
    Settings s = TestSettings.of(hocon);
    Action action = new RedisClearActionType().create(s, new ActionContext(vertx, "clear-cache", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return action;
  }

  private static Jedis jedis(int db) {
    Jedis jedis = new Jedis("127.0.0.1", port);
    jedis.select(db);
    return jedis;
  }

  /** {@code n} keys {@code prefix0 … prefix(n-1)} in one MSET. */
  private static void write(Jedis jedis, String prefix, int n) {
    List<String> kv = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      kv.add(prefix + i);
      kv.add("v" + i);
    }
    jedis.mset(kv.toArray(String[]::new));
  }

  /** How often a command ran, from INFO commandstats ({@code cmdstat_scan:calls=5,...}). */
  private static long calls(String commandStats, String command) {
    for (String line : commandStats.split("\r?\n")) {
      if (line.startsWith("cmdstat_" + command + ":calls=")) {
        String rest = line.substring(("cmdstat_" + command + ":calls=").length());
        return Long.parseLong(rest.substring(0, rest.indexOf(',')));
      }
    }
    return 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
