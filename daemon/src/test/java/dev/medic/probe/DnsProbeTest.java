package dev.medic.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.DnsResponder;
import dev.medic.testing.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class DnsProbeTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static Vertx vertx;
  private static DnsResponder dns;

  @BeforeAll
  static void startResponder() {
    vertx = Vertx.vertx();
    dns = DnsResponder.with()
        .a("www.medic.test", "192.0.2.10", "192.0.2.11")
        .aaaa("www.medic.test", "2001:db8::10")
        .cname("alias.medic.test", "www.medic.test")
        .mx("medic.test", 10, "mx1.medic.test")
        .mx("medic.test", 20, "mx2.medic.test")
        .txt("medic.test", "v=spf1 -all")
        .txt("_dmarc.medic.test", "v=DMARC1; p=reject")
        .a("mx1.medic.test", "192.0.2.25")
        .start(vertx).await();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  // ---- each record type against the responder ---------------------------------------------------

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', textBlock = """
      www.medic.test    | A     | 192.0.2.10, 192.0.2.11                  | 2 | 192.0.2.11
      www.medic.test    | AAAA  | 2001:db8::10                            | 1 | 2001:0db8:0:0:0:0:0:10
      alias.medic.test  | CNAME | www.medic.test                          | 1 | WWW.medic.test.
      medic.test        | MX    | 10 mx1.medic.test, 20 mx2.medic.test    | 2 | mx2.medic.test
      _dmarc.medic.test | TXT   | "v=DMARC1; p=reject"                    | 1 | v=DMARC1; p=reject
      """)
  void everyRecordTypeIsAnsweredAndCompared(String name, String record, String shown, int count, String expected,
      VertxTestContext ctx) {
    probe("name = \"" + name + "\", record = " + record + ", expect = [\"" + expected + "\"]").run()
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(r.message()).startsWith(name + " " + record + " at 127.0.0.1:" + dns.port() + " in ")
              .endsWith(": " + shown);
          assertThat(r.measurements().get("answers").value()).isEqualTo(count);
          assertThat(r.latency()).isNotNull().isLessThan(TIMEOUT);
          ctx.completeNow();
        })));
  }

  @Test
  void anAliasIsFollowedToTheAddresses(VertxTestContext ctx) {
    probe("name = alias.medic.test, expect = [192.0.2.10]").run()
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertThat(r.status()).as(r.message()).isEqualTo(Status.OK);
          assertThat(r.message()).startsWith("alias.medic.test A at 127.0.0.1:" + dns.port() + " via CNAME www.medic.test in ")
              .endsWith(": 192.0.2.10, 192.0.2.11");
          ctx.completeNow();
        })));
  }

  @Test
  void aMissingExpectedValueIsCriticalAndNamesWhatCame(VertxTestContext ctx) {
    Future.all(
            probe("name = www.medic.test, expect = [192.0.2.10, 192.0.2.99]").run(),
            probe("name = medic.test, record = MX, expect = [mx3.medic.test]").run(),
            probe("name = medic.test, record = TXT, expect = [\"v=spf1 mx -all\"]").run())
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          ProbeResult a = all.resultAt(0);
          ProbeResult mx = all.resultAt(1);
          ProbeResult txt = all.resultAt(2);
          String at = " at 127.0.0.1:" + dns.port();
          assertThat(a.status()).isEqualTo(Status.CRITICAL);
          assertThat(a.message()).isEqualTo("www.medic.test A" + at + ": missing 192.0.2.99 (got 192.0.2.10, 192.0.2.11)");
          assertThat(a.measurements().get("answers").value()).isEqualTo(2);
          assertThat(mx.status()).isEqualTo(Status.CRITICAL);
          assertThat(mx.message()).isEqualTo(
              "medic.test MX" + at + ": missing mx3.medic.test (got 10 mx1.medic.test, 20 mx2.medic.test)");
          assertThat(txt.status()).isEqualTo(Status.CRITICAL);
          assertThat(txt.message()).isEqualTo(
              "medic.test TXT" + at + ": missing \"v=spf1 mx -all\" (got \"v=spf1 -all\")");
          ctx.completeNow();
        })));
  }

  @Test
  void unknownNameIsNxdomainAndCritical(VertxTestContext ctx) {
    probe("name = nowhere.medic.test").run().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo(
          "nowhere.medic.test A at 127.0.0.1:" + dns.port() + ": NXDOMAIN (the name does not exist)");
      assertThat(r.measurements().get("answers").value()).isZero();
      ctx.completeNow();
    })));
  }

  @Test
  void aNameWithoutRecordsOfTheTypeIsCritical(VertxTestContext ctx) {
    probe("name = www.medic.test, record = MX").run().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertThat(r.status()).isEqualTo(Status.CRITICAL);
      assertThat(r.message()).isEqualTo(
          "www.medic.test MX at 127.0.0.1:" + dns.port() + ": no MX record (the name exists)");
      assertThat(r.measurements().get("answers").value()).isZero();
      ctx.completeNow();
    })));
  }

  @Test
  void aServerThatNeverAnswersIsCriticalAtTheTimeout(VertxTestContext ctx) {
    DatagramSocket silent = DnsResponder.silent(vertx).await();
    int port = silent.localAddress().port();
    long start = System.nanoTime();
    probe("name = www.medic.test, server = 127.0.0.1, port = " + port, Duration.ofMillis(700)).run()
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          Duration took = Duration.ofNanos(System.nanoTime() - start);
          assertThat(r.status()).isEqualTo(Status.CRITICAL);
          assertThat(r.message()).isEqualTo("www.medic.test A at 127.0.0.1:" + port + ": no answer within 700ms");
          assertThat(r.measurements()).doesNotContainKey("answers");
          assertThat(took).isBetween(Duration.ofMillis(600), Duration.ofSeconds(3));
          silent.close();
          ctx.completeNow();
        })));
  }

  @Test
  void closeReleasesTheClient(VertxTestContext ctx) {
    Probe probe = probe("name = www.medic.test");
    probe.run().compose(r -> probe.close()).onComplete(ctx.succeedingThenComplete());
  }

  // ---- the default server -----------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
      nameserver 127.0.0.53                                           | 127.0.0.53
      # a comment / nameserver 10.0.0.2 / nameserver 10.0.0.3          | 10.0.0.2
      search example.org / nameserver   192.0.2.1   # trailing         | 192.0.2.1
      nameserver dns.example.org / nameserver 192.0.2.2               | 192.0.2.2
      nameserver fe80::1%eth0                                         | fe80::1
      ; nameserver 192.0.2.9 / #nameserver 192.0.2.8 / options edns0  | none
      search example.org                                              | none
      """)
  void firstNameserverOfResolvConf(String text, String expected) {
    assertThat(DnsProbe.firstNameserver(Arrays.asList(text.split("/"))))
        .isEqualTo(Optional.ofNullable(expected));
  }

  // ---- configuration ----------------------------------------------------------------------------

  @Test
  void isFoundByItsTypeName() {
    assertThat(ServiceLoader.load(ProbeType.class).stream().map(ServiceLoader.Provider::get))
        .filteredOn(t -> t.type().equals("dns"))
        .singleElement()
        .isInstanceOf(DnsProbeType.class);
  }

  @Test
  void everyKeyIsUnderstood() throws Exception {
    Settings s = TestSettings.of(
        "name = example.org, record = aaaa, server = \"::1\", port = 5353, expect = [\"2001:db8::1\"]");
    new DnsProbeType().create(s, context(null, TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      record = A                                   | medic.checks.test.name   | missing (a value is required)
      name = ""                                    | medic.checks.test.name   | is empty
      name = "exa mple.org"                        | medic.checks.test.name   | "exa mple.org" is not a domain name
      name = example.org, record = SRV             | medic.checks.test.record | "SRV" is not allowed (expected one of: A, AAAA, CNAME, MX, TXT)
      name = example.org, server = dns.google      | medic.checks.test.server | "dns.google" is not an IP address
      name = example.org, port = 0                 | medic.checks.test.port   | 0 is out of range (expected 1 to 65535)
      name = example.org, expect = [example.net]   | medic.checks.test.expect | "example.net" is not an IPv4 address (expected values of A records)
      name = example.org, record = AAAA, expect = [192.0.2.1] | medic.checks.test.expect | is not an IPv6 address
      name = example.org, record = MX, expect = ["10 mx.example.org"] | medic.checks.test.expect | "10 mx.example.org" is not a host name
      name = example.org, expect = []              | medic.checks.test.expect | is empty
      name = example.org, exepct = [192.0.2.1]     | medic.checks.test.exepct | unknown key (did you mean "expect"?)
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new DnsProbeType().create(s, context(null, TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static Probe probe(String hocon) {
    return probe("server = 127.0.0.1, port = " + dns.port() + ", " + hocon, TIMEOUT);
  }

  /** A probe from settings that must be valid: a typo in a test fails here, not as a false pass. */
  private static Probe probe(String hocon, Duration timeout) {
    Settings s = TestSettings.of(hocon);
    Probe probe = new DnsProbeType().create(s, context(vertx, timeout));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return probe;
  }

  private static ProbeContext context(Vertx vertx, Duration timeout) {
    return new ProbeContext(vertx, "test", timeout, () -> { });
  }
}
