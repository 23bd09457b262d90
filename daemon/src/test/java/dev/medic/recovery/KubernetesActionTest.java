package dev.medic.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Against an API-server-shaped HTTPS server on 127.0.0.1, with a service account in a temp dir. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class KubernetesActionTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir
  static Path certs;

  private static TestCertificate cert;
  private static TestCertificate stranger;

  /** The service account directory: token, ca.crt, namespace, as the kubelet mounts them. */
  @TempDir
  Path account;

  private record Seen(String method, String path, String query, String authorization, String contentType,
      String body) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void mintCertificates() throws Exception {
    cert = TestCertificate.mint(certs);
    stranger = TestCertificate.mint(Files.createDirectories(certs.resolve("stranger")));
  }

  @BeforeEach
  void serviceAccount() throws Exception {
    Files.writeString(account.resolve("token"), "tok-1\n");
    Files.copy(cert.certPem(), account.resolve("ca.crt"));
    Files.writeString(account.resolve("namespace"), "shop");
  }

  // ---- runs against a real HTTPS server ---------------------------------------------------------

  @Test
  void rolloutRestartPatchesTheTemplateAnnotation(Vertx vertx, VertxTestContext ctx) {
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    apiServer(vertx, req -> req.response().setStatusCode(200).end("{\"kind\":\"Deployment\"}"))
        .compose(port -> action(vertx, port, "deployment = web").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).as(outcome.message()).isTrue();
          assertThat(outcome.message()).isEqualTo("rollout restart of deployment \"shop/web\" started");
          assertThat(seen).singleElement().satisfies(s -> {
            assertThat(s.method()).isEqualTo("PATCH");
            assertThat(s.path()).isEqualTo("/apis/apps/v1/namespaces/shop/deployments/web");
            assertThat(s.query()).isEqualTo("fieldManager=medic");
            assertThat(s.authorization()).isEqualTo("Bearer tok-1");
            assertThat(s.contentType()).isEqualTo("application/strategic-merge-patch+json");
            JsonObject annotations = new JsonObject(s.body()).getJsonObject("spec").getJsonObject("template")
                .getJsonObject("metadata").getJsonObject("annotations");
            assertThat(annotations.fieldNames()).containsExactly("kubectl.kubernetes.io/restartedAt");
            // RFC 3339, as kubectl writes it: parses with an offset, and is now.
            OffsetDateTime at = OffsetDateTime.parse(annotations.getString("kubectl.kubernetes.io/restartedAt"));
            assertThat(at.toInstant()).isBetween(before, Instant.now());
          });
          ctx.completeNow();
        })));
  }

  @Test
  void deletePodDeletesThePodInTheConfiguredNamespace(Vertx vertx, VertxTestContext ctx) {
    apiServer(vertx, req -> req.response().setStatusCode(200).end("{\"kind\":\"Pod\"}"))
        .compose(port -> action(vertx, port, "operation = delete-pod, pod = web-7d9f8-x2x4q, namespace = payments")
            .run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isTrue();
          assertThat(outcome.message()).isEqualTo("deleted pod \"payments/web-7d9f8-x2x4q\"");
          assertThat(seen).singleElement().satisfies(s -> {
            assertThat(s.method()).isEqualTo("DELETE");
            assertThat(s.path()).isEqualTo("/api/v1/namespaces/payments/pods/web-7d9f8-x2x4q");
            assertThat(s.query()).isNull();
            assertThat(s.authorization()).isEqualTo("Bearer tok-1");
            assertThat(s.body()).isEmpty();
          });
          ctx.completeNow();
        })));
  }

  @Test
  void forbiddenIsAFailureWithTheStatusMessage(Vertx vertx, VertxTestContext ctx) {
    String status = new JsonObject().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
        .put("message", "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:shop:medic\""
            + " cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\"")
        .put("reason", "Forbidden").put("code", 403).encode();
    apiServer(vertx, req -> req.response().setStatusCode(403).putHeader("Content-Type", "application/json").end(status))
        .compose(port -> action(vertx, port, "deployment = web").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).isEqualTo("cannot patch deployment \"shop/web\": 403 deployments.apps \"web\""
              + " is forbidden: User \"system:serviceaccount:shop:medic\" cannot patch resource \"deployments\""
              + " in API group \"apps\" in the namespace \"shop\""
              + " (the service account needs RBAC permission to patch deployments in shop)");
          assertThat(outcome.output()).isEqualTo(status);
          ctx.completeNow();
        })));
  }

  @Test
  void notFoundIsAFailureWithTheStatusMessage(Vertx vertx, VertxTestContext ctx) {
    apiServer(vertx, req -> req.response().setStatusCode(404)
        .end("{\"kind\":\"Status\",\"message\":\"pods \\\"web-1\\\" not found\",\"code\":404}"))
        .compose(port -> action(vertx, port, "operation = delete-pod, pod = web-1").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).isEqualTo("cannot delete pod \"shop/web-1\": 404 pods \"web-1\" not found");
          ctx.completeNow();
        })));
  }

  @Test
  void aRotatedTokenIsSentOnTheNextRun(Vertx vertx, VertxTestContext ctx) {
    apiServer(vertx, req -> req.response().setStatusCode(200).end("{}"))
        .compose(port -> {
          Action action = action(vertx, port, "deployment = web");
          return action.run("app")
              .compose(first -> vertx.fileSystem().writeFile(account.resolve("token").toString(),
                  io.vertx.core.buffer.Buffer.buffer("tok-2")))
              .compose(v -> action.run("app"));
        })
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(seen).extracting(Seen::authorization).containsExactly("Bearer tok-1", "Bearer tok-2");
          assertThat(outcome.message()).doesNotContain("tok-");
          ctx.completeNow();
        })));
  }

  @Test
  void aServerTheCaFileDoesNotVouchForIsRefused(Vertx vertx, VertxTestContext ctx) throws Exception {
    Files.copy(stranger.certPem(), account.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    apiServer(vertx, req -> req.response().setStatusCode(200).end("{}"))
        .compose(port -> action(vertx, port, "deployment = web").run("app")
            .compose(refused -> action(vertx, port, "deployment = web, tls.trust = any", false).run("app")
                .map(trusted -> List.of(refused, trusted))))
        .onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          ActionOutcome refused = both.get(0);
          assertThat(refused.success()).isFalse();
          assertThat(refused.message()).startsWith("TLS handshake with the API server https://127.0.0.1:")
              .endsWith("(trusting only the CA in " + account.resolve("ca.crt") + ")");
          assertThat(both.get(1).success()).isTrue();
          // The token went only to the server medic could trust, or was told to.
          assertThat(seen).hasSize(1);
          ctx.completeNow();
        })));
  }

  @Test
  void missingTokenIsAFailureNamingTheFile(Vertx vertx, VertxTestContext ctx) throws Exception {
    Files.delete(account.resolve("token"));
    apiServer(vertx, req -> req.response().setStatusCode(200).end("{}"))
        .compose(port -> action(vertx, port, "deployment = web").run("app"))
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).isFalse();
          assertThat(outcome.message()).startsWith("cannot read the service account token from " + account.resolve("token"));
          assertThat(seen).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void theApiServerComesFromTheServiceEnvironmentByDefault(Vertx vertx, VertxTestContext ctx) {
    apiServer(vertx, req -> req.response().setStatusCode(200).end("{}"))
        .compose(port -> {
          var type = new KubernetesActionType(
              Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1", "KUBERNETES_SERVICE_PORT", String.valueOf(port)),
              Clock.systemUTC());
          Settings s = TestSettings.of(serviceAccountKeys() + "deployment = web");
          Action action = type.create(s, new ActionContext(vertx, "restart-web", TIMEOUT));
          s.reportUnknownKeys();
          assertThat(s.problems().sorted()).isEmpty();
          assertThat(action.describe()).endsWith(" via https://127.0.0.1:" + port);
          return action.run("app");
        })
        .onComplete(ctx.succeeding(outcome -> ctx.verify(() -> {
          assertThat(outcome.success()).as(outcome.message()).isTrue();
          assertThat(seen).hasSize(1);
          ctx.completeNow();
        })));
  }

  @Test
  void theRestartAnnotationIsRfc3339InUtcToTheSecond() {
    JsonObject patch = KubernetesAction.restartPatch(Instant.parse("2025-03-04T05:06:07.891Z"));
    assertThat(patch.encode()).isEqualTo(
        "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2025-03-04T05:06:07Z\"}}}}}");
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ActionType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("kubernetes"))
        .singleElement()
        .isInstanceOf(KubernetesActionType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of("""
        api = "https://10.96.0.1:443"
        operation = rollout-restart
        deployment = web
        namespace = shop
        token-file = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        ca-file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
        tls { trust = ca-file }
        """);
    Action action = new KubernetesActionType(Map.of(), Clock.systemUTC())
        .create(s, new ActionContext(null, "restart-web", TIMEOUT));
    TestSettings.assertValid(s);
    assertThat(action.describe()).isEqualTo("kubectl rollout restart deployment/web -n shop via https://10.96.0.1:443");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      namespace = shop                                   | medic.checks.test.deployment | missing (operation = rollout-restart needs the deployment's name)
      operation = delete-pod                             | medic.checks.test.pod        | missing (operation = delete-pod needs the pod's name)
      operation = delete-pod, pod = x, deployment = web  | medic.checks.test.deployment | has no effect with operation = delete-pod
      operation = scale, deployment = web                | medic.checks.test.operation  | "scale" is not allowed (expected one of: rollout-restart, delete-pod)
      deployment = Web_App                               | medic.checks.test.deployment | "Web_App" is not a Kubernetes name
      deployment = web, namespace = "../kube-system"     | medic.checks.test.namespace  | is not a namespace name
      deployment = web, api = "http://127.0.0.1:8001"    | medic.checks.test.api        | is not an https URL (the token is only ever sent over TLS)
      deployment = web, api = "https://"                 | medic.checks.test.api        | is not a valid URL
      deployment = web, tls.trust = system               | medic.checks.test.tls.trust  | "system" is not allowed (expected one of: ca-file, any)
      deployment = web, tls.trust = any, ca-file = "/x"  | medic.checks.test.ca-file    | has no effect with tls.trust = any
      deployment = web, token-file = ""                  | medic.checks.test.token-file | is empty
      deployment = web, namespce = shop                  | medic.checks.test.namespce   | unknown key (did you mean "namespace"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new KubernetesActionType(Map.of(), Clock.systemUTC()).create(s, new ActionContext(null, "restart-web", TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private Future<Integer> apiServer(Vertx vertx, Handler<HttpServerRequest> handler) {
    HttpServerOptions options = new HttpServerOptions().setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.certPem().toString()).setKeyPath(cert.keyPem().toString()));
    return vertx.createHttpServer(options)
        .requestHandler(req -> req.body().onSuccess(body -> {
          seen.add(new Seen(req.method().name(), req.path(), req.query(), req.getHeader("Authorization"),
              req.getHeader("Content-Type"), body.toString()));
          handler.handle(req);
        }))
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort);
  }

  private String serviceAccountKeys() {
    return serviceAccountKeys(true);
  }

  private String serviceAccountKeys(boolean caFile) {
    return "token-file = \"" + account.resolve("token") + "\"\n"
        + (caFile ? "ca-file = \"" + account.resolve("ca.crt") + "\"\n" : "");
  }

  private Action action(Vertx vertx, int port, String hocon) {
    return action(vertx, port, hocon, true);
  }

  /** An action from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private Action action(Vertx vertx, int port, String hocon, boolean caFile) {
    Settings s = TestSettings.of("api = \"https://127.0.0.1:" + port + "\"\n" + serviceAccountKeys(caFile) + hocon);
    Action action = new KubernetesActionType(Map.of(), Clock.systemUTC())
        .create(s, new ActionContext(vertx, "restart-web", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return action;
  }
}
