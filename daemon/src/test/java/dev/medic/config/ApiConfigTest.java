package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.Plugins;
import dev.medic.testing.FakeActionTypes;
import dev.medic.testing.FakeChannelTypes;
import dev.medic.testing.FakeProbeTypes;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The medic.http limits: defaults, written values, and the refusals with their messages. */
class ApiConfigTest {

  private static Vertx vertx;
  private static ConfigLoader loader;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    loader = new ConfigLoader(new Plugins(FakeProbeTypes.all(), FakeActionTypes.all(), FakeChannelTypes.all()), vertx);
  }

  @AfterAll
  static void tearDown() {
    vertx.close().await();
  }

  private static ApiConfig http(String body) throws ConfigException {
    return loader.loadString("medic.http { " + body + " }", "test.conf").http();
  }

  @Test
  void defaults() throws ConfigException {
    ApiConfig a = http("");
    assertThat(a.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(a.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(a.maxConnections()).isEqualTo(256);
    assertThat(a.maxEventClients()).isEqualTo(32);
    assertThat(a.eventsBacklog()).isEqualTo(256);
  }

  @Test
  void writtenValues() throws ConfigException {
    ApiConfig a = http("idle-timeout = 2m, header-timeout = 500ms, max-connections = 64, max-event-clients = 0,"
        + " events-backlog = 10");
    assertThat(a.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(a.headerTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(a.maxConnections()).isEqualTo(64);
    assertThat(a.maxEventClients()).isZero();
    assertThat(a.eventsBacklog()).isEqualTo(10);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      idle-timeout = -1s       | medic.http.idle-timeout: -1s is not above zero
      idle-timeout = 0s        | medic.http.idle-timeout: 0s is not above zero
      header-timeout = -5s     | medic.http.header-timeout: -5s is not above zero
      header-timeout = soon    | medic.http.header-timeout: "soon" is not a duration
      max-connections = 0      | medic.http.max-connections: 0 is out of range (expected 1 to 100000)
      max-event-clients = -1   | medic.http.max-event-clients: -1 is out of range (expected 0 to 10000)
      events-backlog = 0       | medic.http.events-backlog: 0 is out of range (expected 1 to 100000)
      idle-timeut = 5s         | medic.http.idle-timeut: unknown key
      """)
  void refused(String body, String message) {
    assertThatThrownBy(() -> http(body)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).report()).contains(message));
  }
}
