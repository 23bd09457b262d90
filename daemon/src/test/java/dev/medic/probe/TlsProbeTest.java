package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.medic.config.CheckConfig;
import dev.medic.config.ConfigLoader;
import dev.medic.config.ConfigProblem;
import dev.medic.config.Problems;
import dev.medic.config.Settings;
import dev.medic.evaluate.Evaluator;
import dev.medic.testing.HungServer;
import dev.medic.testing.SmtpTestServer;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestPki;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class TlsProbeTest {

  /** Generous: the first TLS handshake in a fresh JVM warms up JSSE for a few seconds. */
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

  @TempDir
  static Path dir;

  private static Vertx vertx;
  private static TestPki pki;
  private static final Map<String, TestCertificate> certs = new HashMap<>();
  private static final Map<String, Integer> ports = new HashMap<>();

  @BeforeAll
  static void startServers() throws Exception {
    vertx = Vertx.vertx();
    pki = TestPki.create(dir);
    Instant now = Instant.now();
    certs.put("days5", pki.issueForDays("days5", 5, "medic.test"));
    certs.put("days20", pki.issueForDays("days20", 20, "medic.test"));
    certs.put("days90", pki.issueForDays("days90", 90, "medic.test"));
    certs.put("expired", pki.issue("expired", now.minus(Duration.ofDays(40)),
        now.minus(Duration.ofDays(3)).minus(Duration.ofHours(1)), "medic.test"));
    certs.put("other", pki.issueForDays("other", 90, "other.test", "*.other.test"));
    certs.put("self", pki.selfSigned("self", 90, "medic.test"));
    certs.put("ip", pki.issueForDays("ip", 90, "127.0.0.1"));
    for (Map.Entry<String, TestCertificate> e : certs.entrySet()) {
      TestCertificate c = e.getValue();
      NetServerOptions tls = new NetServerOptions().setSsl(true).setKeyCertOptions(
          new PemKeyCertOptions().setCertPath(c.certPem().toString()).setKeyPath(c.keyPem().toString()));
      ports.put(e.getKey(), vertx.createNetServer(tls).connectHandler(s -> { }).listen(0, "127.0.0.1").await()
          .actualPort());
    }
    // One server, two certificates: which one it presents depends on the SNI name it is sent.
    NetServerOptions sni = new NetServerOptions().setSsl(true).setSni(true).setKeyCertOptions(new PemKeyCertOptions()
        .addCertPath(certs.get("days90").certPem().toString()).addKeyPath(certs.get("days90").keyPem().toString())
        .addCertPath(certs.get("other").certPem().toString()).addKeyPath(certs.get("other").keyPem().toString()));
    ports.put("sni", vertx.createNetServer(sni).connectHandler(s -> { }).listen(0, "127.0.0.1").await().actualPort());
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  // ---- days left, judged by the check's thresholds ---------------------------------------------

  @ParameterizedTest(name = "{0} days left -> {1}")
  @CsvSource({"5, CRITICAL, ≤ critical 7 days", "20, WARNING, ≤ warning 30 days", "90, OK, ''"})
  void daysLeftAreJudgedByTheThresholds(int days, Status expected, String limit, VertxTestContext ctx)
      throws Exception {
    CheckConfig check = new ConfigLoader(ProbeTypes.of(new TlsProbeType()), vertx).loadString("""
        medic.checks.cert {
          type = tls
          host = "127.0.0.1"
          port = %d
          server-name = medic.test
          ca = "%s"
          thresholds { days-left { warning = 30, critical = 7 } }
        }
        """.formatted(ports.get("days" + days), pki.caPem()), "test.conf").checks().get("cert");
    Probe probe = check.probeType().create(new Settings(check.raw(), check.path(), check.raw().origin(),
        new Problems("test.conf")), new ProbeContext(vertx, "cert", TIMEOUT, () -> { }));
    X509Certificate cert = read(certs.get("days" + days).certPem());
    probe.run().onComplete(ctx.succeeding(raw -> ctx.verify(() -> {
      ProbeResult r = Evaluator.judge(raw, check.rules().thresholds(), Map.of(), new HashMap<>());
      String probed = "127.0.0.1:" + ports.get("days" + days) + " (SNI medic.test) certificate CN=medic.test expires in "
          + days + " days (" + DATE.format(cert.getNotAfter().toInstant())
          + "), issued by CN=medic test CA; chain trusted; hostname ok";
      assertThat(raw.status()).as(raw.message()).isEqualTo(Status.OK);
      assertThat(raw.message()).isEqualTo(probed);
      assertThat(r.status()).as(r.message()).isEqualTo(expected);
      assertThat(r.message()).isEqualTo(limit.isEmpty() ? probed
          : "days-left " + Unit.DAYS.format(raw.measurements().get("days-left").value()) + " " + limit + " — " + probed);
      assertThat(raw.measurements().get("days-left").value()).isCloseTo(days + 1 / 24.0, within(0.01));
      assertThat(raw.measurements().get("expires-at").value())
          .isEqualTo(cert.getNotAfter().toInstant().getEpochSecond());
      assertThat(raw.latency()).isNotNull().isLessThan(TIMEOUT);
      ctx.completeNow();
    })));
  }

  // ---- what is critical unless trust = any -------------------------------------------------------

  @Test
  void anExpiredCertificateIsCriticalButItsChainIsStillTrusted(VertxTestContext ctx) {
    String base = live("expired") + ", server-name = medic.test, ca = \"" + pki.caPem() + "\"";
    Future.all(probe(base).run(), probe(base.replaceFirst(", ca = .*$", "") + ", trust = any").run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult strict = all.resultAt(0);
          ProbeResult any = all.resultAt(1);
          assertThat(strict.status()).isEqualTo(Status.CRITICAL);
          assertThat(strict.message()).contains(" certificate CN=medic.test expired 3 days ago (")
              .endsWith("issued by CN=medic test CA; chain trusted; hostname ok");
          assertThat(strict.measurements().get("days-left").value()).isCloseTo(-3 - 1 / 24.0, within(0.01));
          assertThat(any.status()).as(any.message()).isEqualTo(Status.OK);
          assertThat(any.message()).contains("expired 3 days ago")
              .endsWith("; chain not trusted (no path to a trusted CA); hostname ok (not critical: trust = any)");
          ctx.completeNow();
        })));
  }

  @Test
  void aCertificateForAnotherNameIsCriticalUnlessTrustIsAny(VertxTestContext ctx) {
    String base = live("other") + ", server-name = medic.test";
    String ca = ", ca = \"" + pki.caPem() + "\"";
    Future.all(probe(base + ca).run(), probe(base + ", trust = any").run(),
            probe(live("other") + ", server-name = www.other.test" + ca).run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult strict = all.resultAt(0);
          ProbeResult any = all.resultAt(1);
          ProbeResult wildcard = all.resultAt(2);
          assertThat(strict.status()).isEqualTo(Status.CRITICAL);
          assertThat(strict.message()).endsWith("; chain trusted; hostname mismatch: medic.test is not among the"
              + " certificate's names (other.test, *.other.test)");
          assertThat(any.status()).as(any.message()).isEqualTo(Status.OK);
          assertThat(any.message()).endsWith("hostname mismatch: medic.test is not among the certificate's names"
              + " (other.test, *.other.test) (not critical: trust = any)");
          assertThat(wildcard.status()).as(wildcard.message()).isEqualTo(Status.OK);
          assertThat(wildcard.message()).endsWith("; chain trusted; hostname ok");
          ctx.completeNow();
        })));
  }

  @Test
  void aSelfSignedCertificateIsUntrustedUnlessTrustIsAny(VertxTestContext ctx) {
    String base = live("self") + ", server-name = medic.test";
    Future.all(probe(base).run(), probe(base + ", ca = \"" + pki.caPem() + "\"").run(),
            probe(base + ", trust = any").run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          for (int i = 0; i < 2; i++) {
            ProbeResult r = all.resultAt(i);
            assertThat(r.status()).as(r.message()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).contains("certificate CN=medic.test expires in 90 days")
                .contains("issued by CN=medic.test; chain not trusted (no path to a trusted CA); hostname ok");
          }
          ProbeResult any = all.resultAt(2);
          assertThat(any.status()).as(any.message()).isEqualTo(Status.OK);
          assertThat(any.message()).endsWith("chain not trusted (no path to a trusted CA); hostname ok"
              + " (not critical: trust = any)");
          ctx.completeNow();
        })));
  }

  @Test
  void aChainFromAPrivateCaIsTrustedOnlyWithItsCaFile(VertxTestContext ctx) {
    String base = live("days90") + ", server-name = medic.test";
    Future.all(probe(base).run(), probe(base + ", ca = \"" + pki.caPem() + "\"").run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult system = all.resultAt(0);
          ProbeResult ca = all.resultAt(1);
          assertThat(system.status()).isEqualTo(Status.CRITICAL);
          assertThat(system.message()).endsWith("; chain not trusted (no path to a trusted CA); hostname ok");
          assertThat(ca.status()).as(ca.message()).isEqualTo(Status.OK);
          assertThat(ca.message()).endsWith("; chain trusted; hostname ok");
          ctx.completeNow();
        })));
  }

  @Test
  void anIpAddressIsCheckedAgainstTheIpAddressNames(VertxTestContext ctx) {
    String ca = ", ca = \"" + pki.caPem() + "\"";
    Future.all(probe(live("ip") + ca).run(), probe(live("days90") + ca).run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult ip = all.resultAt(0);
          ProbeResult dnsOnly = all.resultAt(1);
          assertThat(ip.status()).as(ip.message()).isEqualTo(Status.OK);
          assertThat(ip.message()).startsWith("127.0.0.1:" + ports.get("ip") + " certificate CN=127.0.0.1 expires in 90 days")
              .endsWith("; chain trusted; hostname ok");
          assertThat(dnsOnly.status()).isEqualTo(Status.CRITICAL);
          assertThat(dnsOnly.message())
              .endsWith("; hostname mismatch: 127.0.0.1 is not among the certificate's names (medic.test)");
          ctx.completeNow();
        })));
  }

  @Test
  void theServerNameIsSentAsSni(VertxTestContext ctx) {
    String ca = ", ca = \"" + pki.caPem() + "\"";
    Future.all(probe(live("sni") + ", server-name = medic.test" + ca).run(),
            probe(live("sni") + ", server-name = api.other.test" + ca).run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult medic = all.resultAt(0);
          ProbeResult other = all.resultAt(1);
          assertThat(medic.message()).contains(" certificate CN=medic.test ").endsWith("hostname ok");
          assertThat(other.message()).contains(" certificate CN=other.test ").endsWith("hostname ok");
          assertThat(List.of(medic.status(), other.status())).containsOnly(Status.OK);
          ctx.completeNow();
        })));
  }

  // ---- STARTTLS -----------------------------------------------------------------------------------

  @Test
  void starttlsSmtpReadsTheChainAfterTheUpgrade(VertxTestContext ctx) {
    SmtpTestServer.with().startTls(certs.get("days20")).start(vertx)
        .compose(server -> probe("host = 127.0.0.1, port = " + server.port()
            + ", starttls = smtp, server-name = medic.test, ca = \"" + pki.caPem() + "\"").run().map(r -> {
              ctx.verify(() -> {
                assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
                assertThat(r.message()).startsWith("127.0.0.1:" + server.port()
                        + " (STARTTLS, SNI medic.test) certificate CN=medic.test expires in 20 days (")
                    .endsWith("; chain trusted; hostname ok");
                assertThat(r.measurements()).containsKeys("days-left", "expires-at");
              });
              return server;
            }))
        .onComplete(ctx.succeeding(server -> ctx.verify(() -> {
          assertThat(server.received()).startsWith("EHLO medic", "STARTTLS");
          server.close();
          ctx.completeNow();
        })));
  }

  @Test
  void starttlsNotOfferedIsCritical(VertxTestContext ctx) {
    SmtpTestServer.with().start(vertx)
        .compose(server -> probe("host = 127.0.0.1, port = " + server.port() + ", starttls = smtp").run().map(r -> {
          ctx.verify(() -> {
            assertThat(r.status()).isEqualTo(Status.CRITICAL);
            assertThat(r.message()).isEqualTo(
                "127.0.0.1:" + server.port() + " does not offer STARTTLS (EHLO lists PIPELINING, 8BITMIME)");
          });
          return server;
        }))
        .onComplete(ctx.succeeding(server -> {
          server.close();
          ctx.completeNow();
        }));
  }

  // ---- unreachable servers ------------------------------------------------------------------------

  @Test
  void refusedConnectionIsCritical(VertxTestContext ctx) throws Exception {
    int port = HungServer.freePort();
    probe("host = 127.0.0.1, port = " + port).run().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo("connect 127.0.0.1:" + port + " refused");
      assertThat(r.measurements()).isEmpty();
      ctx.completeNow();
    })));
  }

  @Test
  void aServerThatNeverHandshakesIsCriticalAtTheTimeout(VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    probe("host = 127.0.0.1, port = " + hung.port(), Duration.ofSeconds(1)).run()
        .compose(r -> Future.fromCompletionStage(hung.peerClosed()).timeout(5, TimeUnit.SECONDS).map(r))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).isEqualTo("127.0.0.1:" + hung.port() + ": no TLS connection within 1s");
          assertThat(r.latency()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
          hung.close();
          ctx.completeNow();
        })));
  }

  // ---- certificate files --------------------------------------------------------------------------

  @Test
  void aFileOfSeveralCertificatesReportsTheEarliestToExpire(VertxTestContext ctx) throws Exception {
    // nginx-style: the certificate first; a private key block in between must not stop the reading.
    Path file = pki.concat("fullchain.pem", certs.get("days90").certPem(), certs.get("days90").keyPem(),
        certs.get("days20").certPem());
    X509Certificate earliest = read(certs.get("days20").certPem());
    probe("file = \"" + file + "\", ca = \"" + pki.caPem() + "\"").run()
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(r.message()).isEqualTo(file + " certificate CN=medic.test (2 of 2 in the file) expires in 20 days ("
              + DATE.format(earliest.getNotAfter().toInstant()) + "), issued by CN=medic test CA; chain trusted");
          assertThat(r.measurements().get("expires-at").value())
              .isEqualTo(earliest.getNotAfter().toInstant().getEpochSecond());
          assertThat(r.measurements().get("days-left").value()).isCloseTo(20 + 1 / 24.0, within(0.01));
          ctx.completeNow();
        })));
  }

  @Test
  void aFileChecksTheNameOnlyWhenGivenOne(VertxTestContext ctx) {
    String file = "file = \"" + certs.get("other").certPem() + "\", ca = \"" + pki.caPem() + "\"";
    Future.all(probe(file + ", server-name = medic.test").run(), probe(file + ", server-name = a.other.test").run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult wrong = all.resultAt(0);
          ProbeResult right = all.resultAt(1);
          assertThat(wrong.status()).isEqualTo(Status.CRITICAL);
          assertThat(wrong.message()).endsWith("hostname mismatch: medic.test is not among the certificate's names"
              + " (other.test, *.other.test)");
          assertThat(right.status()).as(right.message()).isEqualTo(Status.OK);
          ctx.completeNow();
        })));
  }

  @Test
  void aMissingOrEmptyFileIsCriticalAndAMissingCaFileUnknown(VertxTestContext ctx) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.pem"), "# nothing here\n");
    Path missing = dir.resolve("missing.pem");
    Future.all(probe("file = \"" + missing + "\"").run(), probe("file = \"" + empty + "\"").run(),
            probe("file = \"" + certs.get("days90").certPem() + "\", ca = \"" + missing + "\"").run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult gone = all.resultAt(0);
          ProbeResult nothing = all.resultAt(1);
          ProbeResult noCa = all.resultAt(2);
          assertThat(gone.status()).isEqualTo(Status.CRITICAL);
          assertThat(gone.message()).isEqualTo(missing + " does not exist (expected a PEM file of certificates)");
          assertThat(nothing.status()).isEqualTo(Status.CRITICAL);
          assertThat(nothing.message()).isEqualTo(
              empty + " holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)");
          assertThat(noCa.status()).isEqualTo(Status.UNKNOWN);
          assertThat(noCa.message()).isEqualTo(certs.get("days90").certPem() + ": ca " + missing
              + " does not exist (expected a PEM file of CA certificates)");
          ctx.completeNow();
        })));
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ProbeType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("tls"))
        .singleElement()
        .isInstanceOf(TlsProbeType.class);
  }

  @Test
  void daysLeftIsAMeasurementWhereLowerIsWorse() {
    assertThat(new TlsProbeType().measurements())
        .containsEntry("days-left", MeasurementSpec.lowerIsWorse(Unit.DAYS))
        .containsKey("expires-at");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      host = mail.example.org, port = 25, server-name = mx.example.org, starttls = smtp, trust = system, ca = "/etc/ssl/ca.pem"
      file = "/etc/nginx/fullchain.pem", server-name = www.example.org, trust = any
      host = "[::1]"
      """)
  void everyKeyIsUnderstood(String hocon) throws Exception {
    Settings s = TestSettings.of(hocon);
    new TlsProbeType().create(s, context(null, TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      port = 443                                    | medic.checks.test.host        | missing (a value is required: host for a live server, or file for a PEM file)
      host = ""                                     | medic.checks.test.host        | is empty
      host = example.org, file = "/x.pem"           | medic.checks.test.file        | cannot be used together with host
      file = "/x.pem", port = 443                   | medic.checks.test.port        | has no effect with file
      file = "/x.pem", starttls = smtp              | medic.checks.test.starttls    | has no effect with file
      host = example.org, port = 0                  | medic.checks.test.port        | 0 is out of range (expected 1 to 65535)
      host = example.org, starttls = imap           | medic.checks.test.starttls    | "imap" is not allowed (expected one of: smtp)
      host = example.org, server-name = "a b"       | medic.checks.test.server-name | "a b" is not a host name
      host = example.org, trust = maybe             | medic.checks.test.trust       | "maybe" is not allowed (expected one of: system, any)
      host = example.org, trust = any, ca = "/x"    | medic.checks.test.ca          | has no effect with trust = any
      host = example.org, sever-name = example.org  | medic.checks.test.sever-name  | unknown key (did you mean "server-name"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new TlsProbeType().create(s, context(null, TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static String live(String server) {
    return "host = 127.0.0.1, port = " + ports.get(server);
  }

  private static Probe probe(String hocon) {
    return probe(hocon, TIMEOUT);
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(String hocon, Duration timeout) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new TlsProbeType().create(s, context(vertx, timeout));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> { });
  }

  private static X509Certificate read(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
