package dev.medic.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.medic.kubernetes.KubernetesAccess;
import dev.medic.testing.FakeLeaseApiServer;
import dev.medic.testing.FakeLeaseApiServer.Seen;
import dev.medic.testing.Await;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes backend against {@link FakeLeaseApiServer}, over HTTPS on 127.0.0.1 with a
 * certificate from a test CA that the backend trusts as its ca-file, and a bearer token from a
 * token file, as in a pod.
 */
class KubernetesLeaseBackendTest extends LeaseBackendContract {

  private static final String TOKEN = "sa-token-" + java.util.UUID.randomUUID();
  private static final String NS = "fleet";
  private static final String MICRO_TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z";

  private static Vertx serverVertx;
  private static FakeLeaseApiServer api;
  private static Path dir;
  private static TestCertificate certificate;
  private static TestPki pki;
  private static int port;

  @BeforeAll
  static void startApiServer() throws Exception {
    dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "k8s-lease-");
    pki = TestPki.create(dir);
    certificate = pki.issueForDays("api", 30, "127.0.0.1");
    Files.writeString(dir.resolve("token"), TOKEN + "\n");
    serverVertx = Vertx.vertx();
    api = new FakeLeaseApiServer(TOKEN);
    port = api.start(serverVertx, certificate);
  }

  @AfterAll
  static void stopApiServer() {
    if (serverVertx != null) {
      serverVertx.close().await();
    }
  }

  @BeforeEach
  void forgetRequests() {
    api.clearRequests();
  }

  private static KubernetesAccess access(int port, String tokenFile) {
    return new KubernetesAccess(new KubernetesAccess.Api("127.0.0.1", port, ""), tokenFile,
        Optional.of(pki.caPem().toString()), Optional.of(NS), dir.resolve("namespace").toString());
  }

  @Override
  LeaseBackend backend(Vertx vertx, String instance, Duration ttl) {
    return new KubernetesLeaseBackendType().create(vertx,
        Clusters.kubernetes(access(port, dir.resolve("token").toString()), ttl), instance);
  }

  /** Another writer sets the holder to "" (as a release does), behind the holder's back. */
  @Override
  void takeAway(String key) {
    api.edit(NS, name(key), o -> o.getJsonObject("spec").put("holderIdentity", ""));
  }

  private static String name(String key) {
    return KubernetesLeaseBackend.objectName("medic", key);
  }

  private static String item(String key) {
    return "/apis/coordination.k8s.io/v1/namespaces/" + NS + "/leases/" + name(key);
  }

  private static final String COLLECTION = "/apis/coordination.k8s.io/v1/namespaces/" + NS + "/leases";

  private static List<String> methodsAndPaths() {
    return api.requests().stream().map(s -> s.method() + " " + s.path()).toList();
  }

  @Test
  void aGrantIsAGetThenACreateAndTheOtherInstanceOnlyReads() {
    String key = key();

    Lease lease = granted(a, key);

    assertThat(methodsAndPaths()).containsExactly("GET " + item(key), "POST " + COLLECTION);
    JsonObject created = api.requests().get(1).body();
    assertThat(created.getString("apiVersion")).isEqualTo("coordination.k8s.io/v1");
    assertThat(created.getString("kind")).isEqualTo("Lease");
    assertThat(created.getJsonObject("metadata").getString("name")).isEqualTo(name(key));
    assertThat(created.getJsonObject("metadata").containsKey("resourceVersion")).isFalse();
    JsonObject spec = created.getJsonObject("spec");
    assertThat(spec.getString("holderIdentity")).isEqualTo("medic-a");
    assertThat(spec.getInteger("leaseDurationSeconds")).isEqualTo(1);
    assertThat(spec.getString("acquireTime")).matches(MICRO_TIME);
    assertThat(spec.getString("renewTime")).matches(MICRO_TIME).isEqualTo(spec.getString("acquireTime"));
    assertThat(spec.getLong("leaseTransitions")).isZero();
    assertThat(lease.fencingToken()).isZero();

    api.clearRequests();
    assertHeldBy(b, key, "medic-a");
    assertThat(methodsAndPaths()).containsExactly("GET " + item(key));
  }

  @Test
  void renewalsArePutsOfRenewTimeWithTheLastResourceVersionAndReleaseEmptiesTheHolder() throws Exception {
    String key = key();
    Lease lease = granted(a, key);
    String createdVersion = api.object(NS, name(key)).getJsonObject("metadata").getString("resourceVersion");
    String acquired = api.object(NS, name(key)).getJsonObject("spec").getString("acquireTime");

    Await.until("two renewals", 10_000, () -> api.requests().stream().filter(s -> s.method().equals("PUT")).count() >= 2);

    List<Seen> puts = api.requests().stream().filter(s -> s.method().equals("PUT")).toList();
    assertThat(puts.get(0).path()).isEqualTo(item(key));
    assertThat(puts.get(0).body().getJsonObject("metadata").getString("resourceVersion")).isEqualTo(createdVersion);
    JsonObject renewed = puts.get(1).body().getJsonObject("spec");
    assertThat(renewed.getString("holderIdentity")).isEqualTo("medic-a");
    assertThat(renewed.getString("acquireTime")).isEqualTo(acquired);
    assertThat(renewed.getString("renewTime")).matches(MICRO_TIME);
    assertThat(Instant.parse(renewed.getString("renewTime"))).isAfter(Instant.parse(acquired));
    assertThat(renewed.getLong("leaseTransitions")).isZero();
    assertThat(puts.get(1).body().getJsonObject("metadata").getString("resourceVersion"))
        .as("each renewal writes over the version the last one made")
        .isNotEqualTo(createdVersion);

    api.clearRequests();
    Await.join(lease.release());

    Seen release = api.requests().get(api.requests().size() - 1);
    assertThat(release.method()).isEqualTo("PUT");
    assertThat(release.body().getJsonObject("spec").getString("holderIdentity")).isEmpty();
    assertThat(api.object(NS, name(key)).getJsonObject("spec").getString("holderIdentity")).isEmpty();

    api.clearRequests();
    Lease next = granted(b, key);
    assertThat(methodsAndPaths()).containsExactly("GET " + item(key), "PUT " + item(key));
    JsonObject taken = api.requests().get(1).body().getJsonObject("spec");
    assertThat(taken.getString("holderIdentity")).isEqualTo("medic-b");
    assertThat(taken.getLong("leaseTransitions")).isEqualTo(1);
    assertThat(next.fencingToken()).isEqualTo(1);
  }

  @Test
  void aConflictBecauseAnotherInstanceWonIsHeldByThatInstance() {
    String key = key();
    Await.join(granted(a, key).release());
    api.clearRequests();
    api.beforeNextPut(() -> api.edit(NS, name(key), o -> o.getJsonObject("spec")
        .put("holderIdentity", "medic-x").put("leaseDurationSeconds", 15)
        .put("renewTime", KubernetesLeaseBackend.microTime(Instant.now()))));

    assertHeldBy(b, key, "medic-x");

    assertThat(api.requests().stream().map(Seen::method).toList()).containsExactly("GET", "PUT", "GET");
  }

  @Test
  void aConflictWithAWriterThatTookNothingIsTriedOnceMore() {
    String key = key();
    Await.join(granted(a, key).release());
    api.clearRequests();
    api.beforeNextPut(() -> api.edit(NS, name(key), o -> o.getJsonObject("metadata")
        .put("annotations", new JsonObject().put("note", "kubectl annotate"))));

    Lease lease = granted(b, key);

    assertThat(api.requests().stream().map(Seen::method).toList()).containsExactly("GET", "PUT", "GET", "PUT");
    assertThat(api.object(NS, name(key)).getJsonObject("metadata").getJsonObject("annotations").getString("note"))
        .as("what the other writer wrote is kept").isEqualTo("kubectl annotate");
    assertThat(lease.held()).isTrue();
  }

  @Test
  void ofInstancesRacingForAFreeLeaseExactlyOneWins() {
    for (int round = 0; round < 5; round++) {
      String key = key();
      Future<Acquisition> fromA = a.acquire(key);
      Future<Acquisition> fromB = b.acquire(key);
      Await.join(Future.join(fromA, fromB));
      List<Acquisition> both = List.of(fromA.result(), fromB.result());
      List<Acquisition> won = both.stream().filter(x -> x instanceof Acquisition.Granted).toList();
      assertThat(won).as("round %d: %s", round, both).hasSize(1);
      Acquisition lost = both.stream().filter(x -> x instanceof Acquisition.HeldBy).findFirst().orElseThrow();
      assertThat(((Acquisition.HeldBy) lost).holder()).isEqualTo(fromA.result() == won.get(0) ? "medic-a" : "medic-b");
      Await.join(((Acquisition.Granted) won.get(0)).lease().release());
    }
  }

  @Test
  void aBudgetIsAnAnnotationOfTheLeaseObjectNamedForIt() {
    String budget = key();
    Await.join(a.recordAttempt(budget, attempt("2026-05-01T10:00:00Z", "started", "medic-a", 4), Duration.ofMinutes(30)));

    JsonObject stored = api.object(NS, name(budget));
    JsonArray records = new JsonArray(stored.getJsonObject("metadata").getJsonObject("annotations")
        .getString(KubernetesLeaseBackend.ATTEMPTS));
    assertThat(records).hasSize(1);
    assertThat(records.getJsonObject(0).getJsonObject("attempt").getString("instance")).isEqualTo("medic-a");
    assertThat(records.getJsonObject(0).getLong("until")).isGreaterThan(System.currentTimeMillis());

    // The lease on the same key keeps the budget through its writes, and the budget its lease.
    Lease lease = granted(b, budget);
    Await.join(a.recordAttempt(budget, attempt("2026-05-01T10:00:00Z", "success", "medic-a", 4), Duration.ofMinutes(30)));
    Await.join(lease.release());
    assertThat(Await.join(c.attempts(budget))).containsExactly(attempt("2026-05-01T10:00:00Z", "success", "medic-a", 4));
    assertThat(api.object(NS, name(budget)).getJsonObject("spec").getString("holderIdentity")).isEmpty();
  }

  @Test
  void objectNamesAreDnsLabelsAndDistinctKeysGetDistinctNames() {
    assertThat(KubernetesLeaseBackend.objectName("medic", "restart-app")).isEqualTo("medic-restart-app");
    Set<String> names = new HashSet<>();
    for (String key : List.of("restart-app/app", "restart-app-app", "restart-app/App", "Restart/app",
        "x".repeat(100), "x".repeat(101), "restart-app/" + "a".repeat(80))) {
      String name = KubernetesLeaseBackend.objectName("medic", key);
      assertThat(name).as(key).matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?").startsWith("medic-");
      names.add(name);
    }
    assertThat(names).hasSize(7);
  }

  @Test
  void aRefusedTokenFailsWithTheReasonAndWithoutTheToken() throws Exception {
    Path wrong = dir.resolve("wrong-token");
    Files.writeString(wrong, "not-the-token");
    LeaseBackend backend = new KubernetesLeaseBackendType().create(vertxA,
        Clusters.kubernetes(access(port, wrong.toString()), TTL), "medic-a");

    assertThatThrownBy(() -> Await.join(backend.acquire(key())))
        .hasCauseInstanceOf(LeaseBackendUnavailable.class)
        .satisfies(e -> assertThat(e.getCause().getMessage())
            .contains("HTTP 401", "was not accepted").doesNotContain("not-the-token"));
  }

  @Test
  void anApiServerThatIsDownFailsAcquireAndTheLeaseItHeldIsLost() throws Exception {
    FakeLeaseApiServer own = new FakeLeaseApiServer(TOKEN);
    int ownPort = own.start(serverVertx, certificate);
    LeaseBackend backend = new KubernetesLeaseBackendType().create(vertxA,
        Clusters.kubernetes(access(ownPort, dir.resolve("token").toString()), TTL), "medic-a");
    Acquisition got = Await.join(backend.acquire("k"));
    assertThat(got).isInstanceOf(Acquisition.Granted.class);
    Lease lease = ((Acquisition.Granted) got).lease();

    own.stop();

    assertThatThrownBy(() -> Await.join(backend.acquire("other")))
        .hasCauseInstanceOf(LeaseBackendUnavailable.class)
        .hasMessageContaining("cannot take the lease on other: lease backend kubernetes https://127.0.0.1:" + ownPort);
    Await.until("the lease is lost when its renewal cannot reach the API server", 10_000, () -> !lease.held());
  }
}
