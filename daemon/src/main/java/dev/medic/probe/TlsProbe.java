package dev.medic.probe;

import dev.medic.probe.CertificateVerifier.Findings;
import io.netty.util.NetUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Reads a certificate chain — from a live server (directly or after SMTP STARTTLS) or from a PEM
 * file — and reports when its earliest certificate expires, whether the chain leads to a trusted
 * CA and whether it is for the expected host name.
 *
 * <p>The handshake itself trusts any certificate, so that the chain can always be read, even when
 * it is expired, self-signed or for another name; the probe then verifies it itself
 * ({@link CertificateVerifier}) off the event loop, together with reading files. An expired or not
 * yet valid certificate, an untrusted chain or a host name mismatch makes the result critical,
 * unless {@code trust = any}, where they are only mentioned. How many days are left is for the
 * check's thresholds ({@code days-left}) to judge.
 *
 * <p>Every outcome of the target is a result, never a failed future. The probe keeps its own
 * deadline for a live server ({@link ProbeContext#timeout()}) and closes the socket at the end of
 * every run. Its {@link NetClient} is made on the first run.
 */
public final class TlsProbe implements Probe {

  /** More than any certificate bundle; a wrong path (a log, a device) is not read whole. */
  static final int MAX_FILE = 1024 * 1024;

  private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private NetClient client;
  /** The JDK's trust anchors, read once (a file) on the first run that needs them. */
  private volatile Set<TrustAnchor> systemAnchors;

  TlsProbe(Config config, ProbeContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  /**
   * One tls check, validated: either {@code target} or {@code file} is present, unless the
   * configuration was invalid (then neither, and the probe reports {@code unknown}).
   *
   * @param serverName the name the certificate must be for (and, for a live server, the SNI
   *     name); empty for a file without {@code server-name}: no name is checked
   * @param trustAny expiry, trust and name problems are mentioned, not critical
   * @param ca a PEM file of CAs trusted instead of the system trust store
   */
  record Config(Optional<Target> target, Optional<Path> file, Optional<String> serverName, boolean trustAny,
      Optional<Path> ca) {}

  /** A live server; {@code starttlsSmtp}: connect in plain text and ask for TLS with SMTP STARTTLS. */
  record Target(String host, int port, boolean starttlsSmtp) {

    String hostPort() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  @Override
  public Future<ProbeResult> run() {
    if (config.file().isPresent()) {
      return vertx.executeBlocking(() -> fromFile(config.file().get()), false);
    }
    if (config.target().isEmpty()) {
      return Future.succeededFuture(ProbeResult.unknown("host or file is not valid (run medic check for the cause)"));
    }
    // Timer, connect and socket callbacks on one context: the run's state needs no locking.
    Context context = vertx.getOrCreateContext();
    if (Vertx.currentContext() == context) {
      return guarded(config.target().get());
    }
    Promise<ProbeResult> result = Promise.promise();
    context.runOnContext(v -> guarded(config.target().get()).onComplete(result));
    return result.future();
  }

  /** A bug in this probe is a failed future for the scheduler to report, never a lost promise. */
  private Future<ProbeResult> guarded(Target target) {
    try {
      return live(target);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public synchronized Future<Void> close() {
    NetClient c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  // ---- a live server --------------------------------------------------------------------------

  /** The state of one run, touched only on its context. */
  private static final class Run {
    NetSocket socket;
    SmtpConversation smtp;
    boolean handshaken;
  }

  private Future<ProbeResult> live(Target target) {
    String hostPort = target.hostPort();
    long start = System.nanoTime();
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ProbeResult> result = Promise.promise();
    Run run = new Run();

    long timer = vertx.setTimer(timeoutMs, id -> result.tryComplete(critical(timedOut(run, hostPort), start)));

    ConnectOptions connect = new ConnectOptions()
        .setHost(target.host())
        .setPort(target.port())
        .setTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs));
    if (!target.starttlsSmtp()) {
      connect.setSsl(true).setSslOptions(sslOptions());
      sni().ifPresent(connect::setSniServerName);
    }

    client().connect(connect)
        .compose(socket -> {
          if (result.future().isComplete()) {
            // The deadline has passed and closed nothing, since there was no socket yet.
            socket.close();
            return Future.failedFuture("connected after the deadline");
          }
          run.socket = socket;
          if (!target.starttlsSmtp()) {
            return Future.<Void>succeededFuture();
          }
          run.smtp = new SmtpConversation(socket, hostPort);
          return run.smtp.greeting()
              .compose(banner -> run.smtp.ehlo("medic"))
              .compose(ehlo -> run.smtp.startTls(ehlo, sslOptions(), sni()));
        })
        .compose(v -> {
          run.handshaken = true;
          Duration latency = NetText.since(start);
          List<X509Certificate> chain = presented(run.socket);
          String subject = hostPort + describeTarget(target);
          return vertx.executeBlocking(() -> judge(subject, "in the chain", chain).withLatency(latency), false);
        })
        .onComplete(ar -> result.tryComplete(ar.succeeded() ? ar.result() : critical(failure(ar.cause(), hostPort), start)));

    return result.future().andThen(done -> {
      vertx.cancelTimer(timer);
      if (run.socket != null) {
        run.socket.close();
      }
    });
  }

  /** {@code  (STARTTLS, SNI www.example.org)}: what the host and port alone do not say. */
  private String describeTarget(Target target) {
    List<String> notes = new ArrayList<>();
    if (target.starttlsSmtp()) {
      notes.add("STARTTLS");
    }
    config.serverName().filter(n -> !n.equalsIgnoreCase(target.host())).ifPresent(n -> notes.add("SNI " + n));
    return notes.isEmpty() ? "" : " (" + String.join(", ", notes) + ")";
  }

  /** SNI is a host name; an IP address is not sent (RFC 6066 3). */
  private Optional<String> sni() {
    return config.serverName().filter(n -> !NetUtil.isValidIpV4Address(n) && !NetUtil.isValidIpV6Address(n));
  }

  /** Trust anything in the handshake: the chain is verified afterwards, and must be readable when bad. */
  private ClientSSLOptions sslOptions() {
    return new ClientSSLOptions()
        .setTrustAll(true)
        .setHostnameVerificationAlgorithm("")
        .setSslHandshakeTimeout(Math.max(1, timeout.toMillis()))
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  private static List<X509Certificate> presented(NetSocket socket) {
    List<Certificate> peer;
    try {
      peer = socket.peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      peer = null;
    }
    List<X509Certificate> chain = new ArrayList<>();
    if (peer != null) {
      for (Certificate c : peer) {
        if (c instanceof X509Certificate x) {
          chain.add(x);
        }
      }
    }
    if (chain.isEmpty()) {
      throw new SmtpConversation.Refused("the server presented no X.509 certificate");
    }
    return chain;
  }

  private String timedOut(Run run, String hostPort) {
    String within = " within " + NetText.duration(timeout);
    if (run.handshaken) {
      return hostPort + ": certificate verification not complete" + within;
    }
    if (run.smtp != null) {
      return hostPort + ": no " + run.smtp.awaiting().replaceFirst("^(the|a) ", "") + within;
    }
    if (run.socket == null && config.target().map(Target::starttlsSmtp).orElse(false)) {
      return "connect " + hostPort + ": no connection" + within;
    }
    return hostPort + ": no TLS connection" + within;
  }

  private String failure(Throwable cause, String hostPort) {
    if (cause instanceof SmtpConversation.Refused r) {
      return r.getMessage().startsWith(hostPort) ? r.getMessage() : hostPort + ": " + r.getMessage();
    }
    if (cause instanceof SmtpConversation.Closed) {
      return cause.getMessage();
    }
    return NetText.failure(cause, hostPort, timeout);
  }

  private static ProbeResult critical(String message, long startNanos) {
    return ProbeResult.critical(message).withLatency(NetText.since(startNanos));
  }

  private synchronized NetClient client() {
    if (client == null) {
      client = vertx.createNetClient(new NetClientOptions()
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()))));
    }
    return client;
  }

  // ---- a file ---------------------------------------------------------------------------------

  /** Runs on a worker thread. A missing or unreadable file is critical: the certificate it should hold is gone. */
  private ProbeResult fromFile(Path file) {
    long start = System.nanoTime();
    String shown = file.toString();
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE + 1);
    } catch (NoSuchFileException e) {
      return critical(shown + " does not exist (expected a PEM file of certificates)", start);
    } catch (AccessDeniedException e) {
      return critical(shown + " cannot be read: permission denied", start);
    } catch (IOException e) {
      return critical(shown + " cannot be read: " + e.getMessage(), start);
    }
    if (bytes.length > MAX_FILE) {
      return critical(shown + " is larger than " + MAX_FILE / 1024 + " KiB (expected a PEM file of certificates)", start);
    }
    List<X509Certificate> chain;
    try {
      chain = PemCertificates.parse(new String(bytes, StandardCharsets.ISO_8859_1));
    } catch (CertificateException e) {
      return critical(shown + ": " + e.getMessage(), start);
    }
    if (chain.isEmpty()) {
      return critical(shown + " holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)", start);
    }
    return judge(shown, "in the file", chain).withLatency(NetText.since(start));
  }

  // ---- judging ---------------------------------------------------------------------------------

  /** A {@code ca} file that cannot be used: the check cannot judge trust, so the result is unknown. */
  private static final class CaUnusable extends Exception {
    CaUnusable(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Verifies a chain and words the result. Runs on a worker thread: it may read the {@code ca}
   * file or the system trust store.
   *
   * @param subject what the chain came from: {@code example.org:443}, a file path
   * @param where {@code in the chain} or {@code in the file}, for naming a certificate by position
   */
  private ProbeResult judge(String subject, String where, List<X509Certificate> chain) {
    Set<TrustAnchor> anchors;
    try {
      anchors = anchors();
    } catch (CaUnusable e) {
      return ProbeResult.unknown(subject + ": " + e.getMessage());
    }
    Instant now = Instant.now();
    Findings f = CertificateVerifier.verify(chain, anchors, config.serverName(), now);
    X509Certificate earliest = f.earliestCertificate();
    Instant notAfter = f.expiresAt();

    StringBuilder m = new StringBuilder(subject).append(" certificate ")
        .append(CertificateVerifier.shortName(earliest.getSubjectX500Principal()))
        .append(position(f.earliest(), chain.size(), where))
        .append(' ').append(expiry(now, notAfter))
        .append(", issued by ").append(CertificateVerifier.shortName(earliest.getIssuerX500Principal()));
    boolean bad = notAfter.isBefore(now);
    if (f.notYetValid() >= 0) {
      X509Certificate early = chain.get(f.notYetValid());
      m.append("; certificate ").append(CertificateVerifier.shortName(early.getSubjectX500Principal()))
          .append(position(f.notYetValid(), chain.size(), where))
          .append(" not valid before ").append(DATE.format(early.getNotBefore().toInstant()));
      bad = true;
    }
    if (f.untrusted().isEmpty()) {
      m.append("; chain trusted");
    } else {
      m.append("; chain not trusted (").append(f.untrusted().get()).append(')');
      bad = true;
    }
    if (f.nameChecked()) {
      if (f.nameMismatch().isEmpty()) {
        m.append("; hostname ok");
      } else {
        m.append("; hostname mismatch: ").append(f.nameMismatch().get());
        bad = true;
      }
    }
    if (bad && config.trustAny()) {
      m.append(" (not critical: trust = any)");
    }

    Map<String, Measurement> measurements = new LinkedHashMap<>();
    measurements.put("days-left", new Measurement(Duration.between(now, notAfter).getSeconds() / 86_400.0, Unit.DAYS));
    measurements.put("expires-at", new Measurement(notAfter.getEpochSecond(), Unit.NUMBER));
    return ProbeResult.of(bad && !config.trustAny() ? Status.CRITICAL : Status.OK, m.toString(), measurements);
  }

  private Set<TrustAnchor> anchors() throws CaUnusable {
    if (config.ca().isPresent()) {
      return caAnchors(config.ca().get());
    }
    Set<TrustAnchor> system = systemAnchors;
    if (system == null) {
      try {
        system = CertificateVerifier.systemAnchors();
      } catch (GeneralSecurityException e) {
        throw new CaUnusable("the system trust store cannot be read: " + e.getMessage());
      }
      systemAnchors = system;
    }
    return system;
  }

  /** Read on every run, so that a renewed CA bundle is used without a reload. */
  private static Set<TrustAnchor> caAnchors(Path ca) throws CaUnusable {
    String shown = "ca " + ca;
    String expected = " (expected a PEM file of CA certificates)";
    byte[] bytes;
    try (InputStream in = Files.newInputStream(ca)) {
      bytes = in.readNBytes(MAX_FILE + 1);
    } catch (NoSuchFileException e) {
      throw new CaUnusable(shown + " does not exist" + expected);
    } catch (IOException e) {
      throw new CaUnusable(shown + " cannot be read: " + e.getMessage() + expected);
    }
    if (bytes.length > MAX_FILE) {
      throw new CaUnusable(shown + " is larger than " + MAX_FILE / 1024 + " KiB" + expected);
    }
    try {
      List<X509Certificate> cas = PemCertificates.parse(new String(bytes, StandardCharsets.ISO_8859_1));
      if (cas.isEmpty()) {
        throw new CaUnusable(shown + " holds no certificate" + expected);
      }
      return CertificateVerifier.anchors(cas);
    } catch (CertificateException e) {
      throw new CaUnusable(shown + ": " + e.getMessage() + expected);
    }
  }

  /** {@code  (2 of 3 in the chain)} for a certificate other than the first; nothing for the first. */
  private static String position(int index, int size, String where) {
    return index == 0 ? "" : " (" + (index + 1) + " of " + size + " " + where + ")";
  }

  /** {@code expires in 20 days (2026-12-13)}, {@code expired 3 days ago (2026-11-20)}. */
  static String expiry(Instant now, Instant notAfter) {
    String date = " (" + DATE.format(notAfter) + ")";
    Duration left = Duration.between(now, notAfter);
    if (!left.isNegative()) {
      long days = left.toDays();
      return days == 0 ? "expires in less than a day" + date : "expires in " + days(days) + date;
    }
    long ago = left.negated().toDays();
    return ago == 0 ? "expired less than a day ago" + date : "expired " + days(ago) + " ago" + date;
  }

  private static String days(long n) {
    return n == 1 ? "1 day" : n + " days";
  }
}
