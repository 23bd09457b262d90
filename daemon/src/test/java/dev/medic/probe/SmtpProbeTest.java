package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.SmtpTestServer;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestPki;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SmtpProbeTest {

  /** Generous: the first TLS handshake in a fresh JVM warms up JSSE for about a second. */
  private static final Duration TIMEOUT = Duration.ofSeconds(8);
  private static final String BANNER = "\"220 medic.test ESMTP ready\"";

  @TempDir
  static Path tempDir;

  private static TestCertificate cert;

  @BeforeAll
  static void mintCertificate() throws Exception {
    cert = TestPki.create(tempDir).selfSigned("smtp", 30, "127.0.0.1", "localhost");
  }

  @Test
  void bannerAndEhloAreEnough(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().start(vertx)
        .compose(server -> probe(vertx, target(server)).run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
            assertThat(r.message()).matches("127\\.0\\.0\\.1:" + server.port()
                + " in \\d+ ms: banner " + BANNER + "; EHLO ok; STARTTLS not offered");
            assertThat(r.latency()).isNotNull().isLessThan(TIMEOUT);
          });
          return server;
        }))
        .onComplete(ctx.succeeding(server -> ctx.verify(() -> {
          assertThat(server.received()).startsWith("EHLO medic");
          ctx.completeNow();
        })));
  }

  @Test
  void offeredStartTlsIsMentionedWhenNotRequired(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().startTls(cert).start(vertx)
        .compose(server -> probe(vertx, target(server)).run())
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(r.message()).endsWith("; EHLO ok; STARTTLS offered");
          ctx.completeNow();
        })));
  }

  @Test
  void requiredStartTlsUpgradesAndGreetsAgainOverTls(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().startTls(cert).start(vertx)
        .compose(server -> probe(vertx, target(server) + ", starttls = true, tls-trust = any, ehlo-name = probe.medic.test")
            .run().map(r -> {
              ctx.verify(() -> {
                assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
                assertThat(r.message()).contains(": banner " + BANNER + "; EHLO ok; STARTTLS ok (TLSv1.")
                    .endsWith(", certificate not verified: tls-trust = any)");
              });
              return server;
            }))
        .onComplete(ctx.succeeding(server -> ctx.verify(() -> {
          assertThat(server.received()).startsWith(
              "EHLO probe.medic.test", "STARTTLS", "EHLO probe.medic.test [tls]");
          ctx.completeNow();
        })));
  }

  @Test
  void requiredStartTlsVerifiesTheCertificateByDefault(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().startTls(cert).start(vertx)
        .compose(server -> probe(vertx, target(server) + ", starttls = true").run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo("TLS handshake with 127.0.0.1:" + server.port()
                + " failed: certificate not trusted (no path to a trusted CA); banner " + BANNER);
          });
          return server;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void requiredStartTlsNotOfferedIsCritical(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().start(vertx)
        .compose(server -> probe(vertx, target(server) + ", starttls = true").run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo("127.0.0.1:" + server.port()
                + " does not offer STARTTLS (EHLO lists PIPELINING, 8BITMIME); banner " + BANNER);
          });
          return server;
        }))
        .onComplete(ctx.succeeding(server -> ctx.verify(() -> {
          assertThat(server.received()).doesNotContain("STARTTLS");
          ctx.completeNow();
        })));
  }

  @Test
  void refusedStartTlsIsCritical(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().startTls(cert).startTlsReply("454 4.7.0 TLS not available due to local problem").start(vertx)
        .compose(server -> probe(vertx, target(server) + ", starttls = true").run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo("127.0.0.1:" + server.port() + " answered STARTTLS with"
                + " \"454 4.7.0 TLS not available due to local problem\" (expected 220); banner " + BANNER);
          });
          return server;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aBannerOtherThan220IsCritical(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().banner("554 5.3.2 no service for you").start(vertx)
        .compose(server -> probe(vertx, target(server)).run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo(
                "127.0.0.1:" + server.port() + " banner \"554 5.3.2 no service for you\" (expected 220)");
          });
          return server;
        }))
        .onComplete(ctx.succeeding(server -> ctx.verify(() -> {
          assertThat(server.received()).doesNotContain("EHLO medic");
          ctx.completeNow();
        })));
  }

  @Test
  void aRejectedEhloIsCritical(Vertx vertx, VertxTestContext ctx) {
    SmtpTestServer.with().ehloReply("502 5.5.1 EHLO not implemented").start(vertx)
        .compose(server -> probe(vertx, target(server)).run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo("127.0.0.1:" + server.port()
                + " answered EHLO medic with \"502 5.5.1 EHLO not implemented\" (expected 250); banner " + BANNER);
          });
          return server;
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void refusedConnectionIsCritical(Vertx vertx, VertxTestContext ctx) throws Exception {
    int port = HungServer.freePort();
    probe(vertx, "host = 127.0.0.1, port = " + port).run().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("connect 127.0.0.1:" + port + " refused");
      ctx.completeNow();
    })));
  }

  @Test
  void silentServerIsCriticalAtTheTimeoutAndTheSocketIsClosed(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    probe(vertx, "host = 127.0.0.1, port = " + hung.port(), Duration.ofSeconds(1)).run()
        .compose(r -> Future.fromCompletionStage(hung.peerClosed()).timeout(5, TimeUnit.SECONDS).map(r))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).isEqualTo("127.0.0.1:" + hung.port() + ": no banner within 1s");
          assertThat(r.latency()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
          hung.close();
          ctx.completeNow();
        })));
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ProbeType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("smtp"))
        .singleElement()
        .isInstanceOf(SmtpProbeType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of(
        "host = mail.example.org, port = 587, starttls = true, tls-trust = system, ehlo-name = \"[192.0.2.1]\"");
    new SmtpProbeType().create(s, context(null, TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      port = 25                                     | medic.checks.test.host      | missing (a value is required)
      host = ""                                     | medic.checks.test.host      | is empty
      host = 127.0.0.1, port = 70000                | medic.checks.test.port      | 70000 is out of range (expected 1 to 65535)
      host = 127.0.0.1, starttls = maybe            | medic.checks.test.starttls  | "maybe" is not a boolean
      host = 127.0.0.1, tls-trust = any             | medic.checks.test.tls-trust | has no effect without starttls = true
      host = 127.0.0.1, starttls = true, tls-trust = none | medic.checks.test.tls-trust | "none" is not allowed (expected one of: system, any)
      host = 127.0.0.1, ehlo-name = "medic\\r\\nRSET" | medic.checks.test.ehlo-name | is not a host name
      host = 127.0.0.1, starttsl = true             | medic.checks.test.starttsl  | unknown key (did you mean "starttls"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new SmtpProbeType().create(s, context(null, TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static String target(SmtpTestServer server) {
    return "host = 127.0.0.1, port = " + server.port();
  }

  private static Probe probe(Vertx vertx, String hocon) {
    return probe(vertx, hocon, TIMEOUT);
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(Vertx vertx, String hocon, Duration timeout) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new SmtpProbeType().create(s, context(vertx, timeout));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> { });
  }
}
