package dev.medic.notify;

import static dev.medic.testing.TestEvents.critical;
import static dev.medic.testing.TestEvents.resolved;
import static dev.medic.testing.TestEvents.warning;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.medic.config.ConfigProblem;
import dev.medic.config.Settings;
import dev.medic.testing.HungServer;
import dev.medic.testing.TestCertificate;
import dev.medic.testing.TestEvents;
import dev.medic.testing.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import jakarta.mail.BodyPart;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * Against real SMTP servers on 127.0.0.1: GreenMail for plain SMTP with AUTH and for SMTPS with its
 * own self-signed certificate; GreenMail offers no STARTTLS, which is how {@code starttls =
 * required} is shown to refuse a server that cannot upgrade. SubEthaSMTP, which requires STARTTLS
 * (with a certificate minted here) before AUTH and MAIL, shows the upgrade itself.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class EmailChannelTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final String PASSWORD = "pa55-w0rd-x";

  @TempDir
  static Path tempDir;

  private static GreenMail greenMail;
  /** Offers AUTH and accepts MAIL only after STARTTLS. */
  private static SMTPServer starttlsServer;
  /** What {@link #starttlsServer} accepted: the recipient, and whether the sender had authenticated. */
  private static final List<String> starttlsReceived = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startSmtp() throws Exception {
    greenMail = new GreenMail(new ServerSetup[] {
        new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
        new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS)});
    greenMail.start();
    greenMail.setUser("medic@example.org", "medic", PASSWORD);

    starttlsServer = SMTPServer.port(0)
        .bindAddress(InetAddress.getLoopbackAddress())
        .enableTLS()
        .requireTLS()
        .startTlsSocketFactory(sslContext(TestCertificate.mint(tempDir)))
        .requireAuth()
        .authenticationHandlerFactory(new EasyAuthenticationHandlerFactory((user, password, context) -> {
          if (!user.equals("medic") || !password.equals(PASSWORD)) {
            throw new LoginFailedException();
          }
        }))
        .messageHandler((context, from, to, data) ->
            starttlsReceived.add(to + " authenticated=" + context.getAuthenticationHandler().isPresent()))
        .build();
    starttlsServer.start();
  }

  @AfterAll
  static void stopSmtp() {
    greenMail.stop();
    starttlsServer.stop();
  }

  @BeforeEach
  void emptyMailboxes() throws Exception {
    greenMail.purgeEmailFromAllMailboxes();
    starttlsReceived.clear();
  }

  @Test
  void sendsOneMailWithTextAndHtmlParts(Vertx vertx, VertxTestContext ctx) {
    List<Event> batch = List.of(critical("e1", "app"), warning("e2", "disk"), resolved("e3", "db"));
    channel(vertx, smtp() + "\nto = [\"ops@example.org\", \"Dev Team <dev@example.org>\"]").send(batch)
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          MimeMessage[] received = greenMail.getReceivedMessages();
          // One message, delivered to two mailboxes.
          assertThat(received).hasSize(2);
          MimeMessage m = received[0];
          assertThat(m.getSubject()).isEqualTo("[medic] 3 events: 1 critical, 1 warning, 1 resolved");
          assertThat(((InternetAddress) m.getFrom()[0]).getAddress()).isEqualTo("medic@example.org");
          assertThat(Arrays.stream(m.getRecipients(RecipientType.TO)).map(a -> ((InternetAddress) a).getAddress()))
              .containsExactly("ops@example.org", "dev@example.org");
          assertThat(m.getHeader("X-Medic-Event-Ids")).containsExactly("e1,e2,e3");

          // SMTP carries lines ending in CRLF.
          String text = part(m, "text/plain").replace("\r\n", "\n");
          assertThat(text).startsWith("3 events: 1 critical, 1 warning, 1 resolved\n\n"
              + "CRITICAL app: connect 127.0.0.1:3000 refused\n"
              + "  severity:     critical\n"
              + "  check:        app\n"
              + "  status:       critical (was ok)\n"
              + "  message:      connect 127.0.0.1:3000 refused\n"
              + "  instance:     web-1\n"
              + "  time:         2025-03-01T12:00:00Z\n"
              + "  measurements:\n"
              + "    latency     2.5s\n"
              + "  event id:     e1\n\n");
          assertThat(text).contains("OK db: ", "  status:       ok (was critical)\n", "WARNING disk: ");

          String html = part(m, "text/html");
          assertThat(html).contains("<h2>3 events: 1 critical, 1 warning, 1 resolved</h2>",
              "border-left:6px solid #d00000", "border-left:6px solid #2eb886",
              "<h3 style=\"margin:4px 0\">CRITICAL app: connect 127.0.0.1:3000 refused</h3>",
              "<th style=\"text-align:left;padding-right:12px;vertical-align:top\">check</th><td>app</td>",
              "latency: 2.5s");
          ctx.completeNow();
        })));
  }

  @Test
  void oneEventIsTheSubject(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, smtp()).send(List.of(critical("e1", "app")))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(greenMail.getReceivedMessages()).singleElement().satisfies(m ->
              assertThat(m.getSubject()).isEqualTo("[medic] CRITICAL app: connect 127.0.0.1:3000 refused"));
          ctx.completeNow();
        })));
  }

  @Test
  void subjectAndBodyArePureFunctionsOfTheBatch() {
    assertThat(EmailChannel.subject("[prod]", List.of(critical("e1", "app")))).isEqualTo(
        "[prod] CRITICAL app: connect 127.0.0.1:3000 refused");
    assertThat(EmailChannel.subject("", List.of(critical("e1", "app"), resolved("e2", "app")))).isEqualTo(
        "2 events: 1 critical, 1 resolved");
    Event hostile = new Event("e1", "state", "app", "critical", "critical", "ok", "got <script>alert(1)</script>",
        "CRITICAL app: got <script>\r\nBcc: victim@example.org", "web-1", TestEvents.AT, new JsonObject());
    // A subject is one line: a title cannot add a header.
    assertThat(EmailChannel.subject("[medic]", List.of(hostile)))
        .isEqualTo("[medic] CRITICAL app: got <script> Bcc: victim@example.org");
    assertThat(EmailChannel.html(List.of(hostile))).doesNotContain("<script>").contains("&lt;script&gt;alert(1)");
  }

  @Test
  void authenticatesWithUsernameAndPassword(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, smtp("username = medic, password = \"" + PASSWORD + "\"")).send(List.of(critical("e1", "app")))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(greenMail.getReceivedMessages()).hasSize(1);
          ctx.completeNow();
        })));
  }

  @Test
  void aWrongPasswordIsNotDeliveredAndNotShown(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, smtp("username = medic, password = \"wr0ng-s3cret\"")).send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).startsWith("SMTP 127.0.0.1:" + smtpPort() + " → server answered 535 5.7.8")
              .doesNotContain("wr0ng-s3cret");
          assertThat(greenMail.getReceivedMessages()).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void smtpsWithTrustAnyIsDelivered(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, smtps("trust = any, username = medic, password = \"" + PASSWORD + "\""))
        .send(List.of(critical("e1", "app")))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(greenMail.getReceivedMessages()).hasSize(1);
          ctx.completeNow();
        })));
  }

  @Test
  void smtpsWithAnUntrustedCertificateIsNotDelivered(Vertx vertx, VertxTestContext ctx) {
    // GreenMail's certificate is self-signed: the system trust store does not know it.
    channel(vertx, smtps("trust = system")).send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).isEqualTo("SMTP 127.0.0.1:" + greenMail.getSmtps().getPort()
              + " → TLS handshake with 127.0.0.1:" + greenMail.getSmtps().getPort() + " failed: certificate not trusted"
              + " (no path to a trusted CA)");
          assertThat(greenMail.getReceivedMessages()).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void starttlsRequiredRefusesAServerThatCannotUpgrade(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, smtp("starttls = required, username = medic, password = \"" + PASSWORD + "\""))
        .send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).isEqualTo("SMTP 127.0.0.1:" + smtpPort()
              + " → STARTTLS required but not supported by server");
          assertThat(greenMail.getReceivedMessages()).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void starttlsUpgradesBeforeAuthenticating(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, starttls("starttls = required, trust = any, username = medic, password = \"" + PASSWORD + "\""))
        .send(List.of(critical("e1", "app")))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          // The server takes AUTH and MAIL only on a connection upgraded by STARTTLS.
          assertThat(starttlsReceived).containsExactly("ops@example.org authenticated=true");
          ctx.completeNow();
        })));
  }

  @Test
  void starttlsChecksTheCertificateAgainstTheTrust(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, starttls("starttls = required, username = medic, password = \"" + PASSWORD + "\""))
        .send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).isEqualTo("SMTP 127.0.0.1:" + starttlsServer.getPortAllocated()
              + " → TLS handshake with 127.0.0.1:" + starttlsServer.getPortAllocated()
              + " failed: certificate not trusted (no path to a trusted CA)");
          assertThat(starttlsReceived).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void aServerThatDemandsStarttlsRefusesAClearConnection(Vertx vertx, VertxTestContext ctx) {
    channel(vertx, starttls("starttls = disabled")).send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).startsWith("SMTP 127.0.0.1:" + starttlsServer.getPortAllocated()
              + " → server answered 530");
          assertThat(starttlsReceived).isEmpty();
          ctx.completeNow();
        })));
  }

  @Test
  void aRefusedConnectionIsNotDelivered(Vertx vertx, VertxTestContext ctx) throws Exception {
    int closed = HungServer.freePort();
    channel(vertx, "smtp { host = \"127.0.0.1\", port = " + closed + " }\n" + FROM_TO)
        .send(List.of(critical("e1", "app")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e.getMessage()).isEqualTo("SMTP 127.0.0.1:" + closed + " → connect 127.0.0.1:" + closed + " refused");
          ctx.completeNow();
        })));
  }

  @Test
  void aServerThatNeverGreetsFailsAtTheTimeout(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    Settings s = TestSettings.of("smtp { host = \"127.0.0.1\", port = " + hung.port() + " }\n" + FROM_TO);
    Channel channel = new EmailChannelType().create(s, new ChannelContext(vertx, "mail", Duration.ofSeconds(1)));
    long start = System.nanoTime();
    channel.send(List.of(critical("e1", "app"))).onComplete(ctx.failing(e -> ctx.verify(() -> {
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(e.getMessage()).isEqualTo("SMTP 127.0.0.1:" + hung.port() + " → not sent within 1s");
      assertThat(ms).isBetween(900L, 15_000L);
      channel.close();
      hung.close();
      ctx.completeNow();
    })));
  }

  @Test
  void creatingAChannelConnectsNowhere(Vertx vertx, VertxTestContext ctx) throws Exception {
    HungServer hung = HungServer.start();
    new EmailChannelType().create(TestSettings.of("smtp { host = \"127.0.0.1\", port = " + hung.port() + " }\n"
        + FROM_TO), new ChannelContext(vertx, "mail", TIMEOUT));
    vertx.setTimer(300, id -> ctx.verify(() -> {
      assertThat(hung.accepted()).isZero();
      hung.close();
      ctx.completeNow();
    }));
  }

  @Test
  void foundByItsTypeName() {
    assertThat(ChannelTypes.discover().find("email")).get().isInstanceOf(EmailChannelType.class);
    assertThat(ChannelTypes.discover().names()).containsExactly("alertmanager", "email", "slack", "webhook");
  }

  // ---- configuration ---------------------------------------------------------------------------

  @Test
  void everyKeyIsAccepted() throws Exception {
    Settings s = TestSettings.of("""
        smtp { host = "smtp.example.org", port = 587, starttls = required, ssl = false,
               username = medic, password = "x", trust = any }
        from = "Medic <medic@example.org>"
        to = ["ops@example.org"]
        subject-prefix = "[prod]"
        """);
    new EmailChannelType().create(s, new ChannelContext(null, "mail", TIMEOUT));
    TestSettings.assertValid(s);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      from = "m@x.org", to = ["o@x.org"]                                      | medic.checks.test.smtp.host     | missing (a value is required)
      smtp.host = h, to = ["o@x.org"]                                         | medic.checks.test.from          | missing (a value is required)
      smtp.host = h, from = "m@x.org"                                         | medic.checks.test.to            | missing (a value is required
      smtp.host = h, from = "m@x.org", to = []                                | medic.checks.test.to            | is empty (expected at least one address)
      smtp.host = h, from = "m@x.org", to = ["ops"]                           | medic.checks.test.to            | "ops" is not an email address
      smtp.host = h, from = "medic", to = ["o@x.org"]                         | medic.checks.test.from          | "medic" is not an email address
      smtp { host = h, starttls = always }, from = "m@x.org", to = ["o@x.org"] | medic.checks.test.smtp.starttls | "always" is not allowed (expected one of: disabled, optional, required)
      smtp { host = h, port = 0 }, from = "m@x.org", to = ["o@x.org"]         | medic.checks.test.smtp.port     | 0 is out of range (expected 1 to 65535)
      smtp { host = h, ssl = maybe }, from = "m@x.org", to = ["o@x.org"]      | medic.checks.test.smtp.ssl      | "maybe" is not a boolean
      smtp { host = h, ssl = true, starttls = required }, from = "m@x.org", to = ["o@x.org"] | medic.checks.test.smtp.starttls | has no effect with ssl = true
      smtp { host = h, password = s3cret }, from = "m@x.org", to = ["o@x.org"] | medic.checks.test.smtp.password | is set without smtp.username
      smtp { host = h, username = u }, from = "m@x.org", to = ["o@x.org"]     | medic.checks.test.smtp.username | is set without smtp.password
      smtp { host = h, trust = none }, from = "m@x.org", to = ["o@x.org"]     | medic.checks.test.smtp.trust    | "none" is not allowed (expected one of: system, any)
      smtp { host = h, tls = true }, from = "m@x.org", to = ["o@x.org"]       | medic.checks.test.smtp.tls      | unknown key
      smtp.host = h, from = "m@x.org", to = ["o@x.org"], subject = x          | medic.checks.test.subject       | unknown key
      """)
  void invalidConfigurationNamesTheKey(String hocon, String path, String message) {
    Settings s = TestSettings.of(hocon);
    new EmailChannelType().create(s, new ChannelContext(null, "mail", TIMEOUT));
    s.reportUnknownKeys();
    List<ConfigProblem> problems = s.problems().sorted();
    assertThat(problems).anySatisfy(p -> {
      assertThat(p.path()).isEqualTo(path);
      assertThat(p.message()).contains(message);
    });
    assertThat(problems).allSatisfy(p -> assertThat(p.toString()).doesNotContain("s3cret"));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static final String FROM_TO = "from = \"medic@example.org\"\nto = [\"ops@example.org\"]";

  private static int smtpPort() {
    return greenMail.getSmtp().getPort();
  }

  private static String smtp(String... extra) {
    return "smtp { host = \"127.0.0.1\", port = " + smtpPort() + ", starttls = optional"
        + (extra.length == 0 ? "" : ", " + String.join(", ", extra)) + " }\n" + FROM_TO;
  }

  private static String smtps(String extra) {
    return "smtp { host = \"127.0.0.1\", port = " + greenMail.getSmtps().getPort() + ", ssl = true, " + extra + " }\n"
        + FROM_TO;
  }

  private static String starttls(String extra) {
    return "smtp { host = \"127.0.0.1\", port = " + starttlsServer.getPortAllocated() + ", " + extra + " }\n" + FROM_TO;
  }

  /** A server-side TLS context holding the minted certificate and its key. */
  private static SSLContext sslContext(TestCertificate cert) throws Exception {
    Certificate certificate;
    try (InputStream in = Files.newInputStream(cert.certPem())) {
      certificate = CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    String pem = Files.readString(cert.keyPem()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("medic-test", key, new char[0], new Certificate[] {certificate});
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }

  /** A channel from settings that must be valid; a later {@code to} overrides the default one. */
  private static Channel channel(Vertx vertx, String hocon) {
    Settings s = TestSettings.of(hocon);
    Channel channel = new EmailChannelType().create(s, new ChannelContext(vertx, "mail", TIMEOUT));
    s.reportUnknownKeys();
    assertThat(s.problems().sorted()).isEmpty();
    return channel;
  }

  /** The first part of {@code type} in a message, however deeply nested. */
  private static String part(Part p, String type) throws Exception {
    if (p.isMimeType(type)) {
      return (String) p.getContent();
    }
    if (p.getContent() instanceof Multipart multipart) {
      for (int i = 0; i < multipart.getCount(); i++) {
        BodyPart child = multipart.getBodyPart(i);
        String found = part(child, type);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }
}
