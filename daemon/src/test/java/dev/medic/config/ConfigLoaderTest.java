package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.evaluate.Bound;
import dev.medic.evaluate.Threshold;
import dev.medic.probe.Unit;
import dev.medic.testing.FakeProbeTypes;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Valid configurations: what each written value becomes, and which defaults fill the rest. */
class ConfigLoaderTest {

  /** No test may find this set: it stands for an environment variable that is absent. */
  private static final String UNSET = "MEDIC_TEST_SURELY_UNSET_3F9A";

  private static Vertx vertx;
  private static ConfigLoader loader;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    loader = new ConfigLoader(new dev.medic.Plugins(FakeProbeTypes.all(), dev.medic.testing.FakeActionTypes.all(), dev.medic.testing.FakeChannelTypes.all()), vertx);
  }

  @AfterAll
  static void tearDown() {
    vertx.close().await();
  }

  private static MedicConfig load(String hocon) throws ConfigException {
    return loader.loadString(hocon, "test.conf");
  }

  private static CheckConfig check(String checkBody) throws ConfigException {
    return load("medic.checks.c { " + checkBody + " }").checks().get("c");
  }

  private static Threshold threshold(String checkBody) throws ConfigException {
    return check(checkBody).rules().thresholds().get(0);
  }

  @ParameterizedTest(name = "interval = {0}")
  @CsvSource({
      "500ms, PT0.5S",
      "5s,    PT5S",
      "2m,    PT2M",
      "1h,    PT1H",
      "1 minute, PT1M",
      "1500 ms, PT1.5S",
  })
  void durations(String written, String expected) throws ConfigException {
    CheckConfig c = check("type = memory, interval = " + written + ", timeout = 100ms, retry-interval = 100ms");

    assertThat(c.interval()).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest(name = "latency warning = {0}")
  @CsvSource({"500ms, 0.5", "2s, 2.0", "1m, 60.0"})
  void latencyThresholdsAreDurationsInSeconds(String written, double seconds) throws ConfigException {
    Threshold t = threshold("type = memory, thresholds { latency { warning = " + written + " } }");

    assertThat(t.unit()).isEqualTo(Unit.SECONDS);
    assertThat(t.warning()).contains(new Bound(seconds, false));
  }

  @ParameterizedTest(name = "used warning = {0}")
  @CsvSource({"80%, 0.8", "0.8, 0.8", "'\"80%\"', 0.8", "95.5%, 0.955", "0%, 0.0", "100%, 1.0", "1, 1.0"})
  void ratios(String written, double ratio) throws ConfigException {
    Threshold t = threshold("type = memory, thresholds { used { warning = " + written + " } }");

    assertThat(t.unit()).isEqualTo(Unit.RATIO);
    assertThat(t.warning()).contains(new Bound(ratio, false));
  }

  @ParameterizedTest(name = "free warning = {0}")
  @CsvSource({
      "100MB,  100000000",
      "100M,   104857600",
      "100MiB, 104857600",
      "2GiB,   2147483648",
      "512KB,  512000",
      "512 KB, 512000",
      "512kB,  512000",
      "1024,   1024",
  })
  void sizesInBytes(String written, double bytes) throws ConfigException {
    Threshold t = threshold("type = disk, path = \"/\", thresholds { free { warning = " + written + " } }");

    assertThat(t.unit()).isEqualTo(Unit.BYTES);
    assertThat(t.warning()).as("free space: lower is worse").contains(new Bound(bytes, true));
  }

  @Test
  void thresholdsWithHysteresisInTheMeasurementsUnit() throws ConfigException {
    Threshold used = threshold("type = disk, path = \"/\","
        + " thresholds { used { warning = 80%, critical = 90%, hysteresis = 5% } }");
    Threshold days = threshold("type = tls, host = \"example.org\","
        + " thresholds { days-left { warning = 30, critical = 7, hysteresis = 2 } }");

    assertThat(used).isEqualTo(new Threshold("used", Unit.RATIO, Optional.of(new Bound(0.8, false)),
        Optional.of(new Bound(0.9, false)), 0.05));
    assertThat(days).isEqualTo(new Threshold("days-left", Unit.DAYS, Optional.of(new Bound(30, true)),
        Optional.of(new Bound(7, true)), 2.0));
  }

  @Test
  void aThresholdMayHaveOnlyOneLimitAndNoHysteresis() throws ConfigException {
    Threshold t = threshold("type = cpu, thresholds { used { critical = 95% } }");

    assertThat(t.warning()).isEmpty();
    assertThat(t.critical()).contains(new Bound(0.95, false));
    assertThat(t.hysteresis()).isZero();
  }

  @Test
  void referenceDefaultsApplyToACheckThatSetsOnlyItsType() throws ConfigException {
    CheckConfig c = check("type = memory");

    assertThat(c.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.retryInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.rules().fall()).isEqualTo(2);
    assertThat(c.rules().rise()).isEqualTo(2);
    assertThat(c.rules().flapChanges()).isEqualTo(5);
    assertThat(c.rules().flapWindow()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.rules().thresholds()).isEmpty();
    assertThat(c.dependsOn()).isEmpty();
    assertThat(c.onWarning()).isEmpty();
    assertThat(c.onCritical()).isEmpty();
  }

  @Test
  void referenceDefaultsForTheDaemon() throws ConfigException {
    MedicConfig m = load("medic {}");

    assertThat(m.source()).isEqualTo("test.conf");
    assertThat(m.startupSpread()).isEqualTo(Duration.ofSeconds(1));
    assertThat(m.http().host()).isEqualTo("127.0.0.1");
    assertThat(m.http().port()).isEqualTo(9779);
    assertThat(m.dryRun()).isFalse();
    assertThat(m.logLevel()).isEqualTo("info");
    assertThat(m.checks()).isEmpty();
    assertThat(m.actions()).isEmpty();
    assertThat(m.channels()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      interval = 1m                    | interval       | PT1M
      timeout = 10s                    | timeout        | PT10S
      retry-interval = 500ms           | retry-interval | PT0.5S
      fall = 5                         | fall           | 5
      rise = 1                         | rise           | 1
      flap { changes = 3 }             | flap.changes   | 3
      flap { window = 1h }             | flap.window    | PT1H
      """)
  void perCheckOverrides(String setting, String what, String expected) throws ConfigException {
    CheckConfig c = check("type = memory, " + setting);

    assertThat(String.valueOf(value(c, what))).isEqualTo(expected);
  }

  @Test
  void globalSettingsAreEveryChecksDefaultAndAChecksOwnWin() throws ConfigException {
    MedicConfig m = load("""
        medic {
          interval = 1m, timeout = 10s, retry-interval = 5s, fall = 3, rise = 4
          flap { changes = 7, window = 30m }
          checks {
            inherits { type = memory }
            own { type = cpu, interval = 10s, timeout = 2s, retry-interval = 1s, fall = 1, rise = 1,
                  flap { changes = 2 } }
          }
        }
        """);

    CheckConfig inherits = m.checks().get("inherits");
    assertThat(inherits.interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(inherits.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(inherits.retryInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(inherits.rules().fall()).isEqualTo(3);
    assertThat(inherits.rules().rise()).isEqualTo(4);
    assertThat(inherits.rules().flapChanges()).isEqualTo(7);
    assertThat(inherits.rules().flapWindow()).isEqualTo(Duration.ofMinutes(30));
    CheckConfig own = m.checks().get("own");
    assertThat(own.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(own.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(own.retryInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(own.rules().fall()).isEqualTo(1);
    assertThat(own.rules().rise()).isEqualTo(1);
    assertThat(own.rules().flapChanges()).isEqualTo(2);
    assertThat(own.rules().flapWindow()).as("not set by the check").isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void anAbsentOptionalVariableLeavesTheDefault() throws ConfigException {
    assertThat(System.getenv(UNSET)).as("precondition: " + UNSET + " is not set").isNull();

    MedicConfig m = load("medic {\n"
        + "  interval = ${?" + UNSET + "}\n"
        + "  http.port = ${?" + UNSET + "}\n"
        + "  checks.c { type = memory, timeout = ${?" + UNSET + "} }\n"
        + "}\n");

    assertThat(m.http().port()).isEqualTo(9779);
    assertThat(m.checks().get("c").interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(m.checks().get("c").timeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void referencesResolve() throws ConfigException {
    MedicConfig m = load("""
        medic {
          checks {
            db { type = postgres, uri = "postgresql://127.0.0.1:5432/app" }
            app { type = http, url = "http://127.0.0.1:3000/health", depends-on = [db],
                  on-warning = [clean-logs], on-critical = [restart-app, clean-logs] }
          }
          actions {
            restart-app { type = systemd, unit = "app.service" }
            clean-logs { type = log-cleanup, paths = ["/var/log/app"] }
          }
          notify { ops { type = webhook, url = "https://ops.example.org/hooks/medic" } }
        }
        """);

    CheckConfig app = m.checks().get("app");
    assertThat(app.dependsOn()).containsExactly("db");
    assertThat(app.onWarning()).containsExactly("clean-logs");
    assertThat(app.onCritical()).containsExactly("restart-app", "clean-logs");
    assertThat(m.actions()).containsOnlyKeys("restart-app", "clean-logs");
    assertThat(m.channels()).containsOnlyKeys("ops");
    assertThat(app.type()).isEqualTo("http");
    assertThat(app.path()).isEqualTo("medic.checks.app");
  }

  @Test
  void anInheritedTimeoutNotBelowTheIntervalIsHalvedAndAWrittenOneIsAnError() throws Exception {
    MedicConfig m = load("medic.checks.fast { type = disk, path = \"/\", interval = 5s }");
    assertThat(m.checks().get("fast").timeout()).isEqualTo(Duration.ofMillis(2500));
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> load("medic.checks.fast { type = disk, path = \"/\", interval = 5s, timeout = 5s }"));
    assertThat(e.report()).contains("medic.checks.fast.timeout: timeout 5s is not below interval 5s");
  }

  @Test
  void theEmbeddedDefaultWatchesThisHost() throws ConfigException {
    MedicConfig m = loader.load(Optional.empty());

    assertThat(m.source()).isEqualTo(ConfigLoader.EMBEDDED);
    assertThat(m.checks()).containsOnlyKeys("root", "memory", "cpu", "medic-api");
    CheckConfig root = m.checks().get("root");
    assertThat(root.type()).isEqualTo("disk");
    assertThat(root.raw().get("path").unwrapped()).isEqualTo("/");
    assertThat(root.rules().thresholds()).containsExactly(new Threshold("used", Unit.RATIO,
        Optional.of(new Bound(0.8, false)), Optional.of(new Bound(0.95, false)), 0));
    assertThat(m.checks().get("memory").type()).isEqualTo("memory");
    assertThat(m.checks().get("cpu").rules().thresholds()).containsExactly(new Threshold("used", Unit.RATIO,
        Optional.of(new Bound(0.9, false)), Optional.empty(), 0));
    CheckConfig api = m.checks().get("medic-api");
    assertThat(api.type()).isEqualTo("http");
    assertThat(api.raw().get("url").unwrapped()).isEqualTo("http://127.0.0.1:" + m.http().port() + "/health");
    // A cold JVM's first request can take a second: the self-check judges the answer, not its speed.
    assertThat(api.rules().thresholds()).isEmpty();
    assertThat(api.interval()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void checksActionsAndThresholdsKeepTheOrderTheyAreWrittenIn() throws ConfigException {
    MedicConfig m = load("""
        medic {
          checks {
            zeta { type = memory }
            app { type = cpu }
            root {
              type = disk, path = "/"
              thresholds {
                used { warning = 80% }
                free { warning = 1GB }
                latency { warning = 1s }
              }
            }
            db { type = memory }
            mid { type = memory }
            b { type = cpu }
          }
          actions {
            restart-app { type = systemd }
            clean-logs { type = log-cleanup }
            a-last { type = command }
          }
        }
        """);

    assertThat(m.checks().keySet()).containsExactly("zeta", "app", "root", "db", "mid", "b");
    assertThat(m.checks().get("root").rules().thresholds()).extracting(Threshold::measurement)
        .containsExactly("used", "free", "latency");
    assertThat(m.actions().keySet()).containsExactly("restart-app", "clean-logs", "a-last");
  }

  private static Object value(CheckConfig c, String what) {
    return switch (what) {
      case "interval" -> c.interval();
      case "timeout" -> c.timeout();
      case "retry-interval" -> c.retryInterval();
      case "fall" -> c.rules().fall();
      case "rise" -> c.rules().rise();
      case "flap.changes" -> c.rules().flapChanges();
      case "flap.window" -> c.rules().flapWindow();
      default -> throw new IllegalArgumentException(what);
    };
  }
}
