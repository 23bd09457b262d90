package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class TcpProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir
  static Path tempDir;

  private static TestCertificate cert;

  @BeforeAll
  static void mintCertificate() throws Exception {
    cert = TestCertificate.mint(tempDir);
  }

  @Test
  void bannerIsFound(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, socket -> socket.write("220 ready\r\n"))
        .compose(port -> probe(vertx, target(port) + ", expect = \"220\"").run()
            .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
              assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
              assertThat(r.message()).startsWith("127.0.0.1:" + port + " replied \"220\" in ");
              assertThat(r.latency()).isNotNull().isLessThan(TIMEOUT);
              ctx.completeNow();
            }))));
  }

  @Test
  void sentLineGetsItsAnswer(Vertx vertx, VertxTestContext ctx) {
    CompletableFuture<String> received = new CompletableFuture<>();
    serve(vertx, socket -> socket.handler(data -> {
      received.complete(data.toString());
      socket.write(data.toString().equals("EHLO medic\r\n") ? "250 hello medic\r\n" : "500 what?\r\n");
    }))
        .compose(port -> probe(vertx, target(port) + ", send = \"EHLO medic\\r\\n\", expect = \"250 hello\"").run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(received).isCompletedWithValue("EHLO medic\r\n");
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          ctx.completeNow();
        })));
  }

  @Test
  void connectingIsEnoughWithoutExpect(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, socket -> { })
        .compose(port -> probe(vertx, target(port)).run()
            .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
              assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
              assertThat(r.message()).startsWith("connected to 127.0.0.1:" + port + " in ");
              ctx.completeNow();
            }))));
  }

  @Test
  void wrongReplyIsCriticalAtTheTimeoutWithWhatCame(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, socket -> socket.write("500 nope\r\n"))
        .compose(port -> probe(vertx, target(port) + ", expect = \"220\"", Duration.ofSeconds(1)).run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).isEqualTo("no \"220\" in reply within 1s (got \"500 nope\\r\\n\")");
          assertThat(r.latency()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
          ctx.completeNow();
        })));
  }

  @Test
  void serverClosingBeforeTheExpectedTextIsCriticalAtOnce(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, socket -> socket.write("421 busy\r\n").onComplete(w -> socket.close()))
        .compose(port -> probe(vertx, target(port) + ", expect = \"220\"").run()
            .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
              assertThat(r.status()).isEqualTo(Status.CRITICAL);
              assertThat(r.message()).isEqualTo(
                  "127.0.0.1:" + port + " closed the connection before \"220\" (got \"421 busy\\r\\n\")");
              assertThat(r.latency()).isLessThan(Duration.ofSeconds(1));
              ctx.completeNow();
            }))));
  }

  @Test
  void refusedConnectionIsCritical(Vertx vertx, VertxTestContext ctx) throws Exception {
    int port = HungServer.freePort();
    probe(vertx, target(port)).run().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("connect 127.0.0.1:" + port + " refused");
      ctx.completeNow();
    })));
  }

  @Test
  void silentServerIsCriticalAtTheTimeoutAndTheSocketIsClosed(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    probe(vertx, target(hung.port()) + ", expect = \"220\"", Duration.ofSeconds(1)).run()
        .compose(r -> Future.fromCompletionStage(hung.peerClosed()).timeout(5, TimeUnit.SECONDS).map(r))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).isEqualTo("no \"220\" in reply within 1s (got nothing)");
          assertThat(r.latency()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
          hung.close();
          ctx.completeNow();
        })));
  }

  @Test
  void socketIsClosedAfterAPassingRunToo(Vertx vertx, VertxTestContext ctx) {
    CompletableFuture<Void> closedByProbe = new CompletableFuture<>();
    serve(vertx, socket -> {
      socket.closeHandler(v -> closedByProbe.complete(null));
      socket.write("+PONG\r\n");
    })
        .compose(port -> probe(vertx, target(port) + ", send = \"PING\\r\\n\", expect = PONG").run())
        .compose(r -> Future.fromCompletionStage(closedByProbe).timeout(5, TimeUnit.SECONDS).map(r))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          ctx.completeNow();
        })));
  }

  @Test
  void tlsVerifiesByDefaultAndTrustAnySkipsIt(Vertx vertx, VertxTestContext ctx) {
    NetServerOptions tls = new NetServerOptions().setSsl(true).setKeyCertOptions(
        new PemKeyCertOptions().setCertPath(cert.certPem().toString()).setKeyPath(cert.keyPem().toString()));
    vertx.createNetServer(tls).connectHandler(socket -> socket.write("220 secure\r\n"))
        .listen(0, "127.0.0.1").map(NetServer::actualPort)
        .compose(port -> {
          String base = target(port) + ", tls = true, expect = \"220\"";
          // Generous: the first TLS handshake in a fresh JVM warms up JSSE for about a second.
          Duration slow = Duration.ofSeconds(8);
          return Future.all(probe(vertx, base, slow).run(), probe(vertx, base + ", tls-trust = any", slow).run());
        })
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult verified = all.resultAt(0);
          ProbeResult any = all.resultAt(1);
          assertThat(verified.status()).isEqualTo(Status.CRITICAL);
          assertThat(verified.message()).startsWith("TLS handshake with 127.0.0.1:").contains("certificate not trusted");
          assertThat(any.status()).as(any.message()).isEqualTo(Status.OK);
          ctx.completeNow();
        })));
  }

  @Test
  void closeReleasesTheClient(Vertx vertx, VertxTestContext ctx) {
    serve(vertx, socket -> { })
        .compose(port -> {
          Probe probe = probe(vertx, target(port));
          return probe.run().compose(r -> probe.close()).map(v -> probe);
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ProbeType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("tcp"))
        .singleElement()
        .isInstanceOf(TcpProbeType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of(
        "host = mail.example.org, port = 465, send = \"EHLO medic\\r\\n\", expect = \"250\", tls = true, tls-trust = system");
    new TcpProbeType().create(s, context(null, TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      port = 25                                | medic.checks.test.host      | missing (a value is required)
      host = "", port = 25                     | medic.checks.test.host      | is empty
      host = 127.0.0.1                         | medic.checks.test.port      | missing (a value is required, 1 to 65535)
      host = 127.0.0.1, port = 70000           | medic.checks.test.port      | 70000 is out of range (expected 1 to 65535)
      host = 127.0.0.1, port = smtp            | medic.checks.test.port      | "smtp" is not a whole number
      host = 127.0.0.1, port = 25, expect = "" | medic.checks.test.expect    | is empty
      host = 127.0.0.1, port = 25, tls-trust = any | medic.checks.test.tls-trust | has no effect without tls = true
      host = 127.0.0.1, port = 25, tls = true, tls-trust = none | medic.checks.test.tls-trust | "none" is not allowed (expected one of: system, any)
      host = 127.0.0.1, port = 25, expcet = "220" | medic.checks.test.expcet  | unknown key (did you mean "expect"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new TcpProbeType().create(s, context(null, TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static String target(int port) {
    return "host = 127.0.0.1, port = " + port;
  }

  private static Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, TIMEOUT);
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(Vertx vertx, String hocon, Duration timeout) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new TcpProbeType().create(s, context(vertx, timeout));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> { });
  }

  private static Future<Integer> serve(Vertx vertx, Handler<NetSocket> onConnect) {
    return vertx.createNetServer().connectHandler(onConnect).listen(0, "127.0.0.1").map(NetServer::actualPort);
  }
}
