package dev.medic.probe;

import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Opens a TCP (optionally TLS) connection per run, optionally sends a line, and optionally waits
 * for text in the reply: a banner ({@code 220}), a {@code PONG}, a {@code +OK}.
 *
 * <p>Every outcome of the target is a result, never a failed future. The probe keeps its own
 * deadline ({@link ProbeContext#timeout()}) and closes the socket at the end of every run, passed
 * or failed, so nothing is held between runs. Its {@link NetClient} is made on the first run.
 */
public final class TcpProbe implements Probe {

  /** The most of a reply kept for matching: a banner or a short answer, not a download. */
  static final int MAX_REPLY = 64 * 1024;

  private final Config config;
  private final Vertx vertx;
  private final Duration timeout;
  private NetClient client;

  TcpProbe(Config config, ProbeContext context) {
    this.config = config;
    this.vertx = context.vertx();
    this.timeout = context.timeout();
  }

  /**
   * One tcp check, validated.
   *
   * @param valid false when host or port was wrong; such a probe reports {@code unknown}
   * @param send text written once connected, e.g. {@code "PING\r\n"}
   * @param expect text the reply must contain before the deadline
   * @param trustAny with {@code tls}: verify neither chain nor host name
   */
  record Config(
      boolean valid, String host, int port, Optional<String> send, Optional<String> expect,
      boolean tls, boolean trustAny) {

    String hostPort() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
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
  private static final class Conversation {
    NetSocket socket;
    final Buffer received = Buffer.buffer();

    void receive(Buffer chunk) {
      int room = MAX_REPLY - received.length();
      if (room > 0) {
        received.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    }

    String text() {
      return received.toString(StandardCharsets.UTF_8);
    }

    String got() {
      return received.length() == 0 ? "got nothing" : "got " + NetText.quote(text());
    }
  }

  private Future<ProbeResult> converse() {
    String hostPort = config.hostPort();
    long start = System.nanoTime();
    long timeoutMs = Math.max(1, timeout.toMillis());
    Promise<ProbeResult> result = Promise.promise();
    Conversation c = new Conversation();

    long timer = vertx.setTimer(timeoutMs, id -> result.tryComplete(critical(timedOut(c, hostPort), start)));

    ConnectOptions connect = new ConnectOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
        .setSsl(config.tls());
    if (config.tls() && !NetUtil.isValidIpV4Address(config.host()) && !NetUtil.isValidIpV6Address(config.host())) {
      connect.setSniServerName(config.host());
    }

    client().connect(connect).onComplete(ar -> {
      if (ar.failed()) {
        result.tryComplete(critical(NetText.failure(ar.cause(), hostPort, timeout), start));
        return;
      }
      NetSocket socket = ar.result();
      if (result.future().isComplete()) {
        socket.close();
        return;
      }
      c.socket = socket;
      socket.handler(chunk -> {
        c.receive(chunk);
        config.expect().filter(e -> c.text().contains(e)).ifPresent(e -> result.tryComplete(
            ProbeResult.ok(hostPort + " replied " + NetText.quote(e) + " in " + NetText.millis(NetText.since(start)))
                .withLatency(NetText.since(start))));
      });
      socket.exceptionHandler(err -> result.tryComplete(critical(NetText.failure(err, hostPort, timeout), start)));
      socket.closeHandler(v -> result.tryComplete(critical(hostPort + " closed the connection"
          + config.expect().map(e -> " before " + NetText.quote(e) + " (" + c.got() + ")").orElse(""), start)));
      Future<Void> sent = config.send().map(socket::write).orElseGet(Future::succeededFuture);
      sent.onComplete(w -> {
        if (w.failed()) {
          result.tryComplete(critical("send to " + hostPort + " failed: " + w.cause().getMessage(), start));
        } else if (config.expect().isEmpty()) {
          Duration latency = NetText.since(start);
          result.tryComplete(ProbeResult.ok("connected to " + hostPort + (config.tls() ? " (TLS)" : "")
              + " in " + NetText.millis(latency)).withLatency(latency));
        }
      });
    });

    return result.future().andThen(done -> {
      vertx.cancelTimer(timer);
      if (c.socket != null) {
        c.socket.close();
      }
    });
  }

  private String timedOut(Conversation c, String hostPort) {
    String within = " within " + NetText.duration(timeout);
    if (c.socket == null) {
      return "connect " + hostPort + ": no connection" + within;
    }
    return config.expect()
        .map(e -> "no " + NetText.quote(e) + " in reply" + within + " (" + c.got() + ")")
        .orElse("send to " + hostPort + " not complete" + within);
  }

  private static ProbeResult critical(String message, long startNanos) {
    return ProbeResult.critical(message).withLatency(NetText.since(startNanos));
  }

  private synchronized NetClient client() {
    if (client == null) {
      NetClientOptions options = new NetClientOptions()
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
      if (config.tls()) {
        options.setSsl(true)
            .setTrustAll(config.trustAny())
            // Vert.x 5 requires the choice to be explicit: "HTTPS" checks the name, "" does not.
            .setHostnameVerificationAlgorithm(config.trustAny() ? "" : "HTTPS");
      }
      client = vertx.createNetClient(options);
    }
    return client;
  }
}
