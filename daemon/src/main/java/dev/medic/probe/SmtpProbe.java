package dev.medic.probe;

import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Talks SMTP to a mail server once per run: reads the 220 banner, sends EHLO and expects 250,
 * optionally STARTTLS (220, handshake, EHLO again over TLS), then QUIT.
 *
 * <p>Every outcome of the server is a result, never a failed future: refused, timed out, a banner
 * other than 220, EHLO not answered with 250, STARTTLS missing or failing are all
 * {@code critical}, with the server's own words quoted. The probe keeps its own deadline
 * ({@link ProbeContext#timeout()}); the verdict does not wait for the server's answer to QUIT,
 * and the socket is closed when that answer comes or at the deadline, whichever is first.
 */
public final class SmtpProbe implements Probe {

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private NetClient client;

  SmtpProbe(Config config, ProbeContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  /**
   * One smtp check, validated.
   *
   * @param valid false when host or port was wrong; such a probe reports {@code unknown}
   * @param starttls STARTTLS must be offered and succeed
   * @param trustAny with {@code starttls}: verify neither chain nor host name
   */
  record Config(boolean valid, String host, int port, boolean starttls, boolean trustAny, String ehloName) {

    String hostPort() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** SNI and host name verification use the host unless it is an IP address. */
    Optional<String> serverName() {
      return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) ? Optional.empty() : Optional.of(host);
    }
  }

  @Override
  public Future<ProbeResult> run() {
    if (!config.valid()) {
      return Future.succeededFuture(ProbeResult.unknown("host or port is not valid (run medic check for the cause)"));
    }
    return OneContext.run(vertx, this::converse);
  }


  @Override
  public synchronized Future<Void> close() {
    NetClient c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  /** The state of one run, touched only on its context. */
  private static final class Run {
    NetSocket socket;
    SmtpConversation smtp;
  }

  private Future<ProbeResult> converse() {
    String hostPort = config.hostPort();
    long start = System.nanoTime();
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ProbeResult> result = Promise.promise();
    Run run = new Run();

    long timer = vertx.setTimer(timeoutMs, id -> {
      result.tryComplete(critical(timedOut(run, hostPort), start));
      if (run.socket != null) {
        run.socket.close();
      }
    });

    client().connect(new ConnectOptions()
            .setHost(config.host())
            .setPort(config.port())
            .setTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs)))
        .compose(socket -> {
          run.socket = socket;
          if (result.future().isComplete()) {
            return Future.failedFuture(new TimeoutException("connected after the deadline"));
          }
          run.smtp = new SmtpConversation(socket, hostPort);
          return dialogue(run.smtp, hostPort, start);
        })
        .onComplete(ar -> {
          result.tryComplete(ar.succeeded() ? ar.result() : critical(failure(ar.cause(), hostPort), start));
          // QUIT politely (a mail server logs a dropped connection), but the verdict is out already;
          // the deadline timer closes the socket of a server that does not answer QUIT.
          Future<Void> quit = run.smtp == null ? Future.succeededFuture() : run.smtp.quit();
          quit.onComplete(q -> {
            vertx.cancelTimer(timer);
            if (run.socket != null) {
              run.socket.close();
            }
          });
        });
    return result.future();
  }

  private Future<ProbeResult> dialogue(SmtpConversation smtp, String hostPort, long start) {
    String[] banner = {null};
    return smtp.greeting()
        .compose(b -> {
          banner[0] = b.firstLine();
          return smtp.ehlo(config.ehloName());
        })
        .compose(ehlo -> {
          if (!config.starttls()) {
            boolean offered = ehlo.keywords().contains("STARTTLS");
            return Future.succeededFuture(ok(hostPort, banner[0], "STARTTLS " + (offered ? "offered" : "not offered"),
                start));
          }
          return smtp.startTls(ehlo, sslOptions(), config.serverName())
              .compose(v -> smtp.ehlo(config.ehloName()))
              .map(again -> ok(hostPort, banner[0], "STARTTLS ok (" + protocol(smtp.socket())
                  + (config.trustAny() ? ", certificate not verified: tls-trust = any" : "") + ")", start));
        })
        // The banner refusal quotes the banner itself; every later failure names it too.
        .recover(e -> Future.succeededFuture(critical(failure(e, hostPort)
            + (banner[0] == null ? "" : "; banner " + NetText.quote(banner[0])), start)));
  }

  private static String protocol(NetSocket socket) {
    return socket.sslSession() != null ? socket.sslSession().getProtocol() : "TLS";
  }

  private ClientSSLOptions sslOptions() {
    return new ClientSSLOptions()
        .setTrustAll(config.trustAny())
        // Vert.x 5 requires the choice to be explicit: "HTTPS" checks the name, "" does not.
        .setHostnameVerificationAlgorithm(config.trustAny() ? "" : "HTTPS")
        .setSslHandshakeTimeout(Math.max(1, timeout.toMillis()))
        .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private String failure(Throwable cause, String hostPort) {
    if (cause instanceof SmtpConversation.Refused || cause instanceof SmtpConversation.Closed) {
      return cause.getMessage();
    }
    return NetText.failure(cause, hostPort, timeout);
  }

  private String timedOut(Run run, String hostPort) {
    String within = " within " + NetText.duration(timeout);
    if (run.smtp == null) {
      return "connect " + hostPort + ": no connection" + within;
    }
    return hostPort + ": no " + run.smtp.awaiting().replaceFirst("^(the|a) ", "") + within;
  }

  private static ProbeResult ok(String hostPort, String banner, String tls, long startNanos) {
    Duration latency = NetText.since(startNanos);
    return ProbeResult.ok(hostPort + " in " + NetText.millis(latency) + ": banner " + NetText.quote(banner)
        + "; EHLO ok; " + tls).withLatency(latency);
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
}
