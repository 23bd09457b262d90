package dev.medic.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.Plugins;
import dev.medic.testing.FakeActionTypes;
import dev.medic.testing.FakeChannelTypes;
import dev.medic.testing.FakeProbeTypes;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** medic.cluster and scope: what valid settings become (invalid ones are in config/invalid/). */
class ClusterConfigTest {

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

  private static MedicConfig load(String hocon) throws ConfigException {
    return loader.loadString(hocon, "test.conf");
  }

  @Test
  void fleetModeIsOffByDefaultAndEverythingIsLocal() throws ConfigException {
    MedicConfig config = load("""
        medic.checks.app { type = http, url = "http://127.0.0.1:3000/health", on-critical = [restart] }
        medic.actions.restart { type = systemd, unit = "app.service" }
        """);

    ClusterConfig cluster = config.cluster();
    assertThat(cluster.enabled()).isFalse();
    assertThat(cluster.lease()).isEmpty();
    assertThat(cluster.ttl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(cluster.onBackendDown()).isEqualTo(ClusterConfig.OnBackendDown.SKIP);
    assertThat(cluster.keyPrefix()).isEqualTo("medic");
    assertThat(cluster.kubernetes().tokenFile()).isEqualTo("/var/run/secrets/kubernetes.io/serviceaccount/token");
    assertThat(cluster.kubernetes().caFile()).contains("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
    assertThat(cluster.kubernetes().namespace()).isEmpty();
    assertThat(config.checks().get("app").scope()).isEqualTo(Scope.LOCAL);
    assertThat(config.checks().get("app").shared()).isFalse();
    assertThat(config.actions().get("restart").shared()).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
      "redis://127.0.0.1:6379,                       redis",
      "redis://:s3cret@127.0.0.1:6379/2,             redis",
      "postgresql://medic:s3cret@127.0.0.1:5432/app, postgresql",
      "kubernetes,                                   kubernetes",
  })
  void aLeaseNamesItsBackendAndSharedScopesAreAllowed(String lease, String backend) throws ConfigException {
    MedicConfig config = load("""
        medic.cluster { lease = "%s", ttl = 2s, on-backend-down = local, key-prefix = "shop-fleet" }
        medic.checks.app { type = http, url = "http://127.0.0.1:3000/health", scope = shared, on-critical = [restart] }
        medic.actions.restart { type = systemd, unit = "app.service", scope = shared }
        medic.actions.local-one { type = systemd, unit = "other.service", scope = local }
        """.formatted(lease));

    ClusterConfig cluster = config.cluster();
    assertThat(cluster.enabled()).isTrue();
    assertThat(cluster.backend()).isEqualTo(backend);
    assertThat(cluster.lease()).isEqualTo(lease);
    assertThat(cluster.ttl()).isEqualTo(Duration.ofSeconds(2));
    assertThat(cluster.onBackendDown()).isEqualTo(ClusterConfig.OnBackendDown.LOCAL);
    assertThat(cluster.keyPrefix()).isEqualTo("shop-fleet");
    assertThat(config.checks().get("app").shared()).isTrue();
    assertThat(config.actions().get("restart").shared()).isTrue();
    assertThat(config.actions().get("local-one").shared()).isFalse();
    assertThat(cluster.toString()).doesNotContain("s3cret");
    assertThat(cluster.leaseShown()).doesNotContain("s3cret");
  }

  @Test
  void theKubernetesApiIsReadAsTheKubernetesActionReadsIt() throws ConfigException {
    ClusterConfig cluster = load("""
        medic.cluster {
          lease = kubernetes
          kubernetes { api = "https://10.96.0.1:6443/", namespace = shop, token-file = "/run/sa/token", ca-file = "/run/sa/ca.crt" }
        }
        """).cluster();

    assertThat(cluster.kubernetes().api().shown()).isEqualTo("https://10.96.0.1:6443");
    assertThat(cluster.kubernetes().namespace()).contains("shop");
    assertThat(cluster.kubernetes().tokenFile()).isEqualTo("/run/sa/token");
    assertThat(cluster.kubernetes().namespaceFile()).isEqualTo("/run/sa/namespace");
    assertThat(cluster.kubernetes().caFile()).contains("/run/sa/ca.crt");
  }

  @Test
  void aPasswordInTheLeaseUriIsMaskedInProblemsAboutIt() {
    assertThatThrownBy(() -> load("medic.cluster { lease = \"redis://:hunter2@127.0.0.1:6379/x\" }"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).report()).contains("medic.cluster.lease").doesNotContain("hunter2"));
  }

  @Test
  void aValidLeaseIsNotConnectedToWhileLoading() throws ConfigException {
    // Nothing listens on port 1: validation must not try.
    assertThat(load("medic.cluster.lease = \"redis://127.0.0.1:1\"").cluster().enabled()).isTrue();
    assertThat(Optional.of(load("medic.cluster.lease = \"postgresql://m:p@127.0.0.1:1/db\"").cluster().backend()))
        .contains("postgresql");
  }
}
